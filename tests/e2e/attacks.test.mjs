// The demo's metering against an attacker, on a running demo (www/server.mjs and its local
// network, loopback only): every attack of issue #13's Security list, replayed. A real
// visitor pays in headless Chromium first; after each attack the test checks that the
// attack was refused AND that the visitor still has their credit and their content, and at
// the end that they can go on paying.
//
// The attacker knows what `ps` or a port scan would tell: the demo's URL and the network's
// HTTP and BTP ports. It does not know the control token, the visitor's cookie or tokens.
// Scale knobs (defaults are the issue's figures): ATTACK_DATA_CONNECTIONS (480),
// ATTACK_DATA_BYTES (1 MiB), ATTACK_CONCURRENT (3000), ATTACK_SESSIONS (1000).
import '../../network/shim.cjs'; // before ilp-protocol-stream: Node 20 `closed` getter trap
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { launchChromium, startDemoServer, stopChild, visitCookie } from './support.mjs';
import path from 'node:path';
import { ReferenceBtpPlugin } from '../interop/btp-plugin.mjs';

const require = createRequire(import.meta.url);
const IlpPacket = require('ilp-packet');
const BtpPacket = require('btp-packet');
const WebSocket = require('ws');
const Database = require('better-sqlite3');
const totalsOrphans = (db) => db.prepare('SELECT COUNT(*) AS n FROM receipt_totals WHERE nonce NOT IN (SELECT nonce FROM receipt_nonces)').get().n;
const { createConnection } = require('ilp-protocol-stream');

const DATA_CONNECTIONS = Number(process.env.ATTACK_DATA_CONNECTIONS ?? 480);
const DATA_BYTES = Number(process.env.ATTACK_DATA_BYTES ?? 1 << 20);
const CONCURRENT = Number(process.env.ATTACK_CONCURRENT ?? 3000);
const SESSIONS = Number(process.env.ATTACK_SESSIONS ?? 1000);
const MAX_CONNECTIONS_PER_SESSION = 20; // www/server.mjs
const USER_CREDIT = 100_000n * 24n * 10n; // www/server.mjs: price * units * 10

let demo; // { server, base, stackControl, control, output }
let origin; // http://127.0.0.1:P
let stackHttp; // the network's HTTP server (SPSP + control), http://127.0.0.1:H
let btpPort;
let browser;
let page;
let victim; // the paying visitor: { cookie, token (BTP), user, credit, unlocked }
let evil; // a page on another origin
let evilServer;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A request as the visitor's browser or as the attacker would send it.
async function req (url, { method = 'GET', cookie, origin: o = origin, body, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    body,
    headers: { ...(cookie ? { cookie: `__Host-demo_visit=${cookie}` } : {}), ...(o ? { origin: o } : {}), ...headers }
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch {}
  return { status: res.status, headers: res.headers, text, json };
}
// node:http, which (unlike fetch) sends the Host header it is given.
function rawGet (url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    }).on('error', reject);
  });
}

/** A visit of the attacker's own: its cookie and what POST /session answered. */
async function ownVisit () {
  const res = await fetch(`${origin}/session`, { method: 'POST', headers: { origin } });
  assert.equal(res.status, 201);
  const cookie = /__Host-demo_visit=([^;]+)/.exec(res.headers.get('set-cookie'))[1];
  return { cookie, body: await res.json() };
}

/** The visitor still has their credit (at least `victim.credit`) and their paid content. */
async function victimKeeps (what) {
  const acc = await req(`${origin}/session`, { cookie: victim.cookie });
  assert.equal(acc.status, 200, `${what}: the visitor's visit answers`);
  assert.ok(BigInt(acc.json.credit) >= victim.credit, `${what}: credit ${acc.json.credit} < ${victim.credit}`);
  for (let n = 0; n < victim.unlocked; n++) {
    const unit = await req(`${origin}/session/content/${n}`, { cookie: victim.cookie });
    assert.equal(unit.status, 200, `${what}: paid unit ${n} is still served`);
  }
  // ... and in the page itself (its own cookie, its own origin).
  const inPage = await page.evaluate(async () => (await fetch('/session/content/0')).status);
  assert.equal(inPage, 200, `${what}: the page still gets its content`);
  return acc.json;
}

// What a page on another origin can read: runs `fetches` in the evil page; each resolves
// 'blocked' when the browser refused to let the page read the answer.
function fromEvilPage (fetches) {
  return evil.evaluate(async (list) => Promise.all(list.map(async ([url, init]) => {
    try {
      const res = await fetch(url, init);
      return { status: res.status, body: (await res.text()).slice(0, 200) };
    } catch {
      return 'blocked';
    }
  })), fetches);
}

// Raw BTP auth: 'ok' (auth Response), 'refused' (BTP Error or closed without answer).
function btpAuth (user, token, port = btpPort) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const done = (v) => { clearTimeout(timer); ws.terminate(); resolve(v); };
    const timer = setTimeout(() => done('no answer'), 5000);
    ws.on('open', () => ws.send(BtpPacket.serializeMessage(1, [
      { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
      { protocolName: 'auth_username', contentType: 1, data: Buffer.from(user) },
      { protocolName: 'auth_token', contentType: 1, data: Buffer.from(token) }
    ])));
    ws.on('message', (m) => done(BtpPacket.deserialize(m).type === BtpPacket.TYPE_RESPONSE ? 'ok' : 'refused'));
    ws.on('close', () => done('refused'));
    ws.on('error', () => {});
  });
}

