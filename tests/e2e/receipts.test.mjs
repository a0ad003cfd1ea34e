// ReceiptVerifier in the browser, where a MemoryStore makes sense (a worker or a page
// that meters for itself): in headless Chromium, spspWithReceipts asks the reference
// network's receiver (network/stack.mjs, which serves this checkout, so the page and
// pkg/ share its origin) for a connection with a receipt nonce, a PaymentStream in the
// same page pays it, and every receipt verifies; the increases add up to what was
// delivered, a replay is 0 and a forgery is refused. `make e2e` builds pkg/ first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, startStack, stopChild } from './support.mjs';

let stack;
let info;
let browser;

before(async () => {
  ({ stack, info } = await startStack());
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await stopChild(stack);
});

test('in Chromium: receipts of a PaymentStream verify with a MemoryStore; replays 0, forgeries refused', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${info.httpUrl}/tests/e2e/pages/receipts.html`);
  await page.waitForSelector('html[data-ready="true"]');
  const out = await page.evaluate(async ({ btp, receiver }) => {
    const { ReceiptVerifier, MemoryStore, PaymentStream, spspWithReceipts } = window.pkg;
    const verifier = new ReceiptVerifier({ store: new MemoryStore() });
    const spsp = await spspWithReceipts({ receiver, verifier, visitorId: 'page' });
    const s = new PaymentStream({ btp, destinationAccount: spsp.destination_account, sharedSecret: spsp.shared_secret, amountPerSecond: '0' });
    const receipts = [];
    s.addEventListener('progress', (e) => { if (e.detail.receipt) receipts.push(e.detail.receipt); });
    await s.start();
    await s.pay('4000');
    await s.stop();
    let credited = 0n;
    for (const r of receipts) credited += (await verifier.verify(r, { visitorId: 'page' })).increase;
    const replay = (await verifier.verify(receipts[0])).increase;
    const bytes = Uint8Array.from(atob(receipts.at(-1)), (c) => c.charCodeAt(0));
    bytes[25] ^= 1; // the total's last byte
    const forged = await verifier.verify(btoa(String.fromCharCode(...bytes))).then(() => 'credited', (e) => `${e.name} ${e.code}`);
    return {
      receipts: receipts.length,
      credited: String(credited),
      delivered: s.totalDelivered,
      total: String(await verifier.total('page')),
      replay: String(replay),
      forged,
      keys: Object.keys(spsp).sort(),
    };
  }, { btp: info.btpUrl, receiver: info.paymentPointerUrl });
  await page.close();
  assert.deepEqual(errors, []);
  assert.ok(out.receipts > 0, 'receipts arrived');
  assert.ok(BigInt(out.delivered) > 0n);
  assert.equal(out.credited, out.delivered, 'every delivered unit credited once');
  assert.equal(out.total, out.delivered);
  assert.equal(out.replay, '0');
  assert.equal(out.forged, 'ReceiptError invalid-receipt-signature');
  assert.deepEqual(out.keys, ['destination_account', 'receipts_enabled', 'shared_secret']);
});
