// ilp-stream-web/stores/sqlite: a ReceiptStore in an SQLite file (Node.js, better-sqlite3).
import type { NonceEntry, ReceiptStore } from '../ilp_stream_web.js';

/** Options of {@link SqliteStore}: `filename` or `database`. */
export interface SqliteStoreOptions {
  /** The database file (created if missing); `':memory:'` for a private in-memory one. */
  filename?: string;
  /** An open better-sqlite3 `Database` to use instead (left open by `close()`). */
  database?: object;
  /** How long to wait for another process's write lock, ms (default 5000). */
  busyTimeoutMs?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
}
/** Nonces and totals in an SQLite file: survives restarts; several processes may share it. */
export class SqliteStore implements ReceiptStore {
  constructor(options: SqliteStoreOptions);
  putNonce(entry: { nonce: string; secret: string; visitorId: string; ttlMs: number }): Promise<void>;
  getNonce(nonce: string): Promise<NonceEntry | null>;
  raiseTotal(update: { nonce: string; streamId: number; total: bigint; visitorId: string; ttlMs: number }): Promise<{ increase: bigint; total: bigint } | null>;
  visitorTotal(visitorId: string): Promise<bigint>;
  /** Deletes every nonce of `visitorId` and their totals; resolves with how many nonces. */
  removeVisitor(visitorId: string): Promise<number>;
  /** Closes the database (unless it was given as `database`). */
  close(): Promise<void>;
}
