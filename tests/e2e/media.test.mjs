// stream.attachMedia(element) in headless Chromium against the reference Interledger
// network (network/stack.mjs, which also serves this checkout: the test page and pkg/
// share its origin). The media are real <audio> elements playing a WAV tone the page
// generates; what was paid is read from the receiver's own totals (the stack's control
// API, by SPSP name), not only from the stream's books. `make e2e` builds pkg/ first.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AUTOPLAY, launchChromium, settled as settledTotal, sleep, startStack, stopChild, waitFor as waitUntil } from './support.mjs';

const RATE = 100_000n; // source units per second; packets of RATE / 5 (one per 200 ms)
// Longer than one pacing interval (200 ms) plus in-flight packets settling.
const QUIET_MS = 1_500;
let stack;
let info;
let browser;
let page;
let pageErrors;

let control;
/** What the receiver named `name` got, over all its connections (BigInt). */
async function got (name) {
  const { connections } = await control('connections');
  return connections.filter((c) => c.name === `stream/${name}`).reduce((a, c) => a + BigInt(c.totalReceived), 0n);
}
/** Waits until `name`'s total stops moving (packets in flight settled); returns it. */
const settled = (name) => settledTotal(() => got(name), name);
/** Waits until `fn()` is truthy; on a timeout, says what the page shows. */
const waitFor = (fn, what, ms = 15_000) => waitUntil(fn, what, ms, () => page.evaluate(() => Object.fromEntries(Object.entries(window.streams ?? {}).map(([k, s]) => [k, { state: s.state, sent: s.totalSent }]))));

// In the page: window.els[name] (an <audio> of `seconds`), window.streams[name] paying
// the receiver /stream/<name>, not started.
async function setUp (name, seconds = 60) {
  await page.evaluate(async ({ name, seconds, btp, rate }) => {
    window.els ??= {};
    window.streams ??= {};
    window.bindings ??= {};
    window.els[name] = await window.media(seconds);
    window.streams[name] = new window.lib.PaymentStream({ btp, receiver: `${location.origin}/stream/${name}`, amountPerSecond: rate });
  }, { name, seconds, btp: info.btpUrl, rate: RATE.toString() });
}
const state = (name) => page.evaluate((n) => window.streams[n].state, name);
const attach = (name, el = name, options = undefined) => page.evaluate(({ name, el, options }) => {
  window.bindings[name] = window.streams[name].attachMedia(window.els[el], options);
}, { name, el, options });
const start = (name) => page.evaluate((n) => window.streams[n].start(), name);
const play = (name) => page.evaluate((n) => window.els[n].play(), name);
const pauseEl = (name) => page.evaluate((n) => window.els[n].pause(), name);

/** Asserts the receiver `name` gets nothing more over QUIET_MS (once in-flight packets settled). */
async function assertQuiet (name, why) {
  const total = await settled(name);
  await sleep(QUIET_MS);
  assert.equal(await got(name), total, why);
  return total;
}

before(async () => {
  ({ stack, info, control } = await startStack());
  browser = await launchChromium([AUTOPLAY]);
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
  await page.goto(`${info.httpUrl}/tests/e2e/pages/media.html`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 15_000 });
});

afterEach(async () => {
  await page.evaluate(() => Promise.all(Object.values(window.streams ?? {}).map((s) => s.stop().catch(() => {})))).catch(() => {});
  await page.close();
  assert.deepEqual(pageErrors, [], 'nothing was thrown into the page');
});

test('attached to a paused element the stream starts paused; play pays the receiver, pause through the element stops the money', async () => {
  await setUp('play');
  await attach('play');
  await start('play');
  assert.equal(await state('play'), 'paused', 'a paused element: the stream starts paused');
  await assertQuiet('play', 'nothing is paid before the element plays');
  assert.equal(await got('play'), 0n);

  await play('play');
  await waitFor(async () => (await state('play')) === 'streaming', 'streaming once the element plays');
  await waitFor(async () => (await got('play')) >= RATE, 'a second of payment at the receiver');

  await pauseEl('play');
  assert.equal(await state('play'), 'paused', 'the element\'s pause event paused the stream at once');
  const paid = await assertQuiet('play', 'no more money once the element is paused');
  const books = await page.evaluate(() => window.streams.play.totalSent);
  assert.equal(BigInt(books), paid, 'the stream\'s books and the receiver agree');

  // Playing again pays again.
  await play('play');
  await waitFor(async () => (await got('play')) > paid, 'payment after play again');
});

