// Where the demo keeps its state, so a restart of the server forgets nothing a visitor has
// paid for: its visits (what each has paid for, its connections, its BTP account) and the
// receipt verifier's store (nonces, secrets and verified totals), side by side:
//
//   REDIS_URL set          Redis (RedisStore; visits under demo:visit:<key>), for several
//                          instances sharing one Redis
//   otherwise              SQLite, one file: $DEMO_STATE_DIR/demo.sqlite (default
//                          .cache/demo/), made at start (SqliteStore on the same database;
//                          visits in the table demo_visits)
//   DEMO_STATE=memory      nothing kept across restarts (MemoryStore)
//
//   openVisits({ root }) -> { where, ttlMs, receiptStore, load(key), save(visit),
//                             remove(key), close() }
//
// A visit is stored under the sha256 of its cookie credential (never the credential) and
// expires VISIT_TTL_MS after it was last saved, as the verifier's nonces do after their
// last receipt. Amounts are BigInts in memory and decimal strings when stored.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const VISIT_TTL_MS = 24 * 60 * 60 * 1000;

export function encodeVisit (visit) {
  return JSON.stringify({
    key: visit.key,
    username: visit.username,
    token: visit.token,
    createdAt: visit.createdAt,
    lastActive: visit.lastActive,
    served: visit.served,
    connections: visit.connections.map((c) => ({
      nonce: c.nonce,
      run: c.run,
      stackId: c.stackId,
      destinationAccount: c.destinationAccount,
      sharedSecret: c.sharedSecret,
      verified: c.verified.toString(),
      streams: Object.fromEntries(Object.entries(c.streams).map(([id, t]) => [id, t.toString()])),
      received: c.received.toString(),
      credited: c.credited.toString(),
      createdAt: c.createdAt,
      ...(c.forgotten ? { forgotten: true } : {}),
      ...(c.final ? { final: true } : {})
    }))
  });
}

export function decodeVisit (text) {
  const v = JSON.parse(text);
  for (const c of v.connections) {
    for (const k of ['verified', 'received', 'credited']) c[k] = BigInt(c[k]);
    // (Stored before receipts were kept per stream: the page pays on one stream, id 1.)
    c.streams = Object.fromEntries(Object.entries(c.streams ?? (c.verified > 0n ? { 1: c.verified } : {})).map(([id, t]) => [id, BigInt(t)]));
  }
  v.opening = 0;
  v.served ??= { segments: 0, maxSegment: -1 };
  return v;
}

async function memoryVisits (pkg) {
  const { MemoryStore } = await import(pkg('ilp_stream_web.js'));
  const m = new Map(); // key -> { text, expires }
  return {
    where: 'memory (lost on restart)',
    receiptStore: new MemoryStore(),
    async load (key) {
      const e = m.get(key);
      if (!e || e.expires < Date.now()) { m.delete(key); return null; }
      return decodeVisit(e.text);
    },
    async save (visit) { m.set(visit.key, { text: encodeVisit(visit), expires: Date.now() + VISIT_TTL_MS }); },
    async remove (key) { m.delete(key); },
    async close () {}
  };
}

async function sqliteVisits (pkg, dir) {
  const [{ default: Database }, { SqliteStore }] = await Promise.all([import('better-sqlite3'), import(pkg('stores/sqlite.js'))]);
  // It holds receipt secrets and BTP tokens: the owner's eyes only.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = path.join(dir, 'demo.sqlite');
  const db = new Database(file);
  chmodSync(file, 0o600);
  const receiptStore = new SqliteStore({ database: db }); // sets WAL, makes its tables
  db.exec(`CREATE TABLE IF NOT EXISTS demo_visits (
    key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL
  )`);
  const sql = {
    load: db.prepare('SELECT data FROM demo_visits WHERE key = ? AND expires_at > ?'),
    save: db.prepare('INSERT INTO demo_visits (key, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at'),
    remove: db.prepare('DELETE FROM demo_visits WHERE key = ?'),
    sweep: db.prepare('DELETE FROM demo_visits WHERE expires_at <= ?')
  };
  sql.sweep.run(Date.now());
  const sweeper = setInterval(() => sql.sweep.run(Date.now()), 10 * 60_000);
  sweeper.unref();
  return {
    where: `SQLite ${path.relative(process.cwd(), file) || file}`,
    receiptStore,
    async load (key) {
      const row = sql.load.get(key, Date.now());
      return row ? decodeVisit(row.data) : null;
    },
    async save (visit) { sql.save.run(visit.key, encodeVisit(visit), Date.now() + VISIT_TTL_MS); },
    async remove (key) { sql.remove.run(key); },
    async close () {
      clearInterval(sweeper);
      await receiptStore.close();
      db.close();
    }
  };
}

async function redisVisits (pkg, url) {
  const [{ createClient }, { RedisStore }] = await Promise.all([import('redis'), import(pkg('stores/redis.js'))]);
  const client = createClient({ url });
  client.on('error', (err) => console.error(`demo: Redis: ${err.message}`));
  await client.connect();
  const receiptStore = new RedisStore({ client, prefix: 'demo:receipts:' });
  const k = (key) => `demo:visit:${key}`;
  return {
    where: `Redis ${new URL(url).host}`,
    receiptStore,
    async load (key) {
      const text = await client.get(k(key));
      return text ? decodeVisit(text) : null;
    },
    async save (visit) { await client.set(k(visit.key), encodeVisit(visit), { PX: VISIT_TTL_MS }); },
    async remove (key) { await client.del(k(key)); },
    async close () {
      await receiptStore.close();
      await (typeof client.close === 'function' ? client.close() : client.quit());
    }
  };
}

/** The store chosen by the environment (see the top of this file). */
export async function openVisits ({ root }) {
  const pkg = (file) => path.join(root, 'pkg', file);
  let v;
  if (process.env.REDIS_URL) v = await redisVisits(pkg, process.env.REDIS_URL);
  else if (process.env.DEMO_STATE === 'memory') v = await memoryVisits(pkg);
  else v = await sqliteVisits(pkg, path.resolve(root, process.env.DEMO_STATE_DIR ?? '.cache/demo'));
  return { ttlMs: VISIT_TTL_MS, ...v };
}
