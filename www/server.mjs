#!/usr/bin/env node
// The demo site: a page that pays over Interledger every second, and content metered here,
// on the server, from STREAM receipts (RFC 39) that only this server can verify.
//
//   node www/server.mjs            (PORT=8080 by default; PORT=0 picks a free port)
//
// Starts the local Interledger network (network/stack.mjs) as a child process and reads its
// ready line, then serves the page, /pkg/ and this API on 127.0.0.1. A visit is proven by
// an unguessable credential (32 random bytes) in a __Host-, Secure, HttpOnly, SameSite=Strict cookie; it
// never appears in a URL, a response body or a log line. The API:
//
//   POST /session                  this visit (the cookie's, or a new one: sets the cookie):
//                                  its BTP account on the network and a fresh STREAM
//                                  connection whose receipts are keyed with a nonce + secret
//                                  that never leave this server
//   POST /session/connection       another STREAM connection for this visit (after Stop, or
//                                  after the server restarted)
//   POST /session/receipt          body: base64 receipt -> verified, the increase is credited
//   GET  /session                  { credit, receiptCredit, received, unlocked, run, ... }
//   GET  /session/content/:n       unit n (every other unit a paragraph) once
//                                  credit >= (n + 1) * price, else 402; paid units stay free
//                                  to fetch again
//   GET  /session/media/init       the video's init segment (codecs only, no media: free)
//   GET  /session/media/:n         second n of the video (a fragmented-MP4 segment) under the
//                                  same rule as content/:n: credit >= (n + 1) * price, else 402
//
// and the Web Monetization page (/monetized.html: link tags and listeners only):
//
//   GET  /pay/author, /pay/platform  SPSP for its two monetization links (answered by the
//                                  stack's receivers /stream/wm-author and /stream/wm-platform)
//   POST /wallet                   the stand-in wallet's BTP account (a fresh user) and rate
//
// Every request must name this server in Host (127.0.0.1 or localhost with its port, against
// DNS rebinding); every POST must come from this server's own Origin, and no request from a
// page of another origin is served (Origin / Sec-Fetch-Site). Limits, each checked and taken
// with no await in between: MAX_CONNECTIONS_PER_SESSION STREAM connections per visit,
// MAX_SESSIONS visits in memory (a cache of the store: when full, the least recently active
// visit leaves memory and is loaded again on its next request, paid or not, so no visitor is
// ever refused for it; only a visit that has paid nothing and opened no connection for
// GRACE_MS is deleted), MAX_WALLETS wallet accounts, request bodies
// of 4 KiB. Each visitor's BTP account may pay at most USER_CREDIT (the network's
// --user-credit) and send USER_RATE packets a second, and only accounts this server
// registered may connect.
//
// Receipts are checked by the package's ReceiptVerifier with the store www/visits.mjs opens:
// SQLite ($DEMO_STATE_DIR/demo.sqlite, default .cache/demo/) by default, Redis when
// REDIS_URL is set. Visits live in the same store, so a restart keeps what each visit has
// paid for and unlocked, and its cookie stays valid.
// Spendable credit = sum over the visit's connections of what was credited for each:
//   min(receipt-verified total, total the receiver reports for that connection)
// while the receiver knows the connection (this run of the network), and the
// receipt-verified total for connections of an earlier run.
// Stdout gets the URL lines only; nothing secret (tokens, cookies, receipt secrets) is ever
// logged. The network's control API needs its per-run token, which this server keeps to
// itself; with ILP_STACK_CONTROL_TOKEN set by a parent (the tests), the network uses that
// one and the control URL is printed too (the parent already knows the token).
// SIGINT/SIGTERM/SIGHUP: stop the HTTP server and the stack, then exit.
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openVisits } from './visits.mjs';

// The npm package built into pkg/ (`make demo` builds it): its ReceiptVerifier checks every
// receipt (the Rust core's RFC 39 code) against the store visits.mjs opens.
let init, ReceiptVerifier;
try {
  ({ default: init, ReceiptVerifier } = await import('../pkg/ilp_stream_web.js'));
  await init();
} catch (err) {
  console.error(`demo: cannot load the package from pkg/ (run \`make demo\`, which builds it): ${err.message}`);
  process.exit(1);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8080);
