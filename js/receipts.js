// The publisher's half of STREAM receipts (RFC 39): ReceiptVerifier hands out
// receipt nonces (each remembered with its secret and the visitor it is for),
// and credits only the increase a verified receipt shows over the last total
// verified for its nonce and stream, so a replayed or older receipt counts 0.
//
// Shipped in the npm package as pkg/receipts.js and re-exported from the package
// entry by scripts/finish-pkg.mjs. The receipt checks (base64, length, version,
// HMAC in constant time) are the Rust core's (decodeReceipt / verifyReceipt);
// this file only orders them around a store, which is asynchronous. MemoryStore
// is here (it runs anywhere); the SQLite and Redis stores, which need Node.js
// modules, are the entry points ilp-stream-web/stores/sqlite and /stores/redis.
import { decodeReceipt, verifyReceipt, spspUrl } from './ilp_stream_web.js';

/** How long a nonce and its totals live after its creation or its latest receipt: 24 hours. */
export const DEFAULT_RECEIPT_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_VISITOR_ID_LEN = 256;
const MAX_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/** Errors of the verifier, its stores and spspWithReceipts: `name` is 'ReceiptError', `code` is stable. */
export class ReceiptError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'ReceiptError';
    this.code = code;
  }
}

/** A ReceiptError from the Rust core's plain Error (same code and message). */
function fromCore(e) {
  return typeof e?.code === 'string' ? new ReceiptError(e.code, e.message) : e;
}

function base64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function randomBase64(n) {
  return base64(globalThis.crypto.getRandomValues(new Uint8Array(n)));
}

/** Checks a visitor id: a non-empty string of at most 256 characters. */
export function checkVisitorId(visitorId) {
  if (typeof visitorId !== 'string' || visitorId.length === 0 || visitorId.length > MAX_VISITOR_ID_LEN) {
    throw new ReceiptError('invalid-option', `visitorId must be a non-empty string of at most ${MAX_VISITOR_ID_LEN} characters`);
  }
  return visitorId;
}

/**
 * Verifies STREAM receipts against a store of nonces and totals.
 *
 *   const v = new ReceiptVerifier({ store });
 *   const { nonce, secret } = await v.newNonce(visitorId); // to the receiver's SPSP server only
 *   const { increase, totalReceived } = await v.verify(receiptBase64);
 *
 * verify() checks, in order: base64, length (58 bytes), version (1), that the nonce is
 * known and not expired (its secret comes from the store), the HMAC (constant time), and,
 * when `visitorId` is given, that the nonce was made for that visitor (after the HMAC, so
 * nothing is said about a nonce to a receipt that is not authentic). Then the store
 * records the receipt's total if it is higher than the last one for (nonce, stream), in
 * one atomic step, and `increase` is the difference (0n for a replay or an older receipt).
 */
export class ReceiptVerifier {
  #store;
  #ttlMs;

