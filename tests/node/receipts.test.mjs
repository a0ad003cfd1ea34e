// ReceiptVerifier with each store (MemoryStore, SqliteStore, RedisStore on the
// redis-server `make node` starts): the RFC 39 vectors, forged (every bit of every
// byte), truncated, extended, wrong-version, bad-base64, unknown, expired, replayed
// and out-of-order receipts. After every refusal the credited totals are unchanged.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadPackage, makeReceipt, redisPrefix, redisUrl, tempDir } from './support/receipts.mjs';

// From the project digest's vectors/receipts.json: receipt_v1 is interledgerjs
// ilp-protocol-stream's test/util/receipt.spec.ts vector, receipt_v1_b a computed one;
// the Web Monetization docs' example receipt is a 65-byte placeholder, not a receipt.
const vectors = {
  receipt_v1: {
    nonce: '00000000000000000000000000000000', streamId: 1, totalReceived: '500',
    secret: '0000000000000000000000000000000000000000000000000000000000000000',
    hex: '01000000000000000000000000000000000100000000000001f4c122fa0252debb672d591823f710e99516d67385cf397da87cc8f9e8c8bf5130',
    base64: 'AQAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAfTBIvoCUt67Zy1ZGCP3EOmVFtZzhc85fah8yPnoyL9RMA==',
  },
  receipt_v1_b: {
    nonce: '000102030405060708090a0b0c0d0e0f', streamId: 1, totalReceived: '12345',
    secret: '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f',
    hex: '01000102030405060708090a0b0c0d0e0f010000000000003039f95eeed03516c4e36065cc765e1c63d82f6dd9a90f0d338a1e56db9e35a26e8f',
    base64: 'AQABAgMEBQYHCAkKCwwNDg8BAAAAAAAAMDn5Xu7QNRbE42BlzHZeHGPYL23ZqQ8NM4oeVtueNaJujw==',
  },
  wm_docs_example_receipt_warning: {
    base64: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAPoAAAAAF5h2Mk=',
  },
};
const hexToB64 = (hex) => Buffer.from(hex, 'hex').toString('base64');

let pkg;
let dir;
before(async () => {
  assert.ok(redisUrl, 'run through `make node` (scripts/with-services.mjs --redis sets ILP_TEST_REDIS_URL)');
  pkg = await loadPackage();
  dir = await tempDir('receipts-unit');
});
after(() => rm(dir, { recursive: true, force: true }));

/** A settable clock for the stores that take one. */
function clock(start = 1_700_000_000_000) {
  const c = () => c.t;
  c.t = start;
  return c;
}

let files = 0;
const stores = {
  memory: {
    make: (now) => new pkg.MemoryStore({ now }),
    fakeClock: true,
  },
  sqlite: {
    make: (now) => new pkg.SqliteStore({ filename: path.join(dir, `unit-${++files}.db`), now }),
    fakeClock: true,
  },
  redis: {
    make: () => new pkg.RedisStore({ url: redisUrl, prefix: redisPrefix('unit') }),
    fakeClock: false,
  },
};

function rejectsWith(promise, code) {
  return assert.rejects(promise, (e) => {
    assert.equal(e.name, 'ReceiptError');
    assert.ok(e instanceof pkg.ReceiptError, 'a ReceiptError instance');
    assert.equal(e.code, code, e.message);
    return true;
  });
}