const PRICE_PER_SECOND = 100_000n; // USD at scale 9: 0.0001 USD per second, like Coil's rate
const UNITS = 24; // seconds of content: 24 one-second video segments, 12 paragraphs
const MAX_SESSIONS = Number(process.env.DEMO_MAX_SESSIONS ?? 500);
const MAX_CONNECTIONS_PER_SESSION = 20;
const MAX_WALLETS = Number(process.env.DEMO_MAX_WALLETS ?? 200);
const MAX_SOCKETS = Number(process.env.DEMO_MAX_SOCKETS ?? 4000); // keep it below `ulimit -n`
// A visit that opened a connection this recently is never let go of the network (its BTP
// account) nor of the store, paid or not: its first receipt may be on its way.
const GRACE_MS = Number(process.env.DEMO_GRACE_MS ?? 30_000);
// Connection records the network keeps (its --max-records; tests make it small).
const STACK_MAX_RECORDS = Number(process.env.DEMO_STACK_MAX_RECORDS ?? 20_000);
const USER_CREDIT = PRICE_PER_SECOND * BigInt(UNITS) * 10n; // per BTP account and run of the network
// Packets per second per BTP account (a paying page sends about 5), and for all visitor
// accounts together; each connected account gets at most 80% of ACCOUNT_RATE divided by
// the accounts connected (the network's fair share), so no number of accounts can use up
// the shared rate. DEMO_USER_RATE and DEMO_ACCOUNT_RATE for tests.
const USER_RATE = Number(process.env.DEMO_USER_RATE ?? 200);
const ACCOUNT_RATE = Number(process.env.DEMO_ACCOUNT_RATE ?? 5000);
// __Host-: only this host may set it, with Path=/ and Secure (no Domain, no other path), so
// a page on another port of this host cannot plant a copy that shadows it (cookie tossing).
// Chromium keeps Secure cookies on http://127.0.0.1 and http://localhost (trustworthy).
const COOKIE = '__Host-demo_visit';

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  console.error(`demo: invalid PORT ${process.env.PORT}`);
  process.exit(2);
}
if (!Number.isInteger(STACK_MAX_RECORDS) || STACK_MAX_RECORDS < 1) {
  console.error(`demo: invalid DEMO_STACK_MAX_RECORDS ${process.env.DEMO_STACK_MAX_RECORDS}`);
  process.exit(2);
}
for (const [name, v, least] of [['DEMO_MAX_WALLETS', MAX_WALLETS, 0], ['DEMO_GRACE_MS', GRACE_MS, 0],
  ['DEMO_USER_RATE', USER_RATE, 1], ['DEMO_ACCOUNT_RATE', ACCOUNT_RATE, 1], ['DEMO_MAX_SOCKETS', MAX_SOCKETS, 1]]) {
  if (!Number.isInteger(v) || v < least) {
    console.error(`demo: invalid ${name} ${process.env[name]}`);
    process.exit(2);
  }
}
if (!Number.isInteger(MAX_SESSIONS) || MAX_SESSIONS < 1) {
  console.error(`demo: invalid DEMO_MAX_SESSIONS ${process.env.DEMO_MAX_SESSIONS}`);
  process.exit(2);
}

// ------------------------------------------------------------------ content
const ARTICLE = {
  title: 'Paying by the second',
  paragraphs: [
    'Every page you read was paid for somehow. For most of the web’s history that meant advertising: your attention was sold in an auction you never saw, and the writer kept a thin slice of what was left.',
    'This page works differently. While you read it, your browser sends a small payment every second — a ten-thousandth of a dollar here — and each second you pay for unlocks the next piece of this text and the next second of the video.',
    'The money travels over Interledger. Your browser holds an account at a connector, reached over a WebSocket with the Bilateral Transfer Protocol. The connector forwards each packet towards the receiver, who fulfils it to claim the money.',
    'Nothing here is a promise to pay later. A packet is either fulfilled, and the money moved, or rejected, and it did not. The sender in this page is a Rust library compiled to WebAssembly that speaks ILPv4, BTP and STREAM itself — no browser extension involved.',
    'STREAM splits a payment into many small packets and encrypts everything the two ends say to each other. It also lets sender and receiver agree on how much arrived: that is the figure shown as “delivered” in the panel beside this text.',
    'How does this server know you paid? It does not take your word for it. When the page opened, the server asked the receiver for a fresh connection and handed it a secret that only the server and the receiver know.',
    'With every fulfilled packet the receiver signs a receipt: the total received so far on your stream, sealed with that secret. Your browser cannot forge one, because it never sees the secret; it only passes each receipt along.',
    'The server checks the signature, checks that the receipt belongs to your connection, and credits only the increase over the last receipt it accepted. Replaying an old receipt, or sending random bytes, earns nothing at all.',
    'As a second line of defence the server also asks the receiver how much really arrived on your connection, and spends the smaller of the two figures. Receipts keep the check cheap; the cross-check keeps it honest.',
    'Pause the video and the payment stops with it; play, and both pick up where they left off. Stop paying and the video stops at the last second you paid for. There is no subscription, no account to create and nothing to cancel.',
    'Per-second payments change what a small site can ask for. A reader who stays for two minutes pays for two minutes; one who leaves after five seconds pays for five. Price and attention finally line up.',
    'That is the end of the article, and you paid for all of it — less than a quarter of a cent. Thank you for reading. Press Stop whenever you like: the stream closes and the receiver keeps the final total.'
  ]
};
const PARAGRAPH_EVERY = UNITS / ARTICLE.paragraphs.length; // a paragraph every 2 units

