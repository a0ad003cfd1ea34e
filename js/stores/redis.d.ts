// ilp-stream-web/stores/redis: a ReceiptStore in Redis (Node.js, node-redis), for several instances.
import type { NonceEntry, ReceiptStore } from '../ilp_stream_web.js';

/** Options of {@link RedisStore}: `url` or `client`. */
export interface RedisStoreOptions {
  /** `redis://host:port`: the store connects on first use and `close()` closes. */
  url?: string;
  /** A node-redis client (`createClient` from `redis`), connected by you and left open by `close()`. */
  client?: { sendCommand(args: string[]): Promise<unknown> };
  /** Key prefix (default `'ilp-receipts:'`). */
  prefix?: string;
}
/** Nonces and totals in Redis; totals are raised by a Lua script, so instances sharing it credit each unit once. */
export class RedisStore implements ReceiptStore {
  constructor(options: RedisStoreOptions);
  putNonce(entry: { nonce: string; secret: string; visitorId: string; ttlMs: number }): Promise<void>;
  getNonce(nonce: string): Promise<NonceEntry | null>;
  raiseTotal(update: { nonce: string; streamId: number; total: bigint; visitorId: string; ttlMs: number }): Promise<{ increase: bigint; total: bigint } | null>;
  visitorTotal(visitorId: string): Promise<bigint>;
  /** Deletes every nonce of `visitorId` and their totals; resolves with how many nonces. */
  removeVisitor(visitorId: string): Promise<number>;
  /** Closes the connection (unless it was given as `client`). */
  close(): Promise<void>;
}