for (const [name, kind] of Object.entries(stores)) {
  describe(`ReceiptVerifier with ${name} store`, () => {
    let store;
    let now;
    let v;
    before(() => {
      now = clock();
      store = kind.make(now);
      v = new pkg.ReceiptVerifier({ store });
    });
    after(() => store.close());

    test('verifies the RFC 39 vectors with their nonce and secret', async () => {
      for (const key of ['receipt_v1', 'receipt_v1_b']) {
        const vec = vectors[key];
        const nonce = hexToB64(vec.nonce);
        await store.putNonce({ nonce, secret: hexToB64(vec.secret), visitorId: `vector-${key}-${name}`, ttlMs: v.ttlMs });
        assert.equal(hexToB64(vec.hex), vec.base64);
        const r = await v.verify(vec.base64);
        assert.deepEqual(r, {
          increase: BigInt(vec.totalReceived), totalReceived: BigInt(vec.totalReceived),
          visitorId: `vector-${key}-${name}`, nonce, streamId: vec.streamId,
        });
        assert.deepEqual(await v.verify(vec.base64), { ...r, increase: 0n }, 'the same vector again: replay');
      }
    });

    test('newNonce gives 16 + 32 random bytes, base64, remembered for the visitor', async () => {
      const a = await v.newNonce('alice');
      const b = await v.newNonce('alice');
      assert.equal(Buffer.from(a.nonce, 'base64').length, 16);
      assert.equal(Buffer.from(a.secret, 'base64').length, 32);
      assert.notEqual(a.nonce, b.nonce);
      assert.notEqual(a.secret, b.secret);
      assert.equal(a.visitorId, 'alice');
      assert.ok(a.expiresAt > Date.now());
      assert.deepEqual(await store.getNonce(a.nonce), { secret: a.secret, visitorId: 'alice' });
      for (const bad of ['', 42, undefined, 'x'.repeat(257)]) {
        await rejectsWith(v.newNonce(bad), 'invalid-option');
      }
    });

    test('credits increases only: replayed and out-of-order receipts give 0n, totals only grow', async () => {
      const n = await v.newNonce('bob');
      const r = (total, streamId = 1) => v.verify(makeReceipt(n.nonce, n.secret, total, streamId));
      const seen = [];
      for (const total of [100, 300, 300, 200, 100, 301, 0]) {
        const got = await r(total);
        seen.push([got.increase, got.totalReceived]);
      }
      assert.deepEqual(seen, [[100n, 100n], [200n, 300n], [0n, 300n], [0n, 300n], [0n, 300n], [1n, 301n], [0n, 301n]]);
      // Streams of one connection count apart.
      assert.deepEqual([(await r(50, 3)).increase, (await r(40, 3)).increase, (await r(70, 3)).increase], [50n, 0n, 20n]);
      assert.equal(await v.total('bob'), 301n + 70n);
      // u64 extremes.
      const big = await v.newNonce('bob');
      const max = 2n ** 64n - 1n;
      assert.equal((await v.verify(makeReceipt(big.nonce, big.secret, max - 1n))).increase, max - 1n);
      assert.equal((await v.verify(makeReceipt(big.nonce, big.secret, max))).increase, 1n);
      assert.equal((await v.verify(makeReceipt(big.nonce, big.secret, max))).totalReceived, max);
      assert.equal(await v.total('bob'), 371n + max);
    });

    test('removeVisitor deletes the visitor\'s nonces and totals, and no other visitor\'s', async () => {
      const d1 = await v.newNonce('removed-dave');
      const d2 = await v.newNonce('removed-dave');
      const e = await v.newNonce('kept-erin');
      assert.equal((await v.verify(makeReceipt(d1.nonce, d1.secret, 10))).increase, 10n);
      assert.equal((await v.verify(makeReceipt(d2.nonce, d2.secret, 20, 2))).increase, 20n);
      assert.equal((await v.verify(makeReceipt(e.nonce, e.secret, 30))).increase, 30n);
      assert.equal(await v.removeVisitor('removed-dave'), 2);
      assert.equal(await store.getNonce(d1.nonce), null);
      assert.equal(await store.getNonce(d2.nonce), null);
      assert.equal(await v.total('removed-dave'), 0n);
      // Its receipts are unknown now (a newer one is not credited either).
      await rejectsWith(v.verify(makeReceipt(d1.nonce, d1.secret, 11)), 'unknown-receipt-nonce');
      // Another visitor's nonces and totals are untouched.
      assert.equal(await v.total('kept-erin'), 30n);
      assert.equal((await v.verify(makeReceipt(e.nonce, e.secret, 35))).increase, 5n);
      assert.equal(await v.removeVisitor('removed-dave'), 0);
      assert.equal(await v.removeVisitor('nobody'), 0);
      await rejectsWith(v.removeVisitor(''), 'invalid-option');
    });

    test('forged receipts (each bit of each byte flipped) are refused with typed errors, never credited', async () => {
      const n = await v.newNonce('carol');
      const good = Buffer.from(makeReceipt(n.nonce, n.secret, 1000), 'base64');
      assert.equal((await v.verify(good.toString('base64'))).increase, 1000n);
      const codes = new Map();
      for (let i = 0; i < 58; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const forged = Buffer.from(good);
          forged[i] ^= 1 << bit;
          const code = await v.verify(forged.toString('base64')).then(() => 'credited', (e) => e.code);
          const expected = i === 0 ? 'invalid-receipt-version' : i <= 16 ? 'unknown-receipt-nonce' : 'invalid-receipt-signature';
          assert.equal(code, expected, `byte ${i} bit ${bit}`);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }
      assert.deepEqual(Object.fromEntries(codes), {
        'invalid-receipt-version': 8, 'unknown-receipt-nonce': 128, 'invalid-receipt-signature': 328,
      });
      // A higher total with the right nonce but another secret: forged.
      await rejectsWith(v.verify(makeReceipt(n.nonce, Buffer.alloc(32, 7).toString('base64'), 5000)), 'invalid-receipt-signature');
      assert.equal(await v.total('carol'), 1000n, 'nothing credited by any forgery');
      assert.equal((await v.verify(good.toString('base64'))).totalReceived, 1000n);
    });

    test('truncated, extended, wrong-version and non-base64 receipts are refused by the core', async () => {
      const n = await v.newNonce('dave');
      const good = Buffer.from(makeReceipt(n.nonce, n.secret, 77), 'base64');
      for (let len = 0; len < 58; len++) {
        await rejectsWith(v.verify(good.subarray(0, len).toString('base64')), 'invalid-receipt-length');
      }
      for (const extra of [1, 2, 3, 22, 100, 10_000]) {
        await rejectsWith(v.verify(Buffer.concat([good, Buffer.alloc(extra)]).toString('base64')), 'invalid-receipt-length');
      }
      for (const version of [0, 2, 255]) {
        const other = Buffer.from(good);
        other[0] = version;
        await rejectsWith(v.verify(other.toString('base64')), 'invalid-receipt-version');
      }
      for (const text of ['!!!!', `${good.toString('base64').slice(0, 40)} ${good.toString('base64').slice(41)}`, 'A=AA']) {
        await rejectsWith(v.verify(text), 'invalid-receipt-base64');
      }
      for (const value of [undefined, null, 42, good, {}]) {
        await rejectsWith(v.verify(value), 'invalid-receipt-base64');
      }
      assert.equal(await v.total('dave'), 0n);
      // URL-safe and unpadded text of the same bytes is the same receipt.
      assert.equal((await v.verify(good.toString('base64url'))).increase, 77n);
      assert.equal((await v.verify(good.toString('base64'))).increase, 0n);
    });

    test('unknown nonces and nonces of another visitor are refused before any credit', async () => {
      const secret = Buffer.alloc(32, 1).toString('base64');
      await rejectsWith(v.verify(makeReceipt(Buffer.alloc(16, 9).toString('base64'), secret, 10)), 'unknown-receipt-nonce');
      const n = await v.newNonce('erin');
      const receipt = makeReceipt(n.nonce, n.secret, 10);
      await rejectsWith(v.verify(receipt, { visitorId: 'mallory' }), 'receipt-visitor-mismatch');
      // The HMAC is checked first: a forgery learns nothing about whose nonce it is.
      await rejectsWith(v.verify(makeReceipt(n.nonce, secret, 10), { visitorId: 'mallory' }), 'invalid-receipt-signature');
      assert.equal(await v.total('erin'), 0n);
      assert.equal((await v.verify(receipt, { visitorId: 'erin' })).increase, 10n);
      assert.equal(await v.total('mallory'), 0n);
    });

    test('an expired nonce is refused, and its totals expire with it', async () => {
      const ttlMs = kind.fakeClock ? 60_000 : 1500; // real time for Redis: slack for a busy machine
      const short = new pkg.ReceiptVerifier({ store, ttlMs });
      const n = await short.newNonce('frank');
      const later = async (ms) => {
        if (kind.fakeClock) now.t += ms;
        else await new Promise((r) => setTimeout(r, ms));
      };
      assert.equal((await short.verify(makeReceipt(n.nonce, n.secret, 5))).increase, 5n);
      await later(ttlMs * 0.6);
      // A verified receipt keeps the nonce for another ttlMs.
      assert.equal((await short.verify(makeReceipt(n.nonce, n.secret, 8))).increase, 3n);
      await later(ttlMs * 0.6);
      assert.equal((await short.verify(makeReceipt(n.nonce, n.secret, 9))).increase, 1n);
      assert.equal(await short.total('frank'), 9n);
      await later(ttlMs * 1.5);
      await rejectsWith(short.verify(makeReceipt(n.nonce, n.secret, 9)), 'unknown-receipt-nonce');
      await rejectsWith(short.verify(makeReceipt(n.nonce, n.secret, 20)), 'unknown-receipt-nonce');
      assert.equal(await store.getNonce(n.nonce), null);
      assert.equal(await short.total('frank'), 0n);
    });
  });
}

