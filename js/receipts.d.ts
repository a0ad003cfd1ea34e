// ---- Receipt verification for publishers (js/receipts.js, appended by scripts/finish-pkg.mjs) ----
/** Stable codes of a {@link ReceiptError}. */
export type ReceiptErrorCode =
  | 'invalid-receipt-base64' | 'invalid-receipt-length' | 'invalid-receipt-version'
  | 'invalid-receipt-signature' | 'invalid-receipt-secret' | 'unknown-receipt-nonce'
  | 'receipt-visitor-mismatch' | 'invalid-option' | 'invalid-receiver' | 'spsp-failed'
  | 'receipts-not-enabled';
/** Errors of {@link ReceiptVerifier}, the stores and {@link spspWithReceipts}: `name` is `'ReceiptError'`. */
export class ReceiptError extends Error {
  constructor(code: ReceiptErrorCode, message: string, options?: ErrorOptions);
  readonly name: 'ReceiptError';
  code: ReceiptErrorCode;
}
/** 24 hours: how long a nonce and its totals live after its creation or latest verified receipt, by default. */
export const DEFAULT_RECEIPT_TTL_MS: number;

/** What a store remembers of a nonce. */
export interface NonceEntry {
  /** The receipt secret, base64 of 32 bytes. */
  secret: string;
  visitorId: string;
}
/**
 * Where a {@link ReceiptVerifier} keeps nonces and totals. Every method may return a
 * promise. `raiseTotal` must be atomic: read the last total of (nonce, streamId), write
 * `total` if it is higher, refresh the expiry, as one step no other call can interleave.
 * Totals are u64 values (BigInt).
 */
export interface ReceiptStore {
  /** Remembers a fresh nonce (base64) with its secret and visitor for `ttlMs`. */
  putNonce(entry: { nonce: string; secret: string; visitorId: string; ttlMs: number }): Promise<void> | void;
  /** The nonce's entry, or null if it is unknown or expired. */
  getNonce(nonce: string): Promise<NonceEntry | null> | NonceEntry | null;
  /**
   * Raises the nonce's total on `streamId` to `total` if higher, and keeps the nonce for
   * another `ttlMs`. Resolves with the increase (0n if not higher) and the total now
   * recorded, or null if the nonce is unknown or expired.
   */
  raiseTotal(update: { nonce: string; streamId: number; total: bigint; visitorId: string; ttlMs: number }):
    Promise<{ increase: bigint; total: bigint } | null> | { increase: bigint; total: bigint } | null;
  /** The sum of the totals of the visitor's unexpired nonces. */
  visitorTotal(visitorId: string): Promise<bigint> | bigint;
  /** Deletes every nonce of the visitor and their totals; how many nonces (for ReceiptVerifier.removeVisitor). */
  removeVisitor?(visitorId: string): Promise<number> | number;
  /** Releases what the store holds open. */
  close?(): Promise<void> | void;
}
/** Options of {@link ReceiptVerifier}. */
export interface ReceiptVerifierOptions {
  store: ReceiptStore;
  /** Milliseconds a nonce and its totals live after its creation or latest verified receipt (default 24 h). */
  ttlMs?: number;
}
/** What {@link ReceiptVerifier.newNonce} resolves with. Hand `nonce` and `secret` to the receiver only, never to the page. */
export interface ReceiptNonce {
  /** 16 random bytes, base64: the `Receipt-Nonce` SPSP header. */
  nonce: string;
  /** 32 random bytes, base64: the `Receipt-Secret` SPSP header. */
  secret: string;
  visitorId: string;
  /** When it expires unless a receipt is verified before (ms since the epoch). */
  expiresAt: number;
}
/** What {@link ReceiptVerifier.verify} resolves with (amounts in receiver units). */
export interface VerifiedReceipt {
  /** New money this receipt shows: 0n for a replayed or older receipt. */
  increase: bigint;
  /** The highest verified total of this nonce and stream (only grows). */
  totalReceived: bigint;
  /** The visitor the nonce was made for. */
  visitorId: string;
  /** The receipt nonce, base64. */
  nonce: string;
  streamId: number;
}
/** Verifies STREAM receipts (RFC 39) against a store, crediting each unit once. */
export class ReceiptVerifier {
  constructor(options: ReceiptVerifierOptions);
  readonly store: ReceiptStore;
  readonly ttlMs: number;
  /** A fresh nonce and secret for `visitorId` (a non-empty string of at most 256 characters), remembered in the store. */
  newNonce(visitorId: string): Promise<ReceiptNonce>;
  /**
   * Checks a receipt (base64) and records its total. Rejects with a ReceiptError for bad
   * base64, length, version, an unknown or expired nonce, a forged HMAC, or (with
   * `options.visitorId`) a nonce made for another visitor.
   */
  verify(receipt: string, options?: { visitorId?: string }): Promise<VerifiedReceipt>;
  /** The sum of the increases credited to `visitorId` over its unexpired nonces. */
  total(visitorId: string): Promise<bigint>;
  /** Forgets `visitorId`: its nonces and their totals (the store must have removeVisitor); how many nonces. */
  removeVisitor(visitorId: string): Promise<number>;
}
/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
}
/** A {@link ReceiptStore} in this process's memory (tests, a single server that may forget on restart). */
export class MemoryStore implements ReceiptStore {
  constructor(options?: MemoryStoreOptions);
  putNonce(entry: { nonce: string; secret: string; visitorId: string; ttlMs: number }): Promise<void>;
  getNonce(nonce: string): Promise<NonceEntry | null>;
  raiseTotal(update: { nonce: string; streamId: number; total: bigint; visitorId: string; ttlMs: number }): Promise<{ increase: bigint; total: bigint } | null>;
  visitorTotal(visitorId: string): Promise<bigint>;
  removeVisitor(visitorId: string): Promise<number>;
  close(): Promise<void>;
}
/** Options of {@link spspWithReceipts}. */
export interface SpspWithReceiptsOptions {
  /** The receiver: a payment pointer (`$wallet.example/bob`) or SPSP URL (`http://` only for localhost). */
  receiver: string;
  verifier: ReceiptVerifier;
  /** Whose visit this connection pays for. */
  visitorId: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** More request headers (e.g. `Web-Monetization-Id`). */
  headers?: Record<string, string>;
  /** Milliseconds the query may take (default 10000). */
  timeoutMs?: number;
}
/** The receiver's SPSP answer, for the page (no receipt secret in it). */
export interface SpspJson {
  destination_account: string;
  /** The STREAM shared secret, base64. */
  shared_secret: string;
  receipts_enabled: true;
  [field: string]: unknown;
}
/** Queries a receiver's SPSP server for a visitor with a fresh receipt nonce and secret; resolves with the JSON for the page. */
export function spspWithReceipts(options: SpspWithReceiptsOptions): Promise<SpspJson>;
