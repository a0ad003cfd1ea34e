// Several verifier processes on one store: two processes sharing one Redis (the
// redis-server `make node` starts), then two sharing one SQLite file, verify the
// same receipts at the same moment, each in its own shuffled order, several at a
// time; every unit is credited exactly once (the two processes' increases add up
// to each nonce's highest total, and nothing is refused). Then SQLite across a
// process restart: one process verifies and exits, a new one continues from the
// file, a replay still gives 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPackage, makeReceipt, redisPrefix, redisUrl, root, tempDir } from './support/receipts.mjs';

const WORKER = path.join(root, 'tests/node/support/receipt-worker.mjs');
const NONCES = 16;
const RECEIPTS_PER_NONCE = 24;

let pkg;
let dir;
let files = 0;
before(async () => {
  assert.ok(redisUrl, 'run through `make node` (scripts/with-services.mjs --redis sets ILP_TEST_REDIS_URL)');
  pkg = await loadPackage('node-user-receipts-concurrency');
  dir = await tempDir('receipts-concurrency');
});
after(() => rm(dir, { recursive: true, force: true }));

/** A seeded shuffle (xorshift32), so a failure names a reproducible order. */
function shuffle(list, seed) {
  const out = [...list];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Starts a worker; `next()` resolves with its next JSON line; `send()` writes a line to it. */
async function worker(storeSpec, ops) {
  const n = ++files;
  const storeFile = path.join(dir, `store-${n}.json`);
  const opsFile = path.join(dir, `ops-${n}.json`);
  await writeFile(storeFile, JSON.stringify(storeSpec));
  await writeFile(opsFile, JSON.stringify(ops));
  const child = spawn(process.execPath, [WORKER, storeFile, opsFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    async next() {
      const { value, done } = await lines.next();
      assert.ok(!done, 'the worker ended early');
      return JSON.parse(value);
    },
    send: (line) => child.stdin.write(`${line}\n`),
    exited,
  };
}

/** K nonces (made through `verifier`), each with receipts of strictly growing random totals. */
async function receiptSet(verifier) {
  const all = [];
  const highest = new Map();
  const visitors = new Map();
  for (let k = 0; k < NONCES; k++) {
    const visitorId = `visitor-${k % 5}`;
    const { nonce, secret } = await verifier.newNonce(visitorId);
    let total = 0n;
    for (let i = 0; i < RECEIPTS_PER_NONCE; i++) {
      total += BigInt(1 + ((k * 7919 + i * 104729) % 1000));
      all.push(makeReceipt(nonce, secret, total));
    }
    highest.set(nonce, total);
    visitors.set(visitorId, (visitors.get(visitorId) ?? 0n) + total);
  }
  return { all, highest, visitors };
}

async function twoAtOnce(storeSpec, store) {
  const verifier = new pkg.ReceiptVerifier({ store });
  const { all, highest, visitors } = await receiptSet(verifier);
  const ops = (seed) => [{ barrier: true }, { verify: shuffle(all, seed), concurrency: 8 }];
  const a = await worker(storeSpec, ops(1));
  const b = await worker(storeSpec, ops(2));
  assert.deepEqual([await a.next(), await b.next()], [{ ready: true }, { ready: true }]);
  a.send('go');
  b.send('go');
  const [ra, rb] = [await a.next(), await b.next()];
  assert.deepEqual([await a.exited, await b.exited], [0, 0]);
  assert.deepEqual([ra.errors, rb.errors], [{}, {}], 'no receipt refused');
  let credited = 0n;
  for (const [nonce, top] of highest) {
    const sum = BigInt(ra.increases[nonce] ?? 0) + BigInt(rb.increases[nonce] ?? 0);
    assert.equal(sum, top, `nonce ${nonce}: credited ${sum}, received ${top}`);
    credited += sum;
  }
  // Both processes did real work (neither got everything by going first).
  const part = (r) => Object.values(r.increases).reduce((s, x) => s + BigInt(x), 0n);
  assert.ok(part(ra) > 0n && part(rb) > 0n, `split ${part(ra)} / ${part(rb)}`);
  assert.equal(part(ra) + part(rb), credited);
  for (const [visitorId, total] of visitors) assert.equal(await verifier.total(visitorId), total, visitorId);
  // A replay of everything afterwards credits nothing.
  for (const receipt of all.slice(0, 40)) assert.equal((await verifier.verify(receipt)).increase, 0n);
}

test('two processes on one Redis verify the same receipts concurrently: every unit credited once', async () => {
  const prefix = redisPrefix('concurrency');
  const store = new pkg.RedisStore({ url: redisUrl, prefix });
  try {
    await twoAtOnce({ kind: 'redis', url: redisUrl, prefix }, store);
  } finally {
    await store.close();
  }
});

test('two processes on one SQLite file verify the same receipts concurrently: every unit credited once', async () => {
  const filename = path.join(dir, 'shared.db');
  const store = new pkg.SqliteStore({ filename });
  try {
    await twoAtOnce({ kind: 'sqlite', filename }, store);
  } finally {
    await store.close();
  }
});

test('SQLite across a process restart: a new process continues the totals; replays give 0', async () => {
  const spec = { kind: 'sqlite', filename: path.join(dir, 'restart.db') };
  const first = await worker(spec, [{ newNonce: 'returning-visitor' }]);
  const { nonce, secret } = await first.next();
  assert.equal(await first.exited, 0);
  const r = (t) => makeReceipt(nonce, secret, t);

  const before = await worker(spec, [{ verify: [r(100), r(250)] }, { total: 'returning-visitor' }]);
  assert.deepEqual(await before.next(), { increases: { [nonce]: '250' }, errors: {} });
  assert.deepEqual(await before.next(), { total: '250' });
  assert.equal(await before.exited, 0);

  // A new process on the same file: the nonce is known, old receipts count 0, new ones the increase.
  const afterRestart = await worker(spec, [
    { verify: [r(100)] }, { verify: [r(250)] }, { verify: [r(400)] }, { total: 'returning-visitor' },
    { newNonce: 'returning-visitor' },
  ]);
  assert.deepEqual(await afterRestart.next(), { increases: { [nonce]: '0' }, errors: {} });
  assert.deepEqual(await afterRestart.next(), { increases: { [nonce]: '0' }, errors: {} });
  assert.deepEqual(await afterRestart.next(), { increases: { [nonce]: '150' }, errors: {} });
  assert.deepEqual(await afterRestart.next(), { total: '400' });
  const second = await afterRestart.next();
  assert.equal(await afterRestart.exited, 0);

  // And this process sees what both wrote.
  const store = new pkg.SqliteStore({ filename: spec.filename });
  const v = new pkg.ReceiptVerifier({ store });
  assert.equal((await v.verify(makeReceipt(second.nonce, second.secret, 5))).increase, 5n);
  assert.equal(await v.total('returning-visitor'), 405n);
  assert.equal((await v.verify(r(400))).increase, 0n);
  await assert.rejects(v.verify(makeReceipt(nonce, Buffer.alloc(32).toString('base64'), 999)), { code: 'invalid-receipt-signature' });
  await store.close();
});