// The video: one-second fragmented-MP4 segments (VP9 + Opus) and their init segment,
// generated locally by scripts/make-media.mjs (`make demo` runs it) into .cache/media/.
const MEDIA_DIR = path.join(root, '.cache/media');
let media;
try {
  media = JSON.parse(await readFile(path.join(MEDIA_DIR, 'media.json'), 'utf8'));
  if (media.segments.length !== UNITS) throw new Error(`${media.segments.length} segments, not ${UNITS}`);
  media.init = await readFile(path.join(MEDIA_DIR, 'init.mp4'));
  media.data = await Promise.all(media.segments.map((_, n) => readFile(path.join(MEDIA_DIR, `${n}.m4s`))));
} catch (err) {
  console.error(`demo: no media in .cache/media (${err.message}); run \`make media\` (or node scripts/make-media.mjs)`);
  process.exit(1);
}

function contentUnit (n) {
  const p = n % PARAGRAPH_EVERY === 0 ? n / PARAGRAPH_EVERY : null;
  return {
    n,
    paragraphIndex: p,
    paragraph: p === null ? null : ARTICLE.paragraphs[p]
  };
}

// ------------------------------------------------------------------ the Interledger stack
function startStack () {
  // Visitor accounts only (registered here), each with a credit limit and its own packet
  // rate, so one account cannot use up the rate all share.
  const args = ['--btp-port', '0', '--http-port', '0', '--no-default-user', '--registered-users-only',
    '--user-credit', USER_CREDIT.toString(), '--user-rate', String(USER_RATE), '--rate-limit', String(ACCOUNT_RATE),
    '--max-records', String(STACK_MAX_RECORDS)];
  const child = spawn(process.execPath, [path.join(root, 'network/stack.mjs'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit']
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const onExit = (code, signal) => reject(new Error(`the Interledger stack exited before it was ready (${signal ?? code})`));
    child.once('exit', onExit);
    child.once('error', reject);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      try {
        const info = JSON.parse(line);
        if (!info.ready) throw new Error('not ready');
        resolve({ child, info });
      } catch {
        child.kill('SIGTERM');
        reject(new Error('the Interledger stack printed an unexpected first line'));
      }
    });
  });
}

let stack;
let visits;
let verifier;
try {
  [stack, visits] = await Promise.all([startStack(), openVisits({ root })]);
  verifier = new ReceiptVerifier({ store: visits.receiptStore, ttlMs: visits.ttlMs });
} catch (err) {
  console.error(`demo: ${err.message}`);
  stack?.child.kill('SIGTERM');
  process.exit(1);
}
const STACK = stack.info.httpUrl;
const STACK_AUTH = { authorization: `Bearer ${stack.info.controlToken}` };
const BTP_BASE = stack.info.btpBaseUrl; // btp+ws://127.0.0.1:P, no credentials
const BTP_HOST = new URL(BTP_BASE.replace(/^btp\+/, 'http+')).host;
const ASSET_CODE = stack.info.assetCode;
const ASSET_SCALE = stack.info.assetScale;
// This run of the server and its network: connections opened in it can be cross-checked
// with the receiver; those of earlier runs only by their receipts.
const RUN = crypto.randomBytes(8).toString('hex');

async function stackJson (route, init = {}) {
  const res = await fetch(STACK + route, { ...init, headers: { ...STACK_AUTH, ...init.headers } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(`stack ${route.split('/').slice(0, 3).join('/')}: HTTP ${res.status}`), { stackStatus: res.status });
  return { body, headers: res.headers };
}
const stackPost = (route, body) => stackJson(route, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
});

// ------------------------------------------------------------------ visits
// A visit's state (persisted by visits.mjs; amounts are BigInts here, strings there):
//   key          sha256 of the cookie credential, hex (the credential itself is kept nowhere)
//   username, token   its BTP account on the network (registered again after a restart)
//   connections  [{ nonce, run, stackId, destinationAccount, sharedSecret,
//                   verified (receipt total: the sum over its streams), streams (stream id ->
//                   that stream's receipt total), received (receiver's, last seen), credited }]
//                (the receipt secret is in the verifier's store only)
//   served       { segments, maxSegment }: what was handed out of the video (counted)
// What it has paid for is the sum of `credited`, each of which only grows (a maximum, not
// a running sum: replaying an update cannot count twice).
//   createdAt, lastActive (ms)
const live = new Map(); // key -> visit, in this process (a cache of the persisted store)
let opening = 0; // visits being created (their slot is reserved)
const byNonce = new Map(); // receipt nonce (base64) -> { visit, conn } for live visits
const registered = new Set(); // usernames registered on this run of the network

