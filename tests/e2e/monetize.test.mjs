// monetize() in headless Chromium against the reference Interledger network
// (network/stack.mjs, which also serves this checkout, so the test page and pkg/ share
// its origin). Each test opens a fresh page, adds <link rel="monetization"> elements
// whose SPSP URLs name the connections (/stream/<name>), calls monetize() and reads what
// each receiver got from the stack's control API (/control/connections, by name).
// `make e2e` builds pkg/ first.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, settled as settledTotal, sleep, startStack, stopChild, waitFor as waitUntil } from './support.mjs';

const RATE = 100_001n; // odd: the remainder of a two-way split rotates
let stack; // child process
let info; // the stack's ready line
let browser;
let page;
let pageErrors;

let control;
/** What each SPSP name's receivers got (all its connections), as BigInts. */
async function received () {
  const { connections } = await control('connections');
  const by = {};
  for (const c of connections) by[c.name] = (by[c.name] ?? 0n) + BigInt(c.totalReceived);
  return by;
}
const got = async (name) => (await received())[name] ?? 0n;
/** Waits until `name`'s total stops moving (packets in flight settled); returns it. */
const settled = (name) => settledTotal(() => got(name), name);
/** Waits until `fn()` is truthy; on a timeout, says what the page shows. */
const waitFor = (fn, what, ms = 10_000) => waitUntil(fn, what, ms, () => page.evaluate(() => ({
  links: window.m?.links.map((l) => ({ ...l, element: l.element.dataset.name })),
  errors: window.errors
})));

// In the page: adds links (name -> href), records the events each receives, starts
// monetize() with `options`. window.log[name] = [{ amount, value, ... }], window.errors[name].
async function setUp (links, options = {}) {
  await page.evaluate(({ links, options, btp, rate }) => {
    window.log = {};
    window.errors = {};
    for (const [name, href] of Object.entries(links)) {
      const link = document.createElement('link');
      link.rel = 'monetization';
      link.href = href;
      link.dataset.name = name;
      link.setAttribute('onmonetization', `window.inline_${name} = (window.inline_${name} || 0) + 1`);
      window.log[name] = [];
      window.errors[name] = [];
      link.addEventListener('monetization', (ev) => window.log[name].push({
        isEvent: ev instanceof window.wm.MonetizationEvent && ev instanceof Event,
        type: ev.type,
        bubbles: ev.bubbles,
        value: ev.amountSent.value,
        currency: ev.amountSent.currency,
        paymentPointer: ev.paymentPointer,
        incomingPayment: ev.incomingPayment,
        receipt: ev.receipt,
        amount: ev.amount,
        assetCode: ev.assetCode,
        assetScale: ev.assetScale
      }));
      link.addEventListener('error', (ev) => window.errors[name].push({ code: ev.detail.code, eventCode: ev.code, message: ev.detail.message }));
      document.head.append(link);
    }
    window.m = window.wm.monetize({ btp, amountPerSecond: rate, ...options });
  }, { links, options, btp: info.btpUrl, rate: RATE.toString() });
}
const events = (name) => page.evaluate((n) => window.log[n], name);
const links = () => page.evaluate(() => window.m.links.map((l) => ({ ...l, element: l.element.dataset.name })));

before(async () => {
  ({ stack, info, control } = await startStack());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopChild(stack);
});

