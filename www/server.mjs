#!/usr/bin/env node
// The demo site: a page that pays over Interledger every second, and content metered here,
// on the server, from STREAM receipts (RFC 39) that only this server can verify.
//
//   node www/server.mjs            (PORT=8080 by default; PORT=0 picks a free port)
//
// Starts the reference Interledger stack (network/stack.mjs) as a child process and
// reads its ready line, then serves the page, /pkg/ and this API on 127.0.0.1:
//
//   POST /session                  new visitor session: a per-session BTP account (registered
//                                  on the stack) and a fresh STREAM connection whose receipts
//                                  are keyed with a nonce + secret that never leave this process
//   POST /session/:id/connection   another STREAM connection for the same session (after Stop)
//   POST /session/:id/receipt      body: base64 receipt -> verified, the increase is credited
//   GET  /session/:id              { credit, receiptCredit, received, unlocked, ... }
//   GET  /session/:id/content/:n   unit n (every other unit a paragraph) once credit >= (n + 1) * price, else 402
//   GET  /session/:id/media/init   the video's init segment (codecs only, no media: free)
//   GET  /session/:id/media/:n     second n of the video (a fragmented-MP4 segment) under the same
//                                  rule as content/:n: credit >= (n + 1) * price, else 402
//
// and the Web Monetization page (/monetized.html: link tags and listeners only):
//
//   GET  /pay/author, /pay/platform  SPSP for its two monetization links (answered by the
//                                  stack's receivers /stream/wm-author and /stream/wm-platform)
//   POST /wallet                   the stand-in wallet's BTP account (a fresh user) and rate
//
// Spendable credit = sum over the session's connections of
//   min(receipt-verified total, total the receiver reports for that connection).
// Stdout gets the URL lines only; nothing secret (tokens, receipt secrets) is ever logged.
// SIGINT/SIGTERM/SIGHUP: stop the HTTP server and the stack, then exit.
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8080);
const PRICE_PER_SECOND = 100_000n; // USD at scale 9: 0.0001 USD per second, like Coil's rate
const UNITS = 24; // seconds of content: 24 one-second video segments, 12 paragraphs
const MAX_SESSIONS = 500;
const MAX_CONNECTIONS_PER_SESSION = 20;

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  console.error(`demo: invalid PORT ${process.env.PORT}`);
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
  const child = spawn(process.execPath, [path.join(root, 'network/stack.mjs'), '--btp-port', '0', '--http-port', '0'], {
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
try {
  stack = await startStack();
} catch (err) {
  console.error(`demo: ${err.message}`);
  process.exit(1);
}
const STACK = stack.info.httpUrl;
const BTP_BASE = stack.info.btpBaseUrl; // btp+ws://127.0.0.1:P, no credentials
const ASSET_CODE = stack.info.assetCode;
const ASSET_SCALE = stack.info.assetScale;

async function stackJson (route, init = {}) {
  const res = await fetch(STACK + route, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`stack ${route}: HTTP ${res.status} ${body.error ?? body.message ?? ''}`.trim());
  return body;
}

// ------------------------------------------------------------------ sessions
const b64url = (buf) => buf.toString('base64url');
const sessions = new Map(); // id -> session

async function newConnection (session) {
  if (session.connections.length >= MAX_CONNECTIONS_PER_SESSION) {
    throw Object.assign(new Error('too many connections for this session'), { status: 429 });
  }
  const nonce = crypto.randomBytes(16);
  const secret = crypto.randomBytes(32);
  const spsp = await stackJson('/.well-known/pay', {
    headers: {
      accept: 'application/spsp4+json',
      'receipt-nonce': nonce.toString('base64'),
      'receipt-secret': secret.toString('base64'),
      'web-monetization-id': session.id
    }
  });
  if (!spsp.receipts_enabled) throw new Error('the receiver did not enable receipts');
  const { connections } = await stackJson('/control/connections');
  const rec = connections.find((c) => c.destinationAccount === spsp.destination_account);
  if (!rec) throw new Error('the receiver does not list the new connection');
  const conn = {
    nonce,
    secret,
    destinationAccount: spsp.destination_account,
    sharedSecret: spsp.shared_secret,
    stackId: rec.id,
    accepted: new Map() // streamId -> last accepted totalReceived (BigInt)
  };
  session.connections.push(conn);
  return conn;
}

async function newSession () {
  if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value); // oldest
  const id = b64url(crypto.randomBytes(12));
  const username = `visitor-${id.replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toLowerCase()}`;
  const token = b64url(crypto.randomBytes(24));
  await stackJson('/control/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, token })
  });
  const session = { id, username, token, createdAt: Date.now(), connections: [], served: { segments: 0, maxSegment: -1 } };
  await newConnection(session);
  sessions.set(id, session);
  return session;
}