const keyOf = (credential) => crypto.createHash('sha256').update(credential).digest('hex');
const b64url = (buf) => buf.toString('base64url');

function track (visit) {
  live.set(visit.key, visit);
  inGrace.delete(visit.key);
  for (const conn of visit.connections) byNonce.set(conn.nonce, { visit, conn });
}
function untrack (visit) {
  live.delete(visit.key);
  for (const conn of visit.connections) byNonce.delete(conn.nonce);
}
const persist = (visit) => visits.save(visit).catch((err) => console.error(`demo: could not save a visit: ${err.message}`));

// The visit a request's cookie proves, or null.
async function visitOf (req) {
  const credential = cookie(req, COOKIE);
  if (credential === cookie.DUPLICATE) throw Object.assign(new Error('more than one visit cookie (one was planted by another service on this host): refused'), { status: 400 });
  if (!credential || !/^[A-Za-z0-9_-]{43}$/.test(credential)) return null;
  const key = keyOf(credential);
  let visit = live.get(key);
  if (!visit) {
    const stored = await visits.load(key);
    if (!stored) return null;
    visit = live.get(key) ?? stored; // another request may have loaded it meanwhile
    if (!live.has(key)) {
      reserveVisitSlot();
      track(visit);
    }
  }
  visit.lastActive = Date.now();
  if (!registered.has(visit.username)) {
    registered.add(visit.username); // before the await: one registration per run
    try {
      await stackPost('/control/users', { username: visit.username, token: visit.token });
    } catch (err) {
      registered.delete(visit.username);
      throw err;
    }
  }
  return visit;
}

// Visits idle for longer than the store keeps them leave this process too (every 10 min:
// a periodic pass, never per request).
setInterval(() => {
  const idle = Date.now() - visits.ttlMs;
  for (const visit of live.values()) if (visit.lastActive < idle && visit.opening === 0) untrack(visit);
}, 10 * 60_000).unref();

// Frees a slot for one more live visit if need be. `live` is only a cache of the store: the
// least recently active visit (paid or not, none being opened) leaves it and is loaded again
// on its next request, with everything it paid for. Only a visit with nothing paid and no
// connection opened in the last GRACE_MS is let go altogether (store, receipt nonces, BTP
// account): it holds nothing worth keeping. Never refuses for a full cache. Synchronous.
function reserveVisitSlot () {
  if (live.size + opening < MAX_SESSIONS) return;
  let oldest = null;
  for (const v of live.values()) if (v.opening === 0 && (!oldest || v.lastActive < oldest.lastActive)) oldest = v;
  if (!oldest) return; // every live visit is being opened (momentarily over the cap)
  untrack(oldest);
  if (creditOf(oldest) === 0n) {
    if (Date.now() - (oldest.connectedAt ?? 0) >= GRACE_MS) return forget(oldest);
    inGrace.set(oldest.key, oldest); // forgotten once its grace is over, unless it is back
  }
  persist(oldest); // what it was served since its last save
}

// Visits let go of memory with nothing paid while in their grace period, oldest first: once
// it is over, those not back in memory (no request since: nothing can have been credited)
// are forgotten too, so a flood of new visits leaves nothing behind in the store.
const inGrace = new Map(); // key -> visit
function forgetGraceOver () {
  const over = Date.now() - GRACE_MS;
  for (const visit of inGrace.values()) {
    if ((visit.connectedAt ?? 0) > over) break;
    inGrace.delete(visit.key);
    if (!live.has(visit.key)) forget(visit);
  }
}
setInterval(forgetGraceOver, Math.max(1000, Math.min(GRACE_MS, 10_000))).unref();

// Lets go of a visit with nothing paid: its stored record, its receipt nonces (and their
// totals, all zero), its BTP account.
function forget (visit) {
  visit.forgotten = true;
  visits.remove(visit.key).catch(() => {});
  verifier.removeVisitor(visit.key).catch(() => {});
  stackPost('/control/users/remove', { username: visit.username }).catch(() => {});
  registered.delete(visit.username);
}