/** Runs `n` tasks, at most `width` at once (task(i, worker)); resolves their results (or errors) in order. */
async function pool (n, width, task) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async (_, worker) => {
    while (next < n) { const i = next++; out[i] = await task(i, worker).catch((err) => err); }
  }));
  return out;
}

before(async () => {
  demo = await startDemoServer(30_000);
  origin = demo.base.replace(/\/$/, '');
  stackHttp = demo.stackControl.replace(/\/control\/$/, '');
  const info = await demo.control('info');
  btpPort = info.body.btpPort;
  browser = await launchChromium();
  const context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  // The attacker's page: another origin on the same machine (so same-site for cookies).
  evilServer = http.createServer((_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>evil</title>'); });
  await new Promise((resolve) => evilServer.listen(0, '127.0.0.1', resolve));
  evil = await (await browser.newContext()).newPage();
  await evil.goto(`http://127.0.0.1:${evilServer.address().port}/`);

  // The visitor pays for a few seconds of content, then pauses.
  await page.goto(demo.base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.click('#start');
  await page.waitForFunction(() => Number(document.getElementById('unlocked').dataset.raw) >= 3, null, { timeout: 20_000 });
  await page.click('#pause');
  await page.waitForSelector('body[data-state="paused"]', { timeout: 5_000 });
  await sleep(1000); // the last receipts land
  const cookie = await visitCookie(context);
  const acc = (await req(`${origin}/session`, { cookie })).json;
  victim = {
    cookie,
    user: await page.inputValue('#btp-user'),
    token: await page.inputValue('#btp-token'),
    credit: BigInt(acc.credit),
    unlocked: acc.unlocked
  };
  assert.ok(victim.unlocked >= 3, 'the visitor has paid for content');
});

after(async () => {
  await browser?.close().catch(() => {});
  evilServer?.close();
  await stopChild(demo?.server);
});

test('credit theft: a page on another origin cannot read the control API, nor the visitor\'s session', async () => {
  const got = await fromEvilPage([
    [`${stackHttp}/control/connections`, {}],
    [`${stackHttp}/control/info`, {}],
    [`${origin}/session`, { credentials: 'include' }],
    [`${origin}/session/content/0`, { credentials: 'include' }],
    [`${origin}/session/connection`, { method: 'POST', credentials: 'include' }]
  ]);
  assert.deepEqual(got, ['blocked', 'blocked', 'blocked', 'blocked', 'blocked'], JSON.stringify(got));
  // What those requests got on the wire (the browser would have withheld it anyway).
  const ctl = await req(`${stackHttp}/control/connections`, { origin: evilOrigin() });
  assert.equal(ctl.status, 401, 'no token, no control API');
  assert.equal(ctl.headers.get('access-control-allow-origin'), null, 'no CORS on the control API');
  const stolen = await req(`${origin}/session`, { cookie: victim.cookie, origin: evilOrigin() });
  assert.equal(stolen.status, 403, 'even with the cookie, a request from another origin is refused');
  assert.equal(stolen.headers.get('access-control-allow-origin'), null);
  await victimKeeps('cross-origin reads');
});

test('credit theft: the control API (with its token) lists no secret and no visit credential', async () => {
  const { status, body } = await demo.control('connections');
  assert.equal(status, 200);
  const text = JSON.stringify(body);
  assert.ok(body.connections.length >= 1);
  for (const c of body.connections) {
    for (const k of ['receiptSecret', 'sharedSecret', 'token', 'dataBase64']) assert.equal(c[k], undefined, k);
  }
  assert.ok(!text.includes(victim.cookie), 'no visit cookie');
  assert.ok(!text.includes(victim.token), 'no BTP token');
  assert.ok(!text.includes(victim.user), 'no visitor account name either');
  const info = JSON.stringify((await demo.control('info')).body);
  assert.ok(!info.includes(victim.token));
  await victimKeeps('listing connections');
});

test('credit theft: content and connection routes without the visitor\'s cookie give nothing of theirs', async () => {
  const guesses = [
    req(`${origin}/session/content/0`),
    req(`${origin}/session/content/0`, { cookie: randomBytes(32).toString('base64url') }),
    req(`${origin}/session/content/0`, { cookie: victim.cookie.slice(0, -1) + (victim.cookie.endsWith('A') ? 'B' : 'A') }),
    req(`${origin}/session`, { cookie: 'x'.repeat(43) }),
    req(`${origin}/session/connection`, { method: 'POST' }),
    req(`${origin}/session/receipt`, { method: 'POST', body: 'AQ==' })
  ];
  for (const r of await Promise.all(guesses)) assert.equal(r.status, 401, r.text);
  // The old routes with an id in the URL are gone.
  for (const route of ['/session/abc/content/0', '/session/abc', '/session/abc/connection']) {
    const r = await req(`${origin}${route}`, { method: route.endsWith('connection') ? 'POST' : 'GET' });
    assert.ok([401, 404].includes(r.status), `${route}: ${r.status}`);
  }
  // A visit of one's own gets one's own account, never the visitor's token.
  const mine = await ownVisit();
  assert.notEqual(mine.cookie, victim.cookie);
  const conn = await req(`${origin}/session/connection`, { method: 'POST', cookie: mine.cookie });
  assert.equal(conn.status, 201);
  assert.ok(!conn.text.includes(victim.token) && !conn.text.includes(victim.user));
  assert.equal(conn.json.credit, '0');
  // The visitor's receipts are worth nothing on another visit.
  const receipt = await page.$eval('#receipt', (el) => el.dataset.full);
  const foreign = await req(`${origin}/session/receipt`, { method: 'POST', cookie: mine.cookie, body: receipt });
  assert.equal(foreign.status, 403);
  assert.equal((await req(`${origin}/session`, { cookie: mine.cookie })).json.credit, '0');
  await victimKeeps('guessed routes');
});

test('takeover and outage: reset, config, users and connector restart need the token; the demo keeps working', async () => {
  const posts = [
    ['reset', {}],
    ['config', { balanceMax: 0, maxPacketAmount: 1 }],
    ['users', { username: victim.user, token: 'attacker-token' }],
    ['users/remove', { username: victim.user }],
    ['connector/restart', { downMs: 60_000 }],
    ['proxy', { dropReplies: true }],
    ['connections/c1/write', { base64: 'AAAA' }]
  ];
  for (const [route, body] of posts) {
    for (const auth of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${randomBytes(32).toString('base64url')}` }]) {
      const r = await req(`${stackHttp}/control/${route}`, { method: 'POST', origin: null, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...auth } });
      assert.equal(r.status, 401, `${route}: HTTP ${r.status}`);
    }
  }
  // From a page (any origin) the same: the browser may send it, the answer is 401.
  const fromPage = await fromEvilPage([[`${stackHttp}/control/reset`, { method: 'POST', mode: 'no-cors', body: '{}' }]]);
  assert.ok(fromPage[0] === 'blocked' || fromPage[0].status === 0, JSON.stringify(fromPage));
  // A DNS-rebinding page (Host: attacker's name) is refused by the network and the demo.
  const port = new URL(stackHttp).port;
  assert.equal((await rawGet(`${stackHttp}/control/info`, { host: `rebind.example:${port}`, authorization: 'Bearer x' })).status, 403);
  assert.equal((await rawGet(`${origin}/session/content/0`, { host: 'rebind.example', cookie: `__Host-demo_visit=${victim.cookie}` })).status, 403);
  // The visitor's BTP account is still theirs: the attacker's token is refused, theirs works.
  assert.equal(await btpAuth(victim.user, 'attacker-token'), 'refused');
  assert.equal(await btpAuth(victim.user, victim.token), 'ok');
  const acc = await victimKeeps('control attacks');
  // And a new visit works (the network was not reset or reconfigured).
  const fresh = await ownVisit();
  assert.equal(fresh.body.credit, '0');
  assert.ok(acc.connections.length >= 1);
});

test('a new BTP name is refused, and each demo account has a credit limit at the connector', async () => {
  assert.equal(await btpAuth(`visitor-${randomBytes(8).toString('hex')}`, 'any-token'), 'refused', 'unregistered names are refused');
  assert.equal(await btpAuth('alice', 'alice-secret'), 'refused', 'no default account on the demo network');
  const mine = await ownVisit();
  const plugin = new ReferenceBtpPlugin({ server: mine.body.btp });
  await plugin.connect();
  try {
    const prepare = (amount) => plugin.sendData(IlpPacket.serializeIlpPrepare({
      amount: amount.toString(),
      executionCondition: randomBytes(32),
      expiresAt: new Date(Date.now() + 10_000),
      destination: mine.body.destinationAccount,
      data: Buffer.alloc(0)
    })).then((r) => IlpPacket.deserializeIlpReply(r));
    const over = await prepare(USER_CREDIT + 1n);
    assert.equal(over.code, 'T04', 'more than the credit limit is refused at the connector');
    assert.match(over.message, /credit limit/);
    // Many at once cannot pass it together either: their amounts are reserved one by one.
    const half = USER_CREDIT / 2n + 1n;
    const both = await Promise.all([prepare(half), prepare(half)]);
    assert.ok(both.some((r) => r.code === 'T04'), JSON.stringify(both.map((r) => r.code)));
    // Within the limit the Prepare goes on to the receiver (which cannot fulfil a random condition).
    const within = await prepare(1000n);
    assert.notEqual(within.code, 'T04');
  } finally {
    await plugin.disconnect().catch(() => {});
  }
  await victimKeeps('credit limit');
});

test(`unbounded state: ${DATA_CONNECTIONS} connections sending ${DATA_BYTES} bytes of data each stay bounded; new visits still work`, async () => {
  const WIDTH = 12;
  // The reference client wants a BTP connection per STREAM connection, and the receiver's
  // packets to the sender reach only one socket of an account: so one visit (account) per
  // worker, its connections one after the other.
  const accounts = await Promise.all(Array.from({ length: WIDTH }, () => ownVisit()));
  const chunk = randomBytes(DATA_BYTES);
  const t0 = Date.now();
  const results = await pool(DATA_CONNECTIONS, WIDTH, async (_i, worker) => {
    const spsp = await (await fetch(`${stackHttp}/.well-known/pay`, { headers: { accept: 'application/spsp4+json' } })).json();
    const plugin = new ReferenceBtpPlugin({ server: accounts[worker].body.btp });
    try {
      const conn = await createConnection({
        plugin, destinationAccount: spsp.destination_account, sharedSecret: Buffer.from(spsp.shared_secret, 'base64')
      });
      const stream = conn.createStream();
      stream.write(chunk);
      await Promise.race([conn.end(), sleep(60_000)]);
      await conn.destroy().catch(() => {});
    } finally {
      await plugin.disconnect().catch(() => {});
    }
  });
  const failed = results.filter((r) => r instanceof Error);
  const why = [...new Set(failed.map((e) => e.message.slice(0, 160)))];
  console.log(`sent ${DATA_CONNECTIONS} x ${DATA_BYTES} bytes of STREAM data in ${Date.now() - t0} ms (${failed.length} connections failed${why.length ? `: ${why.join(' | ')}` : ''})`);
  // (Some may be throttled: each account has its own packet rate. Most must get through,
  // or this would test nothing.)
  assert.ok(failed.length < DATA_CONNECTIONS / 4, `the flood itself worked: ${failed.length} failed`);
  // The list still serialises (it carries no data), a record keeps at most 64 KiB.
  const list = await demo.control('connections');
  assert.equal(list.status, 200);
  const withData = list.body.connections.filter((c) => c.dataLength > 0);
  assert.ok(withData.length >= DATA_CONNECTIONS - failed.length, `${withData.length} connections got data`);
  const one = await demo.control(`connections/${withData.at(-1).id}`);
  assert.ok(Buffer.from(one.body.dataBase64, 'base64').length <= 64 << 10, 'kept data per connection is bounded');
  // New visits and their connections still work.
  for (let i = 0; i < 3; i++) {
    const v = await ownVisit();
    assert.match(v.body.destinationAccount, /^test\.connector\.receiver\./);
  }
  await victimKeeps('data flood');
});

test(`unbounded state: ${CONCURRENT} concurrent connection requests on one visit open at most ${MAX_CONNECTIONS_PER_SESSION}`, async () => {
  const mine = await ownVisit(); // has 1 connection already
  const answers = await Promise.all(Array.from({ length: CONCURRENT }, () =>
    req(`${origin}/session/connection`, { method: 'POST', cookie: mine.cookie }).catch((err) => ({ status: String(err.cause?.code ?? err.message) }))));
  const byStatus = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  console.log(`connection requests: ${JSON.stringify(byStatus)}`);
  assert.equal(byStatus[201], MAX_CONNECTIONS_PER_SESSION - 1, JSON.stringify(byStatus));
  const acc = await req(`${origin}/session`, { cookie: mine.cookie });
  assert.equal(acc.json.connections.length, MAX_CONNECTIONS_PER_SESSION);
  await victimKeeps('concurrent connection requests');
});

test(`unbounded state: ${SESSIONS} new visits do not push out the paying visitor`, async () => {
  const answers = await pool(SESSIONS, 25, () => req(`${origin}/session`, { method: 'POST' }));
  const byStatus = {};
  for (const a of answers) byStatus[a.status ?? a.message] = (byStatus[a.status ?? a.message] ?? 0) + 1;
  console.log(`new visits: ${JSON.stringify(byStatus)}`);
  assert.deepEqual(byStatus, { 201: SESSIONS }, 'every new visitor is served (no 503)');
  await victimKeeps('a flood of new visits');
});

test('Origin and Host are checked', async () => {
  const evilO = evilOrigin();
  const cases = [
    ['POST receipt, other Origin', req(`${origin}/session/receipt`, { method: 'POST', cookie: victim.cookie, origin: evilO, body: 'AQ==' })],
    ['POST receipt, no Origin', req(`${origin}/session/receipt`, { method: 'POST', cookie: victim.cookie, origin: null, body: 'AQ==' })],
    ['POST connection, other Origin', req(`${origin}/session/connection`, { method: 'POST', cookie: victim.cookie, origin: evilO })],
    ['POST session, origin "null"', req(`${origin}/session`, { method: 'POST', origin: 'null' })],
    ['POST wallet, other Origin', req(`${origin}/wallet`, { method: 'POST', origin: evilO })],
    ['GET content, other Origin', req(`${origin}/session/content/0`, { cookie: victim.cookie, origin: evilO })],
    ['GET content, cross-site fetch', req(`${origin}/session/content/0`, { cookie: victim.cookie, origin: null, headers: { 'sec-fetch-site': 'same-site' } })],
    ['GET page, foreign Host', rawGet(`${origin}/`, { host: 'evil.example' })],
    ['GET content, foreign Host', rawGet(`${origin}/session/content/0`, { host: `evil.example:${new URL(origin).port}`, cookie: `__Host-demo_visit=${victim.cookie}` })]
  ];
  for (const [name, p] of cases) assert.equal((await p).status, 403, name);
  // The page itself may be linked to from another site (a navigation carries no Origin).
  assert.equal((await req(`${origin}/`, { origin: null, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } })).status, 200);
  // localhost names the same server.
  const viaLocalhost = await rawGet(`${origin}/session/content/0`, { host: `localhost:${new URL(origin).port}`, cookie: `__Host-demo_visit=${victim.cookie}` });
  assert.equal(viaLocalhost.status, 200);
  await victimKeeps('bad Origin and Host');
});

test('cookie tossing: a page on another port of this host cannot plant a visit cookie that shadows the visitor\'s', async () => {
  const attacker = await ownVisit();
  // A page of another service on 127.0.0.1 (cookies are not scoped by port), in the
  // visitor's own browser, tries to plant the attacker's visit for the API's paths.
  const tosser = await page.context().newPage();
  await tosser.goto(`${evilOrigin()}/`);
  await tosser.evaluate((cred) => {
    for (const p of ['/session', '/session/receipt']) {
      document.cookie = `__Host-demo_visit=${cred}; path=${p}; max-age=86400`;
      document.cookie = `__Host-demo_visit=${cred}; path=${p}; Secure; max-age=86400`;
      document.cookie = `demo_visit=${cred}; path=${p}; max-age=86400`; // the name before __Host-
    }
  }, attacker.cookie);
  await tosser.close();
  // The browser kept none of them (__Host-: Secure, Path=/ and set by the host itself).
  const jar = (await page.context().cookies()).filter((c) => c.name === '__Host-demo_visit');
  assert.deepEqual(jar.map((c) => [c.path, c.value === victim.cookie, c.secure, c.httpOnly]), [['/', true, true, true]]);
  // The page still gets the visitor's own visit and content.
  const inPage = await page.evaluate(async () => (await (await fetch('/session')).json()).credit);
  assert.ok(BigInt(inPage) >= victim.credit);
  // A request carrying two visit cookies (how a planted copy would arrive) chooses none.
  for (const pair of [[attacker.cookie, victim.cookie], [victim.cookie, attacker.cookie]]) {
    const r = await req(`${origin}/session`, { headers: { cookie: pair.map((c) => `__Host-demo_visit=${c}`).join('; ') } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.credit, undefined);
  }
  await victimKeeps('cookie tossing');
});

test('the logs carry no visit credential, BTP token or control token', async () => {
  const text = demo.output.join('\n');
  assert.ok(!text.includes(victim.cookie));
  assert.ok(!text.includes(victim.token));
  assert.ok(!text.includes(demo.controlToken), 'the control token');
  assert.ok(!/demo_visit=/.test(text));
});

test('after every attack the visitor pays on and gets more content', async () => {
  const before = await victimKeeps('the end');
  // Paused for the whole suite, the receiver may have closed the idle connection (after
  // 60 s): then Start opens a new one, else Resume goes on with the same.
  if (await page.$eval('body', (b) => b.dataset.state) === 'paused') await page.click('#pause');
  else await page.click('#start');
  await page.waitForSelector('body[data-state="streaming"]', { timeout: 10_000 });
  await page.waitForFunction((n) => Number(document.getElementById('unlocked').dataset.raw) > n, before.unlocked, { timeout: 20_000 });
  const after = (await req(`${origin}/session`, { cookie: victim.cookie })).json;
  assert.ok(BigInt(after.credit) > BigInt(before.credit));
});

function evilOrigin () { return `http://127.0.0.1:${evilServer.address().port}`; }

// ---------------------------------------------------------------- small limits
// The same server with its limits made small (environment knobs), so that a flood of tens
// reaches what took tens of thousands: the network's connection records, the visits in
// memory, the wallet accounts. The paying visitors here pay from Node.js (the reference
// STREAM client), each on a visit of its own.
describe('with small limits', () => {
  const SMALL = { DEMO_MAX_SESSIONS: 8, DEMO_STACK_MAX_RECORDS: 30, DEMO_MAX_WALLETS: 3, DEMO_GRACE_MS: 0, DEMO_ACCOUNT_RATE: 400, DEMO_MAX_SOCKETS: 60 };
  let small; // the demo server
  let o; // its origin
  let smallStack; // its network's HTTP server
  let smallBtpPort;
  const open = []; // STREAM clients to close at the end
  let payer; // { cookie, c, paid }: pays on one live connection all along

  const post = (url, cookie, body) => req(url, { method: 'POST', cookie, origin: o, body });
  async function newVisit () {
    const res = await fetch(`${o}/session`, { method: 'POST', headers: { origin: o } });
    assert.equal(res.status, 201, `POST /session: ${res.status}`);
    return { cookie: /__Host-demo_visit=([^;]+)/.exec(res.headers.get('set-cookie'))[1], body: await res.json() };
  }
  async function connect (body) {
    const plugin = new ReferenceBtpPlugin({ server: body.btp });
    await plugin.connect();
    const conn = await createConnection({ plugin, destinationAccount: body.destinationAccount, sharedSecret: Buffer.from(body.sharedSecret, 'base64') });
    const c = { plugin, conn, stream: conn.createStream() };
    open.push(c);
    return c;
  }
  /** Pays up to `total` on `c` and hands the last receipt to the visit; resolves the answer. */
  async function payTo (v, c, total) {
    await c.stream.sendTotal(Number(total), { timeout: 20_000 }); // (a Number: the library takes no BigInt)
    const r = await post(`${o}/session/receipt`, v.cookie, c.stream.receipt.toString('base64'));
    assert.equal(r.status, 200, `receipt: ${r.text}`);
    return r.json;
  }
  /** The visit has at least `credit` and its paid content. */
  async function keeps (v, credit, what) {
    const acc = await req(`${o}/session`, { cookie: v.cookie, origin: o });
    assert.equal(acc.status, 200, `${what}: GET /session ${acc.status} ${acc.text.slice(0, 100)}`);
    assert.ok(BigInt(acc.json.credit) >= credit, `${what}: credit ${acc.json.credit} < ${credit}`);
    for (let n = 0; n < Number(credit / 100_000n); n++) {
      assert.equal((await req(`${o}/session/content/${n}`, { cookie: v.cookie, origin: o })).status, 200, `${what}: paid unit ${n}`);
    }
    return acc.json;
  }
  const cookieless = (n) => pool(n, 10, () => req(`${o}/session`, { method: 'POST', origin: o }));
  const statuses = (answers) => {
    const by = {};
    for (const a of answers) by[a.status ?? a.message] = (by[a.status ?? a.message] ?? 0) + 1;
    return by;
  };

  before(async () => {
    small = await startDemoServer(30_000, { env: Object.fromEntries(Object.entries(SMALL).map(([k, v]) => [k, String(v)])) });
    o = small.base.replace(/\/$/, '');
    smallStack = small.stackControl.replace(/\/control\/$/, '');
    smallBtpPort = (await small.control('info')).body.btpPort;
    const v = await newVisit();
    payer = { ...v, c: await connect(v.body) };
    payer.paid = BigInt((await payTo(payer, payer.c, 300_000n)).credit);
    assert.equal(payer.paid, 300_000n);
  });
  after(async () => {
    for (const c of open) {
      await c.conn.destroy().catch(() => {});
      await c.plugin.disconnect().catch(() => {});
    }
    await stopChild(small?.server);
  });

  test('a flood of new visits and SPSP queries past the network\'s record cap: a paying visitor keeps being credited', async () => {
    // A second visitor pays, then closes its connection: its record may be forgotten.
    const v = await newVisit();
    const c = await connect(v.body);
    assert.equal((await payTo(v, c, 200_000n)).credit, '200000');
    await c.conn.end();
    // (until the receiver has seen it close: only then may its record go)
    const closed = async () => (await small.control('connections')).body.connections.find((r) => r.destinationAccount === v.body.destinationAccount)?.closed;
    while (!(await closed())) await sleep(200);
    const flood = [...await cookieless(2 * SMALL.DEMO_STACK_MAX_RECORDS)];
    flood.push(...await pool(SMALL.DEMO_STACK_MAX_RECORDS, 10, () => req(`${smallStack}/.well-known/pay`, { origin: null, headers: { accept: 'application/spsp4+json' } })));
    assert.deepEqual(statuses(flood), { 201: 2 * SMALL.DEMO_STACK_MAX_RECORDS, 200: SMALL.DEMO_STACK_MAX_RECORDS });
    // The network kept its cap (and the live connection's record).
    const list = await small.control('connections');
    assert.ok(list.body.connections.length <= SMALL.DEMO_STACK_MAX_RECORDS, `${list.body.connections.length} records`);
    const payerAcc = await keeps(payer, payer.paid, 'the live payer after the flood');
    assert.ok(payerAcc.connections[0].current, 'the live connection is still cross-checked');
    // It pays on: what it pays now is credited (and unlocks more).
    const after = await payTo(payer, payer.c, 800_000n);
    assert.equal(after.credited, '500000');
    payer.paid = 800_000n;
    await keeps(payer, payer.paid, 'the payer paid on');
    // The closed connection's record is gone: its receipts alone count (no 502, no loss).
    const acc = await keeps(v, 200_000n, 'the visitor whose connection closed');
    assert.equal(acc.connections[0].current, false);
    // And a new connection for it pays as before.
    const more = await post(`${o}/session/connection`, v.cookie);
    assert.equal(more.status, 201);
    const c2 = await connect(more.json);
    assert.equal((await payTo(v, c2, 100_000n)).credit, '300000');
  });

  test(`paid visits past the ${SMALL.DEMO_MAX_SESSIONS} kept in memory: new visitors are still served, no visit loses its credit`, async () => {
    // Each with the free connector credit a visit's account has: paid visits are cheap.
    const N = SMALL.DEMO_MAX_SESSIONS + 4;
    const paid = await pool(N, 4, async () => {
      const v = await newVisit();
      const c = await connect(v.body);
      const r = await payTo(v, c, 100_000n);
      await c.conn.end().catch(() => {});
      return { ...v, credit: BigInt(r.credit) };
    });
    for (const v of paid) assert.equal(v.credit, 100_000n, String(v.message ?? ''));
    // A new visitor gets a visit (no 503), and so does a new wave of them.
    const wave = await cookieless(N);
    assert.deepEqual(statuses(wave), { 201: N });
    // Every visit let go of memory comes back with what it paid, on its next request.
    for (const v of paid) await keeps(v, 100_000n, 'a paid visit after the cache turned over');
    await keeps(payer, payer.paid, 'the payer after the paid-visit flood');
    const after = await payTo(payer, payer.c, payer.paid + 100_000n);
    assert.equal(after.credited, '100000');
    payer.paid += 100_000n;
  });

  /** A raw BTP socket authenticated as `user`: prepare(amount, destination) resolves the ILP reply's code, or 'closed'. */
  async function btpSocket (user, token) {
    const ws = new WebSocket(`ws://127.0.0.1:${smallBtpPort}`);
    const waiting = new Map();
    let id = 1;
    const closed = new Promise((resolve) => ws.on('close', resolve));
    closed.then(() => { for (const w of waiting.values()) w('closed'); });
    ws.on('error', () => {});
    ws.on('message', (m) => {
      const p = BtpPacket.deserialize(m);
      const w = waiting.get(p.requestId);
      if (!w) return;
      waiting.delete(p.requestId);
      if (p.type !== BtpPacket.TYPE_RESPONSE) return w(`BTP ${p.data.code ?? 'error'}`);
      const ilp = p.data.protocolData.find((d) => d.protocolName === 'ilp');
      w(ilp ? IlpPacket.deserializeIlpReply(ilp.data).code ?? 'fulfilled' : 'ok');
    });
    const call = (protocolData) => new Promise((resolve) => {
      if (ws.readyState !== WebSocket.OPEN) return resolve('closed');
      const requestId = id++;
      waiting.set(requestId, resolve);
      ws.send(BtpPacket.serializeMessage(requestId, protocolData));
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const auth = await call([
      { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
      { protocolName: 'auth_username', contentType: 1, data: Buffer.from(user) },
      { protocolName: 'auth_token', contentType: 1, data: Buffer.from(token) }
    ]);
    assert.equal(auth, 'ok', 'the account authenticates');
    return {
      closed,
      prepare: (amount, destination) => call([{
        protocolName: 'ilp',
        contentType: 0,
        data: IlpPacket.serializeIlpPrepare({ amount: String(amount), executionCondition: randomBytes(32), expiresAt: new Date(Date.now() + 10_000), destination, data: Buffer.alloc(0) })
      }]),
      close: () => ws.terminate()
    };
  }

  test(`a removed account's open BTP socket is closed: the oldest of ${SMALL.DEMO_MAX_WALLETS} wallets cannot go on paying past its credit limit`, async () => {
    const wallet = await post(`${o}/wallet`);
    assert.equal(wallet.status, 201);
    const { username, password } = new URL(wallet.json.btp.replace(/^btp\+ws/, 'http'));
    const sock = await btpSocket(decodeURIComponent(username), decodeURIComponent(password));
    const spsp = (await req(`${smallStack}/.well-known/pay`, { origin: null, headers: { accept: 'application/spsp4+json' } })).json;
    // The socket works (the receiver cannot fulfil a random condition, but the connector
    // passes the Prepare on); past the credit limit it is refused.
    const before = await sock.prepare(1000, spsp.destination_account);
    assert.notEqual(before, 'closed');
    assert.notEqual(before, 'T04');
    assert.equal(await sock.prepare(USER_CREDIT + 1n, spsp.destination_account), 'T04');
    // More wallets than the demo keeps: this one is let go of (removed from the network).
    for (let i = 0; i < SMALL.DEMO_MAX_WALLETS; i++) assert.equal((await post(`${o}/wallet`)).status, 201);
    // Its socket is closed (or refuses what it sends while closing); it cannot log in again.
    const after = await sock.prepare(1000, spsp.destination_account);
    assert.ok(after === 'closed' || after === 'F00', `a Prepare on the removed account's socket: ${after}`);
    await sock.closed;
    assert.equal(await btpAuth(decodeURIComponent(username), decodeURIComponent(password), smallBtpPort), 'refused');
    await keeps(payer, payer.paid, 'the payer after the wallet churn');
  });

  test(`${MAX_CONNECTIONS_PER_SESSION + 5} page loads of one visit: each gets a connection, the visit keeps its paid content`, async () => {
    // Each page load is a POST /session with the visit's cookie: a new connection each time.
    for (let n = 0; n < MAX_CONNECTIONS_PER_SESSION + 5; n++) {
      const r = await post(`${o}/session`, payer.cookie);
      assert.equal(r.status, 200, `page load ${n + 1}: ${r.status} ${r.text.slice(0, 100)}`);
      assert.ok(r.json.connections.length <= MAX_CONNECTIONS_PER_SESSION);
    }
    // The paid connection (the one still paying) was kept: it pays on and is credited.
    const acc = await keeps(payer, payer.paid, 'after many page loads');
    assert.equal(acc.connections.length, MAX_CONNECTIONS_PER_SESSION);
    const after = await payTo(payer, payer.c, payer.paid + 100_000n);
    assert.equal(after.credited, '100000');
    payer.paid += 100_000n;
    // Asked for all at once, the cap still holds (the slots are taken before any await).
    const burst = await Promise.all(Array.from({ length: 2 * MAX_CONNECTIONS_PER_SESSION }, () => post(`${o}/session/connection`, payer.cookie)));
    assert.ok(burst.every((r) => r.status === 201 || r.status === 429), JSON.stringify(statuses(burst)));
    assert.equal((await keeps(payer, payer.paid, 'after a burst')).connections.length, MAX_CONNECTIONS_PER_SESSION);
  });

  test('visits let go of leave no receipt nonces behind in the store', async () => {
    assert.deepEqual(statuses(await cookieless(3 * SMALL.DEMO_MAX_SESSIONS)), { 201: 3 * SMALL.DEMO_MAX_SESSIONS });
    const db = new Database(path.join(small.stateDir, 'demo.sqlite'), { readonly: true });
    try {
      const [orphans, nonces, visits] = [
        'SELECT COUNT(*) AS n FROM receipt_nonces WHERE visitor_id NOT IN (SELECT key FROM demo_visits)',
        'SELECT COUNT(*) AS n FROM receipt_nonces',
        'SELECT COUNT(*) AS n FROM demo_visits'
      ].map((q) => db.prepare(q).get().n);
      assert.equal(orphans, 0, `${orphans} of ${nonces} nonces belong to no visit`);
      assert.ok(totalsOrphans(db) === 0, 'no totals without their nonce');
      console.log(`store after the floods: ${visits} visits, ${nonces} nonces`);
    } finally {
      db.close();
    }
    await keeps(payer, payer.paid, 'after the store was cleaned');
  });

  test(`visitor accounts flooding Prepares cannot use up the shared packet rate (${SMALL.DEMO_ACCOUNT_RATE}/s): a paying visitor is never throttled`, async () => {
    const ATTACKERS = 10; // each may send 200/s (USER_RATE): together twice the shared rate
    const flooders = await Promise.all(Array.from({ length: ATTACKERS }, async () => {
      const v = await newVisit();
      const { username, password } = new URL(v.body.btp.replace(/^btp\+ws/, 'http'));
      return { sock: await btpSocket(decodeURIComponent(username), decodeURIComponent(password)), dest: v.body.destinationAccount };
    }));
    // Only the receivers can be paid: a Prepare elsewhere is refused at once, by the network.
    const elsewhere = await flooders[0].sock.prepare(0, 'test.connector.browser.someone-else');
    assert.equal(elsewhere, 'F02');
    let stop = false;
    const codes = {};
    const flood = flooders.map(async ({ sock, dest }) => {
      while (!stop) {
        const replies = await Promise.all(Array.from({ length: 40 }, () => sock.prepare(0, dest)));
        for (const r of replies) codes[r] = (codes[r] ?? 0) + 1;
      }
    });
    // The visitor, meanwhile, at a paying page's pace: one Prepare at a time, 12 of them.
    const { username, password } = new URL(payer.body.btp.replace(/^btp\+ws/, 'http'));
    const mine = await btpSocket(decodeURIComponent(username), decodeURIComponent(password));
    const got = [];
    for (let n = 0; n < 12; n++) {
      got.push(await mine.prepare(0, payer.body.destinationAccount));
      await sleep(200);
    }
    stop = true;
    await Promise.all(flood);
    mine.close();
    for (const f of flooders) f.sock.close();
    console.log(`flood replies: ${JSON.stringify(codes)}; the visitor's: ${JSON.stringify(got)}`);
    assert.ok((codes.T05 ?? 0) > 0, 'the flooders were throttled (the flood was real)');
    assert.ok(!got.includes('T05'), `the visitor was throttled: ${JSON.stringify(got)}`);
    assert.ok(!got.includes('closed'));
    // And it pays on as before.
    const after = await payTo(payer, payer.c, payer.paid + 100_000n);
    assert.equal(after.credited, '100000');
    payer.paid += 100_000n;
    await keeps(payer, payer.paid, 'after the packet flood');
  });

  test('receipts of every STREAM stream of a connection are credited (not only the stream with the highest total)', async () => {
    const before = BigInt((await keeps(payer, payer.paid, 'before a second stream')).credit);
    // A second stream on the same connection: its receipts start again from 0.
    const second = payer.c.conn.createStream();
    await second.sendTotal(100_000, { timeout: 20_000 });
    const r = await post(`${o}/session/receipt`, payer.cookie, second.receipt.toString('base64'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.credited, '100000', 'the second stream\'s money is credited');
    // Each stream's replay is still refused, and the first stream pays on as before.
    assert.equal((await post(`${o}/session/receipt`, payer.cookie, second.receipt.toString('base64'))).status, 409);
    const first = await payTo(payer, payer.c, payer.paid + 100_000n);
    assert.equal(first.credited, '100000');
    payer.paid += 200_000n;
    assert.equal(BigInt(first.credit), before + 200_000n);
    await keeps(payer, payer.paid, 'after two streams');
  });

  // (Without a cap the sockets over it are not closed at all: the test times out.)
  test(`slowloris: at most ${SMALL.DEMO_MAX_SOCKETS} sockets are held open at once; once they go the visitor is served`, { timeout: 60_000 }, async () => {
    const port = Number(new URL(o).port);
    const N = SMALL.DEMO_MAX_SOCKETS + 20;
    // Each sends half a request and waits (headersTimeout would close it after 10 s).
    const socks = await Promise.all(Array.from({ length: N }, () => new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
      sock.closedByServer = new Promise((done) => sock.on('close', done));
      sock.on('error', () => {});
      sock.on('connect', () => resolve(sock));
    })));
    // The server closes what is over its cap at once; the rest stay open (until their headers
    // timeout).
    let closed = 0;
    await new Promise((resolve) => {
      for (const s of socks) s.closedByServer.then(() => { if (++closed === N - SMALL.DEMO_MAX_SOCKETS) resolve(); });
    });
    const held = socks.filter((s) => s.readyState === 'open').length;
    assert.ok(held <= SMALL.DEMO_MAX_SOCKETS, `${held} sockets held`);
    // (The test's own idle keep-alive sockets count against the cap too.)
    assert.ok(held >= SMALL.DEMO_MAX_SOCKETS / 2, `only ${held} held: the others were closed late, by their timeout`);
    for (const s of socks) s.destroy();
    await Promise.all(socks.map((s) => s.closedByServer));
    await keeps(payer, payer.paid, 'after the slow sockets');
  });
});
