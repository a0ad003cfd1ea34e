// RedisStore: receipt nonces and totals in Redis, for several server instances
// behind a load balancer sharing one Redis. Each total is raised by a server-side
// Lua script (one atomic step in Redis), so two instances verifying the same
// receipt at the same moment credit it once. Keys expire by Redis TTL.
//
// The entry point ilp-stream-web/stores/redis (Node.js only): the user installs
// `redis` (node-redis, an optional peer dependency of the package).
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { ReceiptError, padTotal } from '../receipts.js';

// Totals are 20-digit text; compared as two 10-digit halves, which Lua numbers
// (doubles) hold exactly, rather than as strings (Lua compares those by locale).
const GREATER = `
local function greater(a, b)
  local ah, bh = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if ah ~= bh then return ah > bh end
  return tonumber(string.sub(a, 11)) > tonumber(string.sub(b, 11))
end
local function keep_set(key, member, ttl)
  redis.call('SADD', key, member)
  local left = redis.call('PTTL', key)
  if left == -1 or left < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

// KEYS: nonce hash, visitor set. ARGV: secret, visitorId, ttl ms, nonce.
const PUT = `${GREATER}
local ttl = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'visitor', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
keep_set(KEYS[2], ARGV[4], ttl)
return 1
`;

// KEYS: nonce hash, visitor set. ARGV: total field, 20-digit total, ttl ms, nonce.
// Returns the last total (20 digits) and writes the new one if it is higher; false
// when the nonce is unknown or expired.
const RAISE = `${GREATER}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local ttl = tonumber(ARGV[3])
local last = redis.call('HGET', KEYS[1], ARGV[1])
if not last then last = '00000000000000000000' end
if greater(ARGV[2], last) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ttl)
keep_set(KEYS[2], ARGV[4], ttl)
return last
`;

const sha1 = (text) => createHash('sha1').update(text).digest('hex');

/**
 * Options: `url` (`redis://host:port`, connected on first use, closed by close()) or
 * `client` (a node-redis client, connected by you and left open by close()), `prefix`
 * (key prefix, default 'ilp-receipts:').
 * Keys: `<prefix>nonce:<nonce>` (a hash: secret, visitor, `s:<streamId>` → 20-digit total)
 * and `<prefix>visitor:<visitorId>` (a set of nonces), each with a TTL.
 */
export class RedisStore {
  #client;
  #own;
  #prefix;
  #ready;

  constructor({ url, client, prefix = 'ilp-receipts:' } = {}) {
    if (client) {
      if (typeof client.sendCommand !== 'function') {
        throw new ReceiptError('invalid-option', 'client must be a node-redis client (createClient from redis)');
      }
      this.#client = client;
      this.#own = false;
      this.#ready = Promise.resolve();
    } else if (typeof url === 'string' && url) {
      this.#client = createClient({ url });
      // A broken connection rejects the commands; node-redis reconnects by itself.
      this.#client.on('error', () => {});
      this.#own = true;
      this.#ready = null;
    } else {
      throw new ReceiptError('invalid-option', 'RedisStore needs a url or a node-redis client');
    }
    if (typeof prefix !== 'string') throw new ReceiptError('invalid-option', 'prefix must be a string');
    this.#prefix = prefix;
  }

  async #send(args) {
    this.#ready ??= this.#client.connect().then(() => {});
    await this.#ready;
    return this.#client.sendCommand(args);
  }

  async #script(text, keys, args) {
    const call = ['EVALSHA', sha1(text), String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.#send(call);
    } catch (e) {
      if (!/NOSCRIPT/.test(String(e?.message))) throw e;
      return this.#send(['EVAL', text, ...call.slice(2)]);
    }
  }

  #nonceKey(nonce) { return `${this.#prefix}nonce:${nonce}`; }
  #visitorKey(visitorId) { return `${this.#prefix}visitor:${visitorId}`; }

  async putNonce({ nonce, secret, visitorId, ttlMs }) {
    await this.#script(PUT, [this.#nonceKey(nonce), this.#visitorKey(visitorId)], [secret, visitorId, ttlMs, nonce]);
  }

  async getNonce(nonce) {
    const [secret, visitorId] = await this.#send(['HMGET', this.#nonceKey(nonce), 'secret', 'visitor']);
    return secret == null || visitorId == null ? null : { secret: String(secret), visitorId: String(visitorId) };
  }

  async raiseTotal({ nonce, streamId, total, visitorId, ttlMs }) {
    const last = await this.#script(RAISE, [this.#nonceKey(nonce), this.#visitorKey(visitorId)],
      [`s:${streamId}`, padTotal(total), ttlMs, nonce]);
    if (last == null) return null;
    const before = BigInt(String(last));
    return total > before ? { increase: total - before, total } : { increase: 0n, total: before };
  }

  async visitorTotal(visitorId) {
    const key = this.#visitorKey(visitorId);
    const nonces = (await this.#send(['SMEMBERS', key])).map(String);
    const hashes = await Promise.all(nonces.map((n) => this.#send(['HGETALL', this.#nonceKey(n)])));
    let sum = 0n;
    const gone = [];
    hashes.forEach((h, i) => {
      // RESP2 gives [field, value, …]; RESP3 a map (an object or a Map).
      const entries = Array.isArray(h) ? pairs(h) : h instanceof Map ? [...h] : Object.entries(h ?? {});
      if (entries.length === 0) gone.push(nonces[i]);
      for (const [f, v] of entries) if (String(f).startsWith('s:')) sum += BigInt(String(v));
    });
    if (gone.length) await this.#send(['SREM', key, ...gone]);
    return sum;
  }

  async removeVisitor(visitorId) {
    const key = this.#visitorKey(visitorId);
    const nonces = (await this.#send(['SMEMBERS', key])).map(String);
    await this.#send(['DEL', key, ...nonces.map((n) => this.#nonceKey(n))]);
    return nonces.length;
  }

  /** Closes the connection (unless it was given as `client`). */
  async close() {
    if (this.#own && this.#ready) {
      await this.#ready.catch(() => {});
      if (this.#client.isOpen) await (typeof this.#client.close === 'function' ? this.#client.close() : this.#client.quit());
    }
  }
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