async function newVisit () {
  reserveVisitSlot();
  opening++;
  try {
    const credential = b64url(crypto.randomBytes(32));
    const key = keyOf(credential);
    const username = `visitor-${key.slice(0, 16)}`;
    const token = b64url(crypto.randomBytes(24));
    registered.add(username);
    await stackPost('/control/users', { username, token });
    const now = Date.now();
    const visit = { key, username, token, connections: [], opening: 0, served: { segments: 0, maxSegment: -1 }, createdAt: now, lastActive: now };
    track(visit);
    return { visit, credential };
  } finally {
    opening--;
  }
}

// A new STREAM connection for `visit`; the slot is taken before the SPSP query and given
// back if it fails, so concurrent requests cannot pass the cap. At the cap, the oldest
// connection never paid on (no receipt, nothing credited) and older than GRACE_MS makes
// room: reloading the page (a connection each time) never locks a visit out.
async function newConnection (visit) {
  if (visit.connections.length + visit.opening >= MAX_CONNECTIONS_PER_SESSION) {
    const now = Date.now();
    const unused = visit.connections.find((c) => c.verified === 0n && c.credited === 0n && now - (c.createdAt ?? 0) >= GRACE_MS);
    if (!unused) throw Object.assign(new Error('too many connections for this visit'), { status: 429 });
    visit.connections.splice(visit.connections.indexOf(unused), 1);
    byNonce.delete(unused.nonce);
  }
  visit.opening++;
  try {
    const { nonce, secret } = await verifier.newNonce(visit.key);
    const { body: spsp, headers } = await stackJson('/.well-known/pay', {
      headers: { accept: 'application/spsp4+json', 'receipt-nonce': nonce, 'receipt-secret': secret }
    });
    if (!spsp.receipts_enabled) throw new Error('the receiver did not enable receipts');
    const stackId = headers.get('stack-connection-id');
    if (!stackId) throw new Error('the receiver did not name the new connection');
    const conn = {
      nonce,
      run: RUN,
      stackId,
      destinationAccount: spsp.destination_account,
      sharedSecret: spsp.shared_secret,
      verified: 0n,
      streams: {},
      received: 0n,
      credited: 0n,
      createdAt: Date.now()
    };
    // Let go of meanwhile: back into the cache (unless deleted, or loaded again as another copy).
    if (!live.has(visit.key)) {
      if (visit.forgotten) throw Object.assign(new Error('this visit has ended'), { status: 410 });
      reserveVisitSlot();
      track(visit);
    }
    if (live.get(visit.key) !== visit) throw Object.assign(new Error('this visit changed meanwhile; try again'), { status: 409 });
    visit.connections.push(conn);
    visit.connectedAt = Date.now();
    byNonce.set(conn.nonce, { visit, conn });
    await persist(visit);
    return conn;
  } finally {
    visit.opening--;
  }
}

function connectionJson (visit, conn) {
  return {
    btp: `btp+ws://${encodeURIComponent(visit.username)}:${encodeURIComponent(visit.token)}@${BTP_HOST}`,
    btpServer: BTP_BASE,
    btpUser: visit.username,
    destinationAccount: conn.destinationAccount,
    sharedSecret: conn.sharedSecret,
    assetCode: ASSET_CODE,
    assetScale: ASSET_SCALE,
    pricePerSecond: PRICE_PER_SECOND.toString(),
    units: UNITS,
    secondsPerUnit: 1,
    paragraphEvery: PARAGRAPH_EVERY,
    paragraphs: ARTICLE.paragraphs.length,
    title: ARTICLE.title,
    run: RUN,
    mediaType: media.mimeType,
    ...account(visit)
  };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0n);
const creditOf = (visit) => sum(visit.connections.map((c) => c.credited));
const min = (a, b) => (a < b ? a : b);
const unlockedBy = (credit) => Math.min(UNITS, Number(credit / PRICE_PER_SECOND));

// Whether the receiver's total cross-checks `conn`: a connection of this run that the
// receiver still knows (it forgets closed and never-connected records past its cap).
const crossChecked = (conn) => conn.run === RUN && !conn.forgotten;

// What the receiver has for a connection of this run (one request, by its id). A 404: the
// receiver forgot it (closed, or never connected, and pushed out by newer records); from
// then on it is credited by its receipts alone, as a connection of an earlier run is.
// A connection the receiver has closed has its final total: it is not asked again. GET
// /session requests for one connection at once share one answer.
const refreshing = new Map(); // conn -> the request under way
function refreshReceived (conn) {
  if (!crossChecked(conn) || conn.final) return Promise.resolve();
  let p = refreshing.get(conn);
  if (!p) {
    p = askReceived(conn).finally(() => refreshing.delete(conn));
    refreshing.set(conn, p);
  }
  return p;
}
async function askReceived (conn) {
  let body;
  try {
    ({ body } = await stackJson(`/control/connections/${encodeURIComponent(conn.stackId)}`));
  } catch (err) {
    if (err.stackStatus !== 404) throw err;
    conn.forgotten = true;
    return;
  }
  const received = BigInt(body.totalReceived);
  if (received > conn.received) conn.received = received;
  if (body.closed) conn.final = true;
}