function connectionJson (session, conn) {
  const btpUrl = new URL(BTP_BASE.replace(/^btp\+/, 'http+'));
  return {
    sessionId: session.id,
    btp: `btp+ws://${encodeURIComponent(session.username)}:${encodeURIComponent(session.token)}@${btpUrl.host}`,
    btpServer: BTP_BASE,
    btpUser: session.username,
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
    mediaType: media.mimeType
  };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0n);

async function account (session) {
  const per = await Promise.all(session.connections.map(async (conn) => {
    const rec = await stackJson(`/control/connections/${encodeURIComponent(conn.stackId)}`);
    const received = BigInt(rec.totalReceived);
    const receipts = sum([...conn.accepted.values()]);
    return { conn, received, receipts, credit: receipts < received ? receipts : received };
  }));
  const credit = sum(per.map((p) => p.credit));
  const unlocked = Math.min(UNITS, Number(credit / PRICE_PER_SECOND));
  return {
    sessionId: session.id,
    credit: credit.toString(),
    receiptCredit: sum(per.map((p) => p.receipts)).toString(),
    received: sum(per.map((p) => p.received)).toString(),
    unlocked,
    units: UNITS,
    pricePerSecond: PRICE_PER_SECOND.toString(),
    assetCode: ASSET_CODE,
    assetScale: ASSET_SCALE,
    // What this server handed out of the video: never past `unlocked`.
    segmentsServed: session.served.segments,
    maxSegmentServed: session.served.maxSegment,
    connections: per.map((p) => ({
      destinationAccount: p.conn.destinationAccount,
      receiptCredit: p.receipts.toString(),
      received: p.received.toString()
    }))
  };
}

// RFC 39 receipt: version(1) nonce(16) streamId(1) totalReceived(u64 BE) hmac(32).
// Returns { status, reason } on refusal, or { streamId, total, delta } after crediting.
function acceptReceipt (session, text) {
  if (typeof text !== 'string' || text.length > 80 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return { status: 400, reason: 'the receipt is not base64 of at most 80 characters' };
  }
  const r = Buffer.from(text, 'base64');
  if (r.length !== 58) return { status: 400, reason: `a receipt is 58 bytes, this one is ${r.length}` };
  if (r[0] !== 1) return { status: 400, reason: `unknown receipt version ${r[0]}` };
  const nonce = r.subarray(1, 17);
  const conn = session.connections.find((c) => crypto.timingSafeEqual(c.nonce, nonce));
  if (!conn) return { status: 403, reason: 'the receipt nonce belongs to no connection of this session' };
  const mac = crypto.createHmac('sha256', conn.secret).update(r.subarray(0, 26)).digest();
  if (!crypto.timingSafeEqual(mac, r.subarray(26, 58))) {
    return { status: 403, reason: 'the receipt signature is invalid (forged or altered)' };
  }
  const streamId = r[17];
  const total = r.readBigUInt64BE(18);
  const last = conn.accepted.get(streamId) ?? 0n;
  if (total <= last) {
    return { status: 409, reason: 'the receipt is not newer than the last one accepted (replayed or stale)' };
  }
  conn.accepted.set(streamId, total);
  return { streamId, total, delta: total - last };
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

// A visitor's wallet account: a fresh BTP user on the stack (no STREAM connection yet;
// monetize() queries SPSP per link).
async function newWallet () {
  const id = b64url(crypto.randomBytes(9)).replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toLowerCase();
  const username = `wallet-${id}`;
  const token = b64url(crypto.randomBytes(24));
  await stackJson('/control/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, token })
  });
  const btpUrl = new URL(BTP_BASE.replace(/^btp\+/, 'http+'));
  return {
    btp: `btp+ws://${encodeURIComponent(username)}:${encodeURIComponent(token)}@${btpUrl.host}`,
    amountPerSecond: PRICE_PER_SECOND.toString(),
    assetCode: ASSET_CODE,
    assetScale: ASSET_SCALE
  };
}

