// The demo's Web Monetization page end to end: www/server.mjs (with the local
// Interledger network behind it) and www/monetized.html in headless Chromium, with no
// extension. The page is written only against the Web Monetization spec (two link tags,
// `monetization` listeners); the stand-in wallet script pays it through monetize().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { launchChromium, root, startDemoServer, stopChild } from './support.mjs';

let server;
let base;
let control;
let browser;
let page;
const pageErrors = [];


/** What the stack's receivers for the page's two links got (units of 1e-9 USD). */
async function received () {
  const { connections } = (await control('connections')).body;
  const sum = (name) => connections.filter((c) => c.name === name).reduce((a, c) => a + BigInt(c.totalReceived), 0n);
  return { author: sum('stream/wm-author'), platform: sum('stream/wm-platform') };
}

before(async () => {
  ({ server, base, control } = await startDemoServer());
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopChild(server);
});

test('the publisher\'s page uses only the Web Monetization spec: link tags and listeners', async () => {
  const html = await readFile(path.join(root, 'www/monetized.html'), 'utf8');
  const publisher = await readFile(path.join(root, 'www/publisher.js'), 'utf8');
  assert.equal((html.match(/<link rel="monetization" href="[^"]+"/g) ?? []).length, 2);
  for (const text of [html.replace(/<!--[\s\S]*?-->/g, ''), publisher]) {
    assert.ok(!/PaymentStream|ilp_stream_web|monetize\(/.test(text), 'no payment code in the publisher\'s page');
  }
  assert.match(publisher, /addEventListener\('monetization'/);
});

test('the main demo links to the Web Monetization page', async () => {
  await page.goto(base);
  const href = await page.getAttribute('#wm-demo', 'href');
  assert.equal(href, '/monetized.html');
});

test('the page is paid over STREAM in headless Chromium, no extension: both links get events, the receivers split the rate', async () => {
  await page.goto(`${base}monetized.html`);
  assert.equal(await page.evaluate(() => document.createElement('link').relList.supports('monetization')), false,
    'this Chromium has no Web Monetization of its own');
  const state = () => page.evaluate(() => ({
    wallet: document.getElementById('wallet').textContent,
    author: document.getElementById('author-events').textContent,
    platform: document.getElementById('platform-events').textContent
  }));
  try {
    await page.waitForSelector('body[data-monetized="true"]', { timeout: 15_000 });
    await page.waitForFunction(() => Number(document.getElementById('author-events').textContent) >= 3 &&
      Number(document.getElementById('platform-events').textContent) >= 3, null, { timeout: 15_000 });
  } catch (err) {
    throw new Error(`${err.message}; page: ${JSON.stringify(await state())}; errors: ${JSON.stringify(pageErrors)}`);
  }
  await page.waitForTimeout(2_000);
  const shown = await page.evaluate(() => ({
    author: document.getElementById('author-total').dataset.raw,
    platform: document.getElementById('platform-total').dataset.raw,
    text: document.getElementById('author-total').textContent
  }));
  assert.match(shown.text, /^0\.[0-9]+ USD$/);
  const got = await received();
  assert.ok(got.author > 0n && got.platform > 0n, `both receivers paid: ${got.author}, ${got.platform}`);
  const ratio = Number(got.author) / Number(got.platform);
  assert.ok(ratio > 0.75 && ratio < 1.33, `an even split: author ${got.author}, platform ${got.platform}`);
  // The page's own count (from amountSent.value) is what reached each receiver, to within
  // what was still in flight when it was read.
  for (const who of ['author', 'platform']) {
    const pageUnits = BigInt(Math.round(Number(shown[who]) * 1e9));
    assert.ok(pageUnits > 0n && pageUnits <= got[who], `${who}: page ${pageUnits}, receiver ${got[who]}`);
  }
  assert.match(await page.textContent('#receipt'), /Latest receipt/);
  assert.match(await page.textContent('#wallet'), /paying 2 link\(s\)/);
  assert.deepEqual(pageErrors, []);
  console.log(`author ${got.author}, platform ${got.platform} (units of 1e-9 USD)`);
});