test('ReceiptVerifier and the stores refuse bad options with invalid-option', () => {
  const bad = [
    () => new pkg.ReceiptVerifier(),
    () => new pkg.ReceiptVerifier({ store: {} }),
    () => new pkg.ReceiptVerifier({ store: new pkg.MemoryStore(), ttlMs: 0 }),
    () => new pkg.ReceiptVerifier({ store: new pkg.MemoryStore(), ttlMs: 1.5 }),
    () => new pkg.SqliteStore({}),
    () => new pkg.RedisStore({}),
    () => new pkg.RedisStore({ client: {} }),
  ];
  for (const f of bad) assert.throws(f, (e) => e.name === 'ReceiptError' && e.code === 'invalid-option', String(f));
});

test('the core checks are exported: decodeReceipt reads, verifyReceipt checks the HMAC', () => {
  const vec = vectors.receipt_v1;
  assert.deepEqual(pkg.decodeReceipt(vec.base64), { nonce: hexToB64(vec.nonce), streamId: 1, totalReceived: 500n });
  assert.deepEqual(pkg.verifyReceipt(vec.base64, hexToB64(vec.secret)), { nonce: hexToB64(vec.nonce), streamId: 1, totalReceived: 500n });
  assert.throws(() => pkg.verifyReceipt(vec.base64, Buffer.alloc(32, 1).toString('base64')), { name: 'ReceiptError', code: 'invalid-receipt-signature' });
  assert.throws(() => pkg.verifyReceipt(vec.base64, 'AAAA'), { name: 'ReceiptError', code: 'invalid-receipt-secret' });
  assert.throws(() => pkg.decodeReceipt(vectors.wm_docs_example_receipt_warning.base64), { code: 'invalid-receipt-length' });
});