beforeEach(async () => {
  await control('reset', {});
  page = await browser.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${info.httpUrl}/tests/e2e/pages/monetize.html`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
});

afterEach(async () => {
  await page.evaluate(() => window.m?.stop()).catch(() => {});
  await page.close();
  assert.deepEqual(pageErrors, [], 'nothing was thrown into the page');
});

test('two links: monetization events on both, the receivers split the rate in exact shares', async () => {
  await setUp({ author: '/stream/author', platform: '/stream/platform' });
  // `onmonetization` works too, and the event bubbles to the document.
  await page.evaluate(() => {
    window.viaHandler = 0;
    window.atDocument = 0;
    document.querySelector('link[data-name="author"]').onmonetization = () => { window.viaHandler++; };
    document.addEventListener('monetization', () => { window.atDocument++; });
  });
  await waitFor(async () => (await events('author')).length >= 3 && (await events('platform')).length >= 3, 'events on both links');
  // Exact integer shares summing to the rate, the remainder rotating between the links.
  const seen = new Set();
  for (let i = 0; i < 12; i++) {
    const ls = await links();
    assert.equal(ls.length, 2);
    const shares = ls.map((l) => BigInt(l.amountPerSecond));
    assert.equal(shares[0] + shares[1], RATE, `shares ${shares} sum to the rate`);
    assert.ok(shares.every((s) => s === RATE / 2n || s === RATE / 2n + 1n), `shares ${shares}`);
    seen.add(ls.find((l) => l.element === 'author').amountPerSecond);
    await sleep(250);
  }
  assert.equal(seen.size, 2, 'the extra unit rotates between the links');
  await sleep(2_000);
  const final = await page.evaluate(async () => {
    const r = await window.m.stop();
    return { totalSent: r.totalSent, links: r.links.map((l) => ({ ...l, element: l.element.dataset.name })) };
  });
  const author = await settled('stream/author');
  const platform = await settled('stream/platform');
  const byName = Object.fromEntries(final.links.map((l) => [l.element, l]));
  assert.equal(BigInt(byName.author.totalDelivered), author, 'the author\'s receiver got what its link reports');
  assert.equal(BigInt(byName.platform.totalDelivered), platform, 'the platform\'s receiver got what its link reports');
  assert.equal(BigInt(byName.author.totalSent), author, 'same asset and scale: sent = received');
  assert.equal(BigInt(final.totalSent), author + platform, 'totalSent: all links together');
  const ratio = Number(author) / Number(platform);
  assert.ok(ratio > 0.8 && ratio < 1.25, `split author ${author} / platform ${platform}`);
  assert.ok(author > 150_000n && platform > 150_000n, `both paid: ${author}, ${platform}`);
  for (const [name, href] of [['author', '/stream/author'], ['platform', '/stream/platform']]) {
    const log = await events(name);
    for (const e of log) {
      assert.equal(e.isEvent, true);
      assert.equal(e.type, 'monetization');
      assert.equal(e.bubbles, true);
      assert.equal(e.paymentPointer, href);
      assert.equal(e.incomingPayment, null);
      assert.equal(e.currency, 'USD');
      assert.equal(e.assetCode, 'USD');
      assert.equal(e.assetScale, 9);
      assert.match(e.amount, /^[1-9][0-9]*$/);
      // amountSent.value: the same amount as a decimal in USD.
      assert.equal(Number(e.value), Number(e.amount) / 1e9);
      assert.match(e.value, /^[0-9]+(\.[0-9]*[1-9])?$/);
      assert.equal(Buffer.from(e.receipt, 'base64').length, 58, 'an RFC 39 receipt');
    }
    const sum = log.reduce((a, e) => a + BigInt(e.amount), 0n);
    assert.ok(sum > 0n && sum <= BigInt(byName[name].totalSent), `${name}: events add up to at most what was sent`);
  }
  const { viaHandler, atDocument, inline } = await page.evaluate(() => ({ viaHandler: window.viaHandler, atDocument: window.atDocument, inline: window.inline_platform }));
  assert.ok(viaHandler >= 1, 'onmonetization was called');
  assert.ok(inline >= 1, 'an onmonetization="…" attribute was called');
  assert.ok(atDocument >= 2, 'the events bubble to the document');
  console.log(`author ${author}, platform ${platform} (units of 1e-9 USD)`);
});

test('removing a link stops its payments; the other link gets the whole rate', async () => {
  await setUp({ a: '/stream/keep', b: '/stream/removed' });
  await waitFor(async () => (await events('a')).length >= 2 && (await events('b')).length >= 2, 'events on both links');
  await page.evaluate(() => document.querySelector('link[data-name="b"]').remove());
  const removed = await settled('stream/removed');
  const keep = await got('stream/keep');
  await sleep(2_000);
  assert.equal(await got('stream/removed'), removed, 'nothing more for the removed link');
  assert.ok(await got('stream/keep') > keep + RATE, 'the remaining link is paid the whole rate');
  const ls = await links();
  assert.deepEqual(ls.map((l) => [l.element, l.amountPerSecond]), [['a', RATE.toString()]]);
  const total = BigInt(await page.evaluate(() => window.m.totalSent));
  assert.ok(total >= removed + keep, 'totalSent still counts the removed link');
});

test('disabling a link stops it; changing href moves the payments', async () => {
  await setUp({ a: '/stream/before' });
  await waitFor(async () => (await events('a')).length >= 2, 'events');
  await page.evaluate(() => document.querySelector('link[data-name="a"]').setAttribute('href', '/stream/after'));
  const before = await settled('stream/before');
  await waitFor(async () => (await got('stream/after')) > 0n, 'payments to the new href');
  await sleep(1_500);
  assert.equal(await got('stream/before'), before, 'the old href gets nothing more');
  assert.ok(await got('stream/after') > RATE / 2n);
  const log = await events('a');
  assert.equal(log.at(-1).paymentPointer, '/stream/after', 'events name the new href');
  // disabled: not monetized any more.
  await page.evaluate(() => { document.querySelector('link[data-name="a"]').disabled = true; });
  const after = await settled('stream/after');
  await sleep(1_500);
  assert.equal(await got('stream/after'), after, 'a disabled link is not paid');
  assert.deepEqual(await links(), []);
});

test("whenHidden 'pause': nothing is paid while the document is hidden, payments resume on return", async () => {
  await setUp({ a: '/stream/visible' });
  await waitFor(async () => (await events('a')).length >= 2, 'events');
  const setHidden = (hidden) => page.evaluate((hidden) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  const paused = await settled('stream/visible');
  const n = (await events('a')).length;
  await sleep(2_000);
  assert.equal(await got('stream/visible'), paused, 'nothing paid while hidden');
  assert.equal((await events('a')).length, n, 'no monetization events while hidden');
  await setHidden(false);
  await waitFor(async () => (await got('stream/visible')) > paused + RATE / 2n, 'payments after the page is visible again');
});

test("whenHidden 'continue' keeps paying while hidden", async () => {
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  });
  await setUp({ a: '/stream/hidden' }, { whenHidden: 'continue' });
  await waitFor(async () => (await got('stream/hidden')) > RATE, 'payments while hidden');
});

test('relList.supports("monetization") already true: monetize() pays nothing (unless force)', async () => {
  await page.evaluate(() => {
    const supports = DOMTokenList.prototype.supports;
    DOMTokenList.prototype.supports = function (token) {
      return token === 'monetization' ? true : supports.call(this, token);
    };
  });
  await setUp({ a: '/stream/native' });
  assert.equal(await page.evaluate(() => window.m.active), false);
  await sleep(2_500);
  assert.equal((await received())['stream/native'], undefined, 'no SPSP query, no connection');
  assert.deepEqual(await events('a'), []);
  assert.equal(await page.evaluate(() => window.m.totalSent), '0');
  // force: true pays anyway.
  await page.evaluate(({ btp }) => { window.forced = window.wm.monetize({ btp, amountPerSecond: '100000', force: true }); }, { btp: info.btpUrl });
  await waitFor(async () => (await got('stream/native')) > 0n, 'payments with force');
  await page.evaluate(() => window.forced.stop());
});

test('a link whose receiver fails gets an error event; the other links go on with the whole rate', async () => {
  await setUp({ good: '/stream/good', bad: '/unknown' });
  await waitFor(async () => (await page.evaluate(() => window.errors.bad.length)) > 0, 'an error event on the failing link');
  const [err] = await page.evaluate(() => window.errors.bad);
  assert.equal(err.code, 'spsp-failed');
  assert.equal(err.eventCode, 'spsp-failed');
  await waitFor(async () => (await events('good')).length >= 2, 'events on the good link');
  const ls = await links();
  const byName = Object.fromEntries(ls.map((l) => [l.element, l]));
  assert.equal(byName.bad.state, 'failed');
  assert.equal(byName.good.amountPerSecond, RATE.toString(), 'the failed link\'s share goes to the others');
  const g = await got('stream/good');
  await sleep(1_500);
  assert.ok(await got('stream/good') > g + RATE / 2n, 'the good link keeps being paid');
  assert.deepEqual(await page.evaluate(() => window.errors.good), []);
});