test('attached after start(), while the element plays; ended pauses the stream', async () => {
  await setUp('ended', 2);
  await start('ended');
  await waitFor(async () => (await state('ended')) === 'streaming', 'streaming');
  await play('ended');
  await attach('ended');
  assert.equal(await state('ended'), 'streaming', 'a playing element keeps the stream paying');
  await page.evaluate(() => new Promise((resolve) => window.els.ended.addEventListener('ended', resolve, { once: true })));
  assert.equal(await state('ended'), 'paused', 'ended paused the stream');
  assert.ok((await got('ended')) > 0n);
  await assertQuiet('ended', 'no money after the media ended');
});

test('seeking and waiting pause, seeked or playing resume; stalled is undone by the next timeupdate of a playing element', async () => {
  await setUp('seek');
  await attach('seek');
  await start('seek');
  await play('seek');
  await waitFor(async () => (await state('seek')) === 'streaming', 'streaming');
  const seen = await page.evaluate(async () => {
    const el = window.els.seek;
    const s = window.streams.seek;
    const out = {};
    const seeked = new Promise((resolve) => el.addEventListener('seeked', resolve, { once: true }));
    el.currentTime = 10;
    await new Promise((resolve) => el.addEventListener('seeking', resolve, { once: true }));
    out.afterSeeking = s.state;
    await seeked;
    // The binding's own `seeked` (or a `playing`) listener ran first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    out.afterPlaying = s.state;
    el.dispatchEvent(new Event('waiting'));
    out.waiting = s.state;
    el.dispatchEvent(new Event('playing'));
    out.playing = s.state;
    el.dispatchEvent(new Event('stalled'));
    out.stalled = s.state;
    await new Promise((resolve) => el.addEventListener('timeupdate', resolve, { once: true }));
    out.timeupdate = s.state;
    return out;
  });
  assert.equal(seen.afterSeeking, 'paused', 'seeking pauses');
  assert.equal(seen.afterPlaying, 'streaming', 'the element plays on after the seek: the stream resumes');
  assert.equal(seen.waiting, 'paused', 'waiting pauses');
  assert.equal(seen.playing, 'streaming');
  assert.equal(seen.stalled, 'paused', 'stalled pauses');
  assert.equal(seen.timeupdate, 'streaming', 'the element went on playing: the next timeupdate resumes');
});

test('detach(): the element no longer drives the stream, which keeps its state; attaching to another element works', async () => {
  await setUp('detach');
  await attach('detach');
  await start('detach');
  await play('detach');
  await waitFor(async () => (await state('detach')) === 'streaming', 'streaming');
  const attached = await page.evaluate(() => {
    const b = window.bindings.detach;
    const before = b.attached;
    b.detach();
    b.detach(); // harmless
    return [before, b.attached, b.element === window.els.detach, b.stream === window.streams.detach, b instanceof window.lib.MediaBinding];
  });
  assert.deepEqual(attached, [true, false, true, true, true]);
  await pauseEl('detach');
  assert.equal(await state('detach'), 'streaming', 'pausing the detached element changes nothing');
  const before = await got('detach');
  await waitFor(async () => (await got('detach')) >= before + RATE, 'the stream keeps paying after detach');

  // The page pauses the stream itself; playing the detached element does not resume it.
  await page.evaluate(() => window.streams.detach.pause());
  await play('detach');
  await sleep(500);
  assert.equal(await state('detach'), 'paused');
  await pauseEl('detach');

  // Attached again, to another (paused) element: it pauses and follows that one.
  await page.evaluate(async () => { window.els.other = await window.media(60); });
  await page.evaluate(() => window.streams.detach.resume());
  await attach('detach', 'other');
  assert.equal(await state('detach'), 'paused', 'the new element is paused');
  const quiet = await assertQuiet('detach', 'nothing paid while the new element is paused');
  await play('other');
  await waitFor(async () => (await got('detach')) > quiet, 'payment once the new element plays');
  await play('detach');
  await pauseEl('detach');
  assert.equal(await state('detach'), 'streaming', 'the first element drives nothing any more');
});