// Credits what `conn` has newly earned: the verified receipt total, capped by what the
// receiver reports while it knows the connection. Synchronous; amounts only grow.
function credit (visit, conn) {
  const earned = crossChecked(conn) ? min(conn.verified, conn.received) : conn.verified;
  if (earned <= conn.credited) return 0n;
  const delta = earned - conn.credited;
  conn.credited = earned;
  return delta;
}

function account (visit) {
  return {
    credit: creditOf(visit).toString(),
    receiptCredit: sum(visit.connections.map((c) => c.verified)).toString(),
    received: sum(visit.connections.map((c) => c.received)).toString(),
    unlocked: unlockedBy(creditOf(visit)),
    units: UNITS,
    pricePerSecond: PRICE_PER_SECOND.toString(),
    assetCode: ASSET_CODE,
    assetScale: ASSET_SCALE,
    run: RUN,
    // What this server handed out of the video: never past `unlocked`.
    segmentsServed: visit.served.segments,
    maxSegmentServed: visit.served.maxSegment,
    connections: visit.connections.map((c) => ({
      destinationAccount: c.destinationAccount,
      receiptCredit: c.verified.toString(),
      received: c.received.toString(),
      current: crossChecked(c)
    }))
  };
}

async function freshAccount (visit) {
  await Promise.all(visit.connections.map(refreshReceived));
  let changed = false;
  for (const conn of visit.connections) if (credit(visit, conn) > 0n) changed = true;
  if (changed) await persist(visit);
  return account(visit);
}

// ------------------------------------------------------------------ receipts
// The verifier's refusals, as HTTP statuses: malformed 400, not ours to credit 403.
const RECEIPT_STATUS = {
  'invalid-receipt-base64': 400,
  'invalid-receipt-length': 400,
  'invalid-receipt-version': 400,
  'invalid-receipt-signature': 403,
  'unknown-receipt-nonce': 403,
  'receipt-visitor-mismatch': 403
};

async function acceptReceipt (visit, text) {
  if (typeof text !== 'string' || text.length > 80) return { status: 400, reason: 'the receipt is not base64 of at most 80 characters' };
  let v;
  try {
    // visitorId: a genuine receipt of another visit's connection credits nothing here.
    v = await verifier.verify(text, { visitorId: visit.key });
  } catch (err) {
    const status = RECEIPT_STATUS[err.code];
    if (status) return { status, reason: `${err.code}: ${err.message}` };
    throw err;
  }
  const owner = byNonce.get(v.nonce);
  if (!owner || owner.visit !== visit) return { status: 403, reason: 'the receipt nonce belongs to no connection of this visit' };
  const { conn } = owner;
  // (Not `increase`: with several instances on one store another may have recorded it; the
  // visit's credit is a maximum per connection, so taking it here too counts it once.)
  // Receipts are per STREAM stream: each stream's total counts, and the connection's is their sum.
  const stream = String(v.streamId);
  if (v.totalReceived <= BigInt(conn.streams[stream] ?? 0n)) {
    return { status: 409, reason: 'the receipt is not newer than the last one accepted (replayed or stale)' };
  }
  conn.streams[stream] = v.totalReceived;
  conn.verified = sum(Object.values(conn.streams).map(BigInt));
  // (Its own request: one under way may have been answered before this receipt's money.)
  if (crossChecked(conn) && !conn.final) await askReceived(conn).catch(() => {});
  const delta = credit(visit, conn);
  await persist(visit);
  return { totalReceived: v.totalReceived, delta };
}

// ------------------------------------------------------------------ wallets
// A visitor's wallet account: a fresh BTP user on the stack (no STREAM connection yet;
// monetize() queries SPSP per link). At most MAX_WALLETS; the oldest is let go first.
const wallets = [];
async function newWallet () {
  const username = `wallet-${b64url(crypto.randomBytes(12)).replace(/[^A-Za-z0-9]/g, '').slice(0, 12).toLowerCase()}`;
  const token = b64url(crypto.randomBytes(24));
  wallets.push(username);
  // The oldest is removed (its sockets closed) before the new one exists.
  if (wallets.length > MAX_WALLETS) await stackPost('/control/users/remove', { username: wallets.shift() }).catch(() => {});
  await stackPost('/control/users', { username, token });
  return {
    btp: `btp+ws://${encodeURIComponent(username)}:${encodeURIComponent(token)}@${BTP_HOST}`,
    amountPerSecond: PRICE_PER_SECOND.toString(),
    assetCode: ASSET_CODE,
    assetScale: ASSET_SCALE
  };
}

