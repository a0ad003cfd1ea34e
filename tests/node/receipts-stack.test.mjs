// Real receipts: spspWithReceipts asks the reference stack's receiver
// (ilp-protocol-stream, network/stack.mjs, started by `make node`) for a connection
// with a visitor's receipt nonce and secret; a PaymentStream pays it from Node; every
// receipt its progress events carry verifies, and the increases add up to what the
// receiver reported delivered. Plus the helper's refusals, against a local server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { loadPackage } from './support/receipts.mjs';

const btp = process.env.ILP_TEST_STACK_BTP_URL;
const receiver = process.env.ILP_TEST_STACK_PAYMENT_POINTER_URL;

let pkg;
let server;
let serverUrl;
let answer; // what the local SPSP server answers next
const seen = []; // request headers it got
before(async () => {
  assert.ok(btp && receiver, 'run through `make node` (the reference stack sets ILP_TEST_STACK_*)');
  pkg = await loadPackage('node-user-receipts-stack');
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(answer.status, { 'content-type': 'application/spsp4+json' });
    res.end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  serverUrl = `http://127.0.0.1:${server.address().port}/.well-known/pay`;
});
after(() => server?.close());

test('receipts from the reference receiver verify; their increases add up to what was delivered', async () => {
  const store = new pkg.MemoryStore();
  const verifier = new pkg.ReceiptVerifier({ store });
  const spsp = await pkg.spspWithReceipts({ receiver, verifier, visitorId: 'visitor-1' });
  assert.equal(spsp.receipts_enabled, true);
  assert.equal(typeof spsp.destination_account, 'string');
  assert.equal(Buffer.from(spsp.shared_secret, 'base64').length, 32);
  assert.ok(!JSON.stringify(spsp).toLowerCase().includes('receipt_secret'), 'no receipt secret for the page');

  const s = new pkg.PaymentStream({
    btp, destinationAccount: spsp.destination_account, sharedSecret: spsp.shared_secret, amountPerSecond: '0', WebSocket,
  });
  const receipts = [];
  s.addEventListener('progress', (e) => { if (e.detail.receipt) receipts.push(e.detail.receipt); });
  await s.start();
  await s.pay('3000');
  await s.pay('2000');
  await s.stop();
  assert.ok(receipts.length > 0, 'progress events carried receipts');

  let credited = 0n;
  let last = 0n;
  for (const receipt of receipts) {
    const r = await verifier.verify(receipt, { visitorId: 'visitor-1' });
    assert.equal(r.visitorId, 'visitor-1');
    credited += r.increase;
    assert.ok(r.totalReceived >= last);
    last = r.totalReceived;
  }
  assert.ok(BigInt(s.totalDelivered) > 0n);
  assert.equal(credited, BigInt(s.totalDelivered), 'every delivered unit credited once');
  assert.equal(await verifier.total('visitor-1'), credited);
  // Replaying them all credits nothing more.
  for (const receipt of receipts) assert.equal((await verifier.verify(receipt)).increase, 0n);
  // Another visitor's verifier (its own store) does not know the nonce.
  const other = new pkg.ReceiptVerifier({ store: new pkg.MemoryStore() });
  await assert.rejects(other.verify(receipts.at(-1)), { name: 'ReceiptError', code: 'unknown-receipt-nonce' });
});

test('spspWithReceipts sends the nonce and secret as headers and returns only the receiver\'s JSON', async () => {
  const store = new pkg.MemoryStore();
  const verifier = new pkg.ReceiptVerifier({ store });
  const json = { destination_account: 'test.x.y', shared_secret: Buffer.alloc(32, 3).toString('base64'), receipts_enabled: true };
  answer = { status: 200, body: JSON.stringify(json) };
  seen.length = 0;
  const got = await pkg.spspWithReceipts({ receiver: serverUrl, verifier, visitorId: 'v2', headers: { 'web-monetization-id': 'abc' } });
  assert.deepEqual(got, json);
  const h = seen[0];
  assert.equal(h['web-monetization-id'], 'abc');
  assert.match(h.accept, /application\/spsp4\+json/);
  const entry = await store.getNonce(h['receipt-nonce']);
  assert.deepEqual(entry, { secret: h['receipt-secret'], visitorId: 'v2' });
  assert.equal(Buffer.from(h['receipt-nonce'], 'base64').length, 16);
  assert.equal(Buffer.from(h['receipt-secret'], 'base64').length, 32);
});

test('spspWithReceipts refuses receivers without receipts, errors, bad JSON and bad receivers', async () => {
  const verifier = new pkg.ReceiptVerifier({ store: new pkg.MemoryStore() });
  const ask = (receiverUrl = serverUrl) => pkg.spspWithReceipts({ receiver: receiverUrl, verifier, visitorId: 'v3' });
  const cases = [
    [{ status: 200, body: JSON.stringify({ destination_account: 'test.a', shared_secret: 'AAAA' }) }, 'receipts-not-enabled'],
    [{ status: 200, body: JSON.stringify({ destination_account: 'test.a', shared_secret: 'AAAA', receipts_enabled: 'yes' }) }, 'receipts-not-enabled'],
    [{ status: 404, body: JSON.stringify({ id: 'InvalidReceiverError' }) }, 'spsp-failed'],
    [{ status: 200, body: 'not json' }, 'spsp-failed'],
    [{ status: 200, body: JSON.stringify({ receipts_enabled: true }) }, 'spsp-failed'],
  ];
  for (const [a, code] of cases) {
    answer = a;
    await assert.rejects(ask(), (e) => e.name === 'ReceiptError' && e.code === code, a.body);
  }
  for (const bad of ['http://example.com/pay', 'ftp://x', '$', 'bob']) {
    await assert.rejects(ask(bad), (e) => e.code === 'invalid-receiver', bad);
  }
  await assert.rejects(pkg.spspWithReceipts({ receiver: serverUrl, verifier: {}, visitorId: 'v' }), { code: 'invalid-option' });
  await assert.rejects(pkg.spspWithReceipts({ receiver: serverUrl, verifier, visitorId: '' }), { code: 'invalid-option' });
});