test("whenHidden 'pause': a hidden document pauses, visible again resumes only while the element plays; 'continue' keeps paying", async () => {
  await setUp('hide');
  await setUp('keep');
  await attach('hide');
  await attach('keep', 'keep', { whenHidden: 'continue' });
  await Promise.all([start('hide'), start('keep')]);
  await Promise.all([play('hide'), play('keep')]);
  await waitFor(async () => (await state('hide')) === 'streaming' && (await state('keep')) === 'streaming', 'both streaming');
  const setHidden = (hidden) => page.evaluate((hidden) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  assert.equal(await state('hide'), 'paused', "'pause': paused while hidden");
  assert.equal(await state('keep'), 'streaming', "'continue': still paying while hidden");
  const keep = await got('keep');
  const hidden = await assertQuiet('hide', 'nothing paid while hidden');
  assert.ok((await got('keep')) > keep, "'continue' paid while hidden");
  // The page becomes visible again while the element is paused: no payment until it plays.
  await pauseEl('hide');
  await setHidden(false);
  assert.equal(await state('hide'), 'paused', 'visible, but the element is paused');
  await play('hide');
  await waitFor(async () => (await got('hide')) > hidden, 'payment once visible and playing');
});

test('several streams on one page each follow their own element', async () => {
  for (const name of ['one', 'two', 'three']) {
    await setUp(name);
    await attach(name);
  }
  await Promise.all(['one', 'two', 'three'].map(start));
  await play('one');
  await play('three');
  await waitFor(async () => (await got('one')) >= RATE && (await got('three')) >= RATE, 'one and three paid');
  assert.equal(await got('two'), 0n, 'two is paused with its element');
  assert.equal(await state('two'), 'paused');
  await pauseEl('one');
  await play('two');
  const one = await assertQuiet('one', 'one stopped with its element');
  await waitFor(async () => (await got('two')) >= RATE, 'two paid once it plays');
  assert.ok(one >= RATE);
  assert.equal(await state('three'), 'streaming');
});

test('bad input throws typed errors', async () => {
  await setUp('bad');
  const errors = await page.evaluate(async () => {
    const s = window.streams.bad;
    const el = window.els.bad;
    const code = (fn) => { try { fn(); return null; } catch (e) { return [e.name, e.code, e instanceof TypeError, e.message]; } };
    const out = {
      notMedia: code(() => s.attachMedia(document.body)),
      nothing: code(() => s.attachMedia(undefined)),
      badOption: code(() => s.attachMedia(el, { whenHidden: 'sometimes' })),
      badOptions: code(() => s.attachMedia(el, 'pause'))
    };
    const b = s.attachMedia(el);
    out.twice = code(() => s.attachMedia(el));
    b.detach();
    const disposed = s.attachMedia(el);
    disposed[Symbol.dispose]();
    out.disposed = disposed.attached;
    out.direct = code(() => new window.lib.MediaBinding({}, el));
    await s.stop();
    out.afterStop = code(() => s.attachMedia(el));
    return out;
  });
  for (const k of ['notMedia', 'nothing', 'badOption', 'badOptions']) {
    assert.deepEqual(errors[k].slice(0, 3), ['PaymentStreamError', 'invalid-option', true], `${k}: ${errors[k]}`);
  }
  assert.match(errors.badOption[3], /whenHidden/);
  assert.deepEqual(errors.twice.slice(0, 2), ['PaymentStreamError', 'invalid-state']);
  assert.equal(errors.disposed, false, 'Symbol.dispose (using) detaches');
  assert.deepEqual(errors.direct.slice(0, 2), ['PaymentStreamError', 'invalid-option'], 'a binding needs a PaymentStream');
  assert.deepEqual(errors.afterStop.slice(0, 2), ['PaymentStreamError', 'invalid-state']);
});