// SPSP for a monetization link, answered by the stack's receiver for it.
async function payTo (res, receiver) {
  const answer = await fetch(`${STACK}/${receiver}`, { headers: { accept: 'application/spsp4+json' } });
  const body = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, { ...SECURITY, 'Content-Type': 'application/spsp4+json', 'Content-Length': body.length });
  res.end(body);
}

// ------------------------------------------------------------------ HTTP
const STATIC = {
  '/': ['www/index.html', 'text/html; charset=utf-8'],
  '/index.html': ['www/index.html', 'text/html; charset=utf-8'],
  '/app.js': ['www/app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['www/style.css', 'text/css; charset=utf-8'],
  '/monetized.html': ['www/monetized.html', 'text/html; charset=utf-8'],
  '/publisher.js': ['www/publisher.js', 'text/javascript; charset=utf-8'],
  '/wallet.js': ['www/wallet.js', 'text/javascript; charset=utf-8']
};
const WM_RECEIVERS = { author: 'stream/wm-author', platform: 'stream/wm-platform' };
const PKG_TYPES = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.ts': 'text/plain; charset=utf-8', '.json': 'application/json' };
const SECURITY = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    // Any loopback port: the network's BTP port changes when the server restarts, and an
    // open page must reach the new one.
    "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
    "img-src 'self' data:",
    "media-src 'self' blob: data:",
    "style-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store'
};

function send (res, status, body, type = 'application/json', extra = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { ...SECURITY, 'Content-Type': type, 'Content-Length': buf.length, ...extra });
  res.end(buf);
}

async function readBody (req, limit = 4096) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

// The value of cookie `name`, null if none, or `cookie.DUPLICATE` if the request has more than
// one: cookies are not scoped by port, and a copy planted by another service on this host
// (a longer Path is sent first: cookie tossing) must not choose the visit; none is chosen.
function cookie (req, name) {
  let found = null;
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      if (found !== null) return cookie.DUPLICATE;
      found = part.slice(eq + 1).trim();
    }
  }
  return found;
}
cookie.DUPLICATE = Symbol('more than one');
const setCookie = (credential) => `${COOKIE}=${credential}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(visits.ttlMs / 1000)}`;

async function serveFile (res, rel, type) {
  try {
    send(res, 200, await readFile(path.join(root, rel)), type);
  } catch {
    send(res, 404, { error: 'not found' });
  }
}

const noVisit = (res) => send(res, 401, { error: 'no visit: POST /session first (the visit is a cookie)' });

async function api (req, res, parts) {
  const m = req.method;
  const [what, arg] = parts;
  if (what === undefined && m === 'POST') {
    let visit = await visitOf(req);
    let credential = null;
    if (!visit) ({ visit, credential } = await newVisit());
    const conn = await newConnection(visit);
    return send(res, credential ? 201 : 200, connectionJson(visit, conn), 'application/json',
      credential ? { 'Set-Cookie': setCookie(credential) } : {});
  }
  const visit = await visitOf(req);
  if (!visit) return noVisit(res);
  if (what === undefined && m === 'GET') return send(res, 200, await freshAccount(visit));
  if (what === 'connection' && m === 'POST' && arg === undefined) {
    const conn = await newConnection(visit);
    return send(res, 201, connectionJson(visit, conn));
  }
  if (what === 'receipt' && m === 'POST' && arg === undefined) {
    let text = await readBody(req);
    if (text.startsWith('{')) {
      try { text = JSON.parse(text).receipt; } catch { text = null; }
    }
    const result = await acceptReceipt(visit, text);
    if (result.status) {
      return send(res, result.status, { ok: false, reason: result.reason, ...account(visit) });
    }
    return send(res, 200, { ok: true, totalReceived: result.totalReceived.toString(), credited: result.delta.toString(), ...account(visit) });
  }
  if (what === 'media' && m === 'GET' && arg === 'init') return send(res, 200, media.init, 'video/mp4');
  if ((what === 'content' || what === 'media') && m === 'GET' && /^(0|[1-9][0-9]{0,5})$/.test(arg ?? '')) {
    const n = Number(arg);
    if (n >= UNITS) return send(res, 404, { error: `there are ${UNITS} units (0 to ${UNITS - 1})` });
    const needed = BigInt(n + 1) * PRICE_PER_SECOND;
    if (creditOf(visit) < needed) {
      return send(res, 402, {
        error: 'payment required',
        credit: creditOf(visit).toString(),
        needed: needed.toString(),
        pricePerUnit: PRICE_PER_SECOND.toString(),
        assetCode: ASSET_CODE,
        assetScale: ASSET_SCALE
      });
    }
    if (what === 'content') return send(res, 200, contentUnit(n));
    // A paid second is served again on request (a seek back replays it, paid once).
    visit.served.segments++;
    visit.served.maxSegment = Math.max(visit.served.maxSegment, n);
    return send(res, 200, media.data[n], 'video/mp4');
  }
  return send(res, 404, { error: 'unknown route' });
}