  constructor({ store, ttlMs = DEFAULT_RECEIPT_TTL_MS } = {}) {
    for (const m of ['putNonce', 'getNonce', 'raiseTotal', 'visitorTotal']) {
      if (typeof store?.[m] !== 'function') {
        throw new ReceiptError('invalid-option', `store must have a ${m}() method (MemoryStore, SqliteStore, RedisStore)`);
      }
    }
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
      throw new ReceiptError('invalid-option', `ttlMs must be an integer from 1 to ${MAX_TTL_MS}`);
    }
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  /** The store this verifier uses. */
  get store() { return this.#store; }

  /** Milliseconds a nonce and its totals live after its creation or latest receipt. */
  get ttlMs() { return this.#ttlMs; }

  /**
   * A fresh receipt nonce (16 random bytes) and secret (32 random bytes) for `visitorId`,
   * both base64, remembered in the store. Give both to the receiver's SPSP server (the
   * `Receipt-Nonce` and `Receipt-Secret` headers; spspWithReceipts does it) and never to
   * the page: whoever has the secret can make receipts.
   */
  async newNonce(visitorId) {
    checkVisitorId(visitorId);
    const nonce = randomBase64(16);
    const secret = randomBase64(32);
    const expiresAt = Date.now() + this.#ttlMs;
    await this.#store.putNonce({ nonce, secret, visitorId, ttlMs: this.#ttlMs });
    return { nonce, secret, visitorId, expiresAt };
  }

  /**
   * Verifies a receipt (base64 text) and credits what it adds. Resolves with
   * `{ increase, totalReceived, visitorId, nonce, streamId }` (amounts BigInt, receiver
   * units; `totalReceived` is the highest verified total of that nonce and stream, which
   * only grows). Rejects with a ReceiptError, never a credit, for bad input.
   * `options.visitorId`: refuse (`receipt-visitor-mismatch`) a nonce made for another visitor.
   */
  async verify(receipt, options = {}) {
    if (typeof receipt !== 'string') {
      throw new ReceiptError('invalid-receipt-base64', 'a receipt is base64 text');
    }
    let fields;
    try {
      fields = decodeReceipt(receipt);
    } catch (e) {
      throw fromCore(e);
    }
    const entry = await this.#store.getNonce(fields.nonce);
    if (!entry) throw unknownNonce();
    try {
      verifyReceipt(receipt, entry.secret);
    } catch (e) {
      throw fromCore(e);
    }
    const expected = options?.visitorId;
    if (expected !== undefined && entry.visitorId !== expected) {
      throw new ReceiptError('receipt-visitor-mismatch', 'the receipt nonce was made for another visitor');
    }
    const raised = await this.#store.raiseTotal({
      nonce: fields.nonce,
      streamId: fields.streamId,
      total: fields.totalReceived,
      visitorId: entry.visitorId,
      ttlMs: this.#ttlMs,
    });
    if (!raised) throw unknownNonce(); // expired between the two steps
    return {
      increase: raised.increase,
      totalReceived: raised.total,
      visitorId: entry.visitorId,
      nonce: fields.nonce,
      streamId: fields.streamId,
    };
  }

  /** The sum of every increase credited to `visitorId` over its unexpired nonces (BigInt). */
  async total(visitorId) {
    checkVisitorId(visitorId);
    return this.#store.visitorTotal(visitorId);
  }

  /**
   * Forgets `visitorId`: every nonce made for it and their totals, at once (a visit the
   * publisher lets go of leaves nothing behind until the TTL). Later receipts of those
   * nonces are refused as unknown. Resolves with how many nonces were removed.
   */
  async removeVisitor(visitorId) {
    checkVisitorId(visitorId);
    if (typeof this.#store.removeVisitor !== 'function') {
      throw new ReceiptError('invalid-option', 'the store has no removeVisitor() method');
    }
    return this.#store.removeVisitor(visitorId);
  }
}

function unknownNonce() {
  return new ReceiptError('unknown-receipt-nonce', 'the receipt nonce is unknown or expired');
}

/** A total as 20 decimal digits, so that text order is number order (stores keep u64 totals as text). */
export function padTotal(total) {
  return total.toString().padStart(20, '0');
}

/**
 * Nonces and totals in this process's memory: for tests, and for a single server that
 * may forget everything when it restarts. Expired entries are dropped as new nonces come.
 * `now`: the clock, ms since the epoch (default Date.now), for tests.
 */
export class MemoryStore {
  #nonces = new Map(); // nonce -> { secret, visitorId, expiresAt, totals: Map<streamId, bigint> }
  #visitors = new Map(); // visitorId -> Set<nonce>
  #now;
  #nextSweep = 0;

  constructor({ now = Date.now } = {}) {
    this.#now = now;
  }