// SPSP for a monetization link, answered by the stack's receiver for it.
async function payTo (res, receiver) {
  const answer = await fetch(`${STACK}/${receiver}`, { headers: { accept: 'application/spsp4+json' } });
  const body = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, { ...SECURITY, 'Content-Type': answer.headers.get('content-type') ?? 'application/json', 'Content-Length': body.length });
  res.end(body);
}
const PKG_TYPES = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.ts': 'text/plain; charset=utf-8', '.json': 'application/json' };
const btpPort = new URL(BTP_BASE.replace(/^btp\+/, 'http+')).port;
const SECURITY = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self' ws://127.0.0.1:${btpPort} ws://localhost:${btpPort}`,
    "img-src 'self' data:",
    "media-src 'self' blob: data:",
    "style-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store'
};

function send (res, status, body, type = 'application/json') {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { ...SECURITY, 'Content-Type': type, 'Content-Length': buf.length });
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

async function serveFile (res, rel, type) {
  try {
    send(res, 200, await readFile(path.join(root, rel)), type);
  } catch {
    send(res, 404, { error: 'not found' });
  }
}

async function api (req, res, parts) {
  const m = req.method;
  if (parts.length === 0) {
    if (m !== 'POST') return send(res, 405, { error: 'use POST /session' });
    const session = await newSession();
    return send(res, 201, connectionJson(session, session.connections[0]));
  }
  const session = sessions.get(parts[0]);
  if (!session) return send(res, 404, { error: 'no such session' });
  const [, what, arg] = parts;
  if (what === undefined && m === 'GET') return send(res, 200, await account(session));
  if (what === 'connection' && m === 'POST' && arg === undefined) {
    const conn = await newConnection(session);
    return send(res, 201, connectionJson(session, conn));
  }
  if (what === 'receipt' && m === 'POST' && arg === undefined) {
    let text = await readBody(req);
    if (text.startsWith('{')) {
      try { text = JSON.parse(text).receipt; } catch { text = null; }
    }
    const before = await account(session);
    const result = acceptReceipt(session, text);
    if (result.status) {
      return send(res, result.status, { ok: false, reason: result.reason, credit: before.credit, unlocked: before.unlocked });
    }
    const after = await account(session);
    return send(res, 200, {
      ok: true,
      streamId: result.streamId,
      totalReceived: result.total.toString(),
      credited: result.delta.toString(),
      ...after
    });
  }
  if (what === 'media' && m === 'GET' && arg === 'init') return send(res, 200, media.init, 'video/mp4');
  if ((what === 'content' || what === 'media') && m === 'GET' && /^(0|[1-9][0-9]{0,5})$/.test(arg ?? '')) {
    const n = Number(arg);
    if (n >= UNITS) return send(res, 404, { error: `there are ${UNITS} units (0 to ${UNITS - 1})` });
    const acc = await account(session);
    const needed = BigInt(n + 1) * PRICE_PER_SECOND;
    if (BigInt(acc.credit) < needed) {
      return send(res, 402, {
        error: 'payment required',
        credit: acc.credit,
        needed: needed.toString(),
        pricePerUnit: PRICE_PER_SECOND.toString(),
        assetCode: ASSET_CODE,
        assetScale: ASSET_SCALE
      });
    }
    if (what === 'content') return send(res, 200, contentUnit(n));
    // A paid second is served again on request (a seek back replays it, paid once).
    session.served.segments++;
    session.served.maxSegment = Math.max(session.served.maxSegment, n);
    return send(res, 200, media.data[n], 'video/mp4');
  }
  return send(res, 404, { error: 'unknown route' });
}

async function handle (req, res) {
  const url = new URL(req.url, 'http://localhost');
  const p = url.pathname;
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

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!err.status) console.error(`demo: ${req.method} ${req.url.split('?')[0]}: ${err.message}`);
    if (!res.headersSent) send(res, err.status ?? 502, { error: err.status ? err.message : 'the Interledger stack did not answer as expected' });
    else res.destroy();
  });
});

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
  console.log(`ilp-stream-web demo: open http://${HOST}:${port}/`);
  console.log(`  Web Monetization page: http://${HOST}:${port}/monetized.html`);
  console.log(`  Interledger stack: BTP ${BTP_BASE}, control ${STACK}/control/  (Ctrl-C stops everything)`);
});