let ownHosts = [];
// Refuses what no page of this site sends: a Host naming another server (DNS rebinding), a
// POST without this site's Origin, a request a page of another origin made. The pages
// themselves may be linked to from anywhere (a navigation); the API may not.
function refusal (req, api) {
  const host = String(req.headers.host ?? '').toLowerCase();
  if (!ownHosts.includes(host)) return 'Host must name this server';
  const origin = req.headers.origin;
  const ours = origin !== undefined && origin === `http://${host}`;
  if (req.method !== 'GET' && req.method !== 'HEAD' && !ours) return 'a POST must come from this site (Origin)';
  if (origin !== undefined && !ours) return 'requests from other origins are not served';
  const site = req.headers['sec-fetch-site'];
  if (api && site !== undefined && site !== 'same-origin' && site !== 'none') return 'requests from other sites are not served';
  return null;
}
const API_PREFIXES = ['/session', '/wallet', '/pay/'];

async function handle (req, res) {
  const url = new URL(req.url, 'http://localhost');
  const p = url.pathname;
  const why = refusal(req, API_PREFIXES.some((a) => p.startsWith(a)));
  if (why) return send(res, 403, { error: why });
  if (p === '/session' || p.startsWith('/session/')) {
    return api(req, res, p.split('/').slice(2).filter(Boolean));
  }
  if (p === '/wallet') {
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST /wallet' });
    return send(res, 201, await newWallet());
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
  const pay = /^\/pay\/([a-z]+)$/.exec(p);
  if (pay && WM_RECEIVERS[pay[1]]) return payTo(res, WM_RECEIVERS[pay[1]]);
  if (STATIC[p]) return serveFile(res, ...STATIC[p]);
  const pkg = /^\/pkg\/([A-Za-z0-9_.-]+)$/.exec(p);
  if (pkg && PKG_TYPES[path.extname(pkg[1])]) return serveFile(res, `pkg/${pkg[1]}`, PKG_TYPES[path.extname(pkg[1])]);
  if (p === '/favicon.ico') { res.writeHead(204, SECURITY); return res.end(); }
  return send(res, 404, { error: 'not found' });
}

// A route's shape for error lines: no ids, no query, nothing a visitor chose.
const routeOf = (url) => String(url).split('?')[0].replace(/\/[0-9]+$/, '/:n').slice(0, 40);

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!err.status) console.error(`demo: ${req.method} ${routeOf(req.url)}: ${err.message}`);
    if (!res.headersSent) send(res, err.status ?? 502, { error: err.status ? err.message : 'the Interledger stack did not answer as expected' });
    else res.destroy();
  });
});
server.headersTimeout = 10_000;
server.requestTimeout = 30_000;
// Sockets open at once (slow or idle clients hold one each): past it a new one is closed at
// once, so a slowloris cannot exhaust file descriptors or memory. Per-IP limits belong in
// front of the server (README).
server.maxConnections = MAX_SOCKETS;

// ------------------------------------------------------------------ lifecycle
let stopping = false;
async function shutdown (code = 0) {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections?.();
  server.close();
  const { child } = stack;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 6000);
    await exited;
    clearTimeout(hard);
  }
  await visits.close().catch(() => {});
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(0));
process.on('exit', () => { try { stack.child.kill('SIGKILL'); } catch {} });
stack.child.on('exit', (code, signal) => {
  if (!stopping) {
    console.error(`demo: the Interledger stack stopped (${signal ?? code}); stopping`);
    shutdown(1);
  }
});

server.on('error', (err) => {
  console.error(`demo: cannot listen on ${HOST}:${PORT}: ${err.message}`);
  shutdown(1);
});
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  ownHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  console.log(`ilp-stream-web demo: open http://${HOST}:${port}/`);
  console.log(`  Web Monetization page: http://${HOST}:${port}/monetized.html`);
  console.log(`  visits kept in ${visits.where}`);
  if (process.env.ILP_STACK_CONTROL_TOKEN) console.log(`  Interledger stack: control ${STACK}/control/ (the token you gave)`);
  console.log('  Ctrl-C stops everything');
});