  #live(nonce) {
    const e = this.#nonces.get(nonce);
    if (e && e.expiresAt <= this.#now()) {
      this.#forget(nonce, e);
      return undefined;
    }
    return e;
  }

  #forget(nonce, e) {
    this.#nonces.delete(nonce);
    const set = this.#visitors.get(e.visitorId);
    set?.delete(nonce);
    if (set?.size === 0) this.#visitors.delete(e.visitorId);
  }

  #sweep(now, ttlMs) {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + Math.min(ttlMs, 60_000);
    for (const [nonce, e] of this.#nonces) if (e.expiresAt <= now) this.#forget(nonce, e);
  }

  async putNonce({ nonce, secret, visitorId, ttlMs }) {
    const now = this.#now();
    this.#sweep(now, ttlMs);
    this.#nonces.set(nonce, { secret, visitorId, expiresAt: now + ttlMs, totals: new Map() });
    let set = this.#visitors.get(visitorId);
    if (!set) this.#visitors.set(visitorId, (set = new Set()));
    set.add(nonce);
  }

  async getNonce(nonce) {
    const e = this.#live(nonce);
    return e ? { secret: e.secret, visitorId: e.visitorId } : null;
  }

  async raiseTotal({ nonce, streamId, total, ttlMs }) {
    // Synchronous from here on: nothing else runs in between (the atomic step).
    const e = this.#live(nonce);
    if (!e) return null;
    const last = e.totals.get(streamId) ?? 0n;
    e.expiresAt = this.#now() + ttlMs;
    if (total <= last) return { increase: 0n, total: last };
    e.totals.set(streamId, total);
    return { increase: total - last, total };
  }

  async visitorTotal(visitorId) {
    let sum = 0n;
    for (const nonce of [...(this.#visitors.get(visitorId) ?? [])]) {
      const e = this.#live(nonce);
      if (e) for (const t of e.totals.values()) sum += t;
    }
    return sum;
  }

  async removeVisitor(visitorId) {
    const set = this.#visitors.get(visitorId);
    if (!set) return 0;
    const n = set.size;
    for (const nonce of [...set]) this.#forget(nonce, this.#nonces.get(nonce));
    this.#visitors.delete(visitorId);
    return n;
  }

  /** Nothing to release; here so every store can be closed alike. */
  async close() {}
}

/**
 * Answers a payment pointer's SPSP query for a visitor, with receipts: makes a receipt
 * nonce for `visitorId`, queries the receiver's SPSP server with it (`Receipt-Nonce`,
 * `Receipt-Secret`) and resolves with the receiver's SPSP JSON for the page
 * (`destination_account`, `shared_secret`, `receipts_enabled: true`, and whatever else the
 * receiver said). The receipt secret never appears in it.
 * Options: `receiver` (payment pointer or SPSP URL), `verifier`, `visitorId`,
 * `fetch` (default globalThis.fetch), `headers` (extra request headers),
 * `timeoutMs` (default 10000).
 */
export async function spspWithReceipts({ receiver, verifier, visitorId, fetch = globalThis.fetch, headers = {}, timeoutMs = 10_000 } = {}) {
  if (!(verifier instanceof ReceiptVerifier)) throw new ReceiptError('invalid-option', 'verifier must be a ReceiptVerifier');
  if (typeof fetch !== 'function') throw new ReceiptError('invalid-option', 'fetch must be a function');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new ReceiptError('invalid-option', 'timeoutMs must be a positive integer');
  let url;
  try {
    url = spspUrl(String(receiver));
  } catch (e) {
    throw fromCore(e);
  }
  const { nonce, secret } = await verifier.newNonce(visitorId);
  let res;
  let body;
  try {
    res = await fetch(url, {
      headers: {
        ...headers,
        accept: 'application/spsp4+json, application/spsp+json',
        'receipt-nonce': nonce,
        'receipt-secret': secret,
      },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await res.json();
  } catch (e) {
    throw new ReceiptError('spsp-failed', `SPSP query failed: ${e?.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : 'no JSON answer'}`);
  }
  if (!res.ok) throw new ReceiptError('spsp-failed', `SPSP query failed: HTTP ${res.status}`);
  if (typeof body?.destination_account !== 'string' || typeof body?.shared_secret !== 'string') {
    throw new ReceiptError('spsp-failed', 'the SPSP answer has no destination_account and shared_secret');
  }
  if (body.receipts_enabled !== true) {
    throw new ReceiptError('receipts-not-enabled', 'the receiver did not enable receipts (receipts_enabled is not true)');
  }
  return body;
}
