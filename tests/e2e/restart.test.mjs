// The demo server restarted in the middle of a visit: what the visit paid for stays
// unlocked, its cookie stays valid, and the page, still open and paying, reconnects and
// its credit continues from where it was. Once with the default store (SQLite, a file in a
// state folder) and once with REDIS_URL, on the redis-server the test command starts
// (`make e2e`: scripts/with-services.mjs --redis, ILP_TEST_REDIS_URL). The server's network restarts with it (new ports,
// a new receiver that knows nothing of the old connections), as with `make demo`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, launchChromium, startDemoServer, stopChild, visitCookie } from './support.mjs';

let browser;
const dirs = [];

before(async () => { browser = await launchChromium(); });
after(async () => {
  await browser?.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const unlockedInPage = (page) => page.$eval('#unlocked', (el) => Number(el.dataset.raw));

async function visitOf (base, cookie) {
  const res = await fetch(`${base}session`, { headers: { cookie: `__Host-demo_visit=${cookie}` } });
  assert.equal(res.status, 200);
  return res.json();
}

async function restartMidVisit (env) {
  const port = await freePort();
  let demo = await startDemoServer(30_000, { port, env });
  const base = demo.base;
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  try {
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    const run1 = await page.$eval('body', (b) => b.dataset.run);
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('unlocked').dataset.raw) >= 3, null, { timeout: 20_000 });
    const cookie = await visitCookie(context);
    const before = await visitOf(base, cookie);
    assert.ok(before.unlocked >= 3);

    // Restart while the page is streaming.
    const t0 = Date.now();
    await stopChild(demo.server);
    demo = await startDemoServer(30_000, { port, env });
    assert.equal(demo.base, base, 'the same origin: the page and its cookie stay valid');

    // Right away, before any new payment: the visit has everything it paid for.
    const at = await visitOf(base, cookie);
    assert.notEqual(at.run, before.run, 'a new run of the server');
    assert.ok(BigInt(at.credit) >= BigInt(before.credit), `credit ${at.credit} kept (was ${before.credit})`);
    assert.ok(at.unlocked >= before.unlocked);
    for (let n = 0; n < before.unlocked; n++) {
      const unit = await fetch(`${base}session/content/${n}`, { headers: { cookie: `__Host-demo_visit=${cookie}` } });
      assert.equal(unit.status, 200, `unit ${n} stays unlocked`);
    }

    // The open page notices, reconnects and pays on: credit goes on from where it was.
    const pageState = () => page.evaluate(() => ({
      ...document.body.dataset, status: document.getElementById('status').textContent, error: document.getElementById('error').textContent
    }));
    try {
      await page.waitForFunction((r) => document.body.dataset.run !== r, run1, { timeout: 20_000 });
      await page.waitForFunction((n) => Number(document.getElementById('unlocked').dataset.raw) >= n + 2, before.unlocked, { timeout: 30_000 });
    } catch (err) {
      throw new Error(`${err.message}; the page: ${JSON.stringify(await pageState())}`);
    }
    console.log(`paying again ${Date.now() - t0} ms after the restart began`);
    const later = await visitOf(base, cookie);
    assert.ok(BigInt(later.credit) > BigInt(before.credit), 'credit continues');
    assert.ok(later.connections.some((c) => c.current) && later.connections.some((c) => !c.current),
      'the old connection (credited by its receipts) and a new one');
    const paras = await page.$$eval('#article p.unlocked', (l) => l.length);
    assert.ok(paras >= Math.ceil(before.unlocked / 2), 'the unlocked text is still shown');

    // A reload after the restart shows what was paid for at once, without paying.
    await page.click('#stop');
    await page.waitForSelector('body[data-state="stopped"]', { timeout: 15_000 });
    const paid = (await visitOf(base, cookie)).unlocked;
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    assert.equal(await visitCookie(context), cookie, 'the same visit');
    await page.waitForFunction((n) => document.querySelectorAll('#segments li.paid').length >= n, paid, { timeout: 10_000 });
    assert.equal(await unlockedInPage(page), paid);
    assert.equal(await page.$eval('#state', (el) => el.textContent), 'idle', 'nothing paid for the content already unlocked');
    return demo;
  } finally {
    await context.close().catch(() => {});
    await stopChild(demo.server);
  }
}

test('SQLite (the default): a restart keeps what the visit paid for; the page reconnects and pays on', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-restart-'));
  dirs.push(dir);
  await restartMidVisit({ DEMO_STATE_DIR: dir });
  const file = statSync(path.join(dir, 'demo.sqlite'));
  assert.equal(file.mode & 0o077, 0, 'the state file (receipt secrets, BTP tokens) is the owner\'s only');
});

test('Redis (REDIS_URL): a restart keeps what the visit paid for; the page reconnects and pays on', async () => {
  assert.ok(process.env.ILP_TEST_REDIS_URL, 'ILP_TEST_REDIS_URL is not set: run with `make e2e` (it starts a redis-server)');
  await restartMidVisit({ REDIS_URL: process.env.ILP_TEST_REDIS_URL });
});
