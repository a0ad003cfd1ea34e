#!/usr/bin/env node
// Reference Interledger stack on loopback, for browser tests, the demo and benchmarks.
//
// Product code, not a test fixture: `make demo` (www/server.mjs) and the benchmarks
// start it as the local Interledger network; the tests (scripts/with-services.mjs) use it.
//
//   browser (BTP client, e.g. our wasm SDK)
//     [-> fault proxy (ws@8), optional: proxyBtpUrl instead of btpUrl]
//     -> [account "browser": ilp-plugin-mini-accounts, BTP server, relation child]
//        ilp-connector "test.connector" (one-to-one backend, spread 0, memory store)
//     -> one account per receiver, each an ilp-plugin-btp client --BTP--> the receiver's
//        ilp-plugin-btp listener:
//          "receiver"  ilp-protocol-stream 2.7.1 Server, sender's asset scale  (key stream)
//          "stateless" @interledger/stream-receiver 0.2.2, sender's scale      (key stateless)
//          "receiver6" ilp-protocol-stream Server, asset scale 6               (key scale6)
//          "receiver0" ilp-protocol-stream Server, asset scale 0               (key scale0)
//        all with the sender's asset code. Addresses: test.connector.<account>.<token>.
//   + one node:http server: SPSP (/.well-known/pay, /<name>), control API (/control/...),
//     optional static files (--serve-dir).
//
// CLI (all optional):
//   node network/stack.mjs --btp-port 0 --http-port 0 [--proxy-port 0] [--max-packet-amount N]
//     [--rate-limit N] [--receiver-cap N] [--balance-max N] [--serve-dir DIR]
//     [--user NAME:TOKEN]... [--no-default-user] [--allow-origin REGEX]... [--no-receipts]
//     [--asset-code USD] [--asset-scale 9] [--user-credit N] [--user-rate N] [--registered-users-only]
//     [--max-records N]
// --max-records N: connection records kept (default 20000); past it the oldest closed or
//   never-connected record is forgotten, never a live one (when all are live, SPSP answers 503).
// --user-credit N: each BTP user of the browser account may have at most N source units
//   paid or in flight, ever (a Prepare that would pass it gets T04 "exceeded the user's
//   credit limit."); default unlimited. --user-rate N: each BTP user may send N packets per
//   second (token bucket, capacity N; then T05 "too many requests from this account,
//   throttling."), so one user cannot use up the account-wide --rate-limit of all; with a
//   --rate-limit, at most 80% of it divided by the users connected; default none.
//   --registered-users-only: a BTP name must have been registered (--user, POST
//   /control/users) before it can authenticate, and may send Prepares to the receivers only
//   (others get F02 at once, before the connector); default: the first token for a new name
//   binds it. --no-default-user: no alice:alice-secret.
// The control token: $ILP_STACK_CONTROL_TOKEN if set (at least 32 characters), else 32
// random bytes (base64url) made at start; only the ready line reports it.
// Port 0 = pick a free port. When everything listens, ONE line of JSON goes to stdout:
//   {"ready":true,"btpUrl":"btp+ws://alice:alice-secret@127.0.0.1:P","btpBaseUrl":"btp+ws://127.0.0.1:P",
//    "btpPort":P,"httpUrl":"http://127.0.0.1:H","paymentPointerUrl":"http://127.0.0.1:H/.well-known/pay",
//    "assetCode":"USD","assetScale":9,"connectorAddress":"test.connector",
//    "browserAddressPrefix":"test.connector.browser","receiverAddress":"test.connector.receiver",
//    "proxyBtpUrl":"btp+ws://alice:alice-secret@127.0.0.1:X","proxyBtpBaseUrl":"btp+ws://127.0.0.1:X",
//    "proxyPort":X,"knownUser":{"username":"alice","token":"alice-secret"},"config":{...},"pid":N,
//    "controlToken":"..."}
// Nothing else is written to stdout. Logs (connector, plugins, stream) only when DEBUG is set,
// then to stderr. SIGINT/SIGTERM: close everything, exit 0.
//
// Control API (JSON, same HTTP server). Test and operator use only, never for pages:
//   every request needs `Authorization: Bearer <controlToken>` (else 401, no CORS headers);
//   the server listens on loopback only, answers loopback peers only, and only to a Host
//   header naming itself (127.0.0.1 / localhost / [::1] with its port), else 403 (DNS
//   rebinding). CORS headers (the request's Origin echoed) go only on authorised answers to
//   loopback origins, for the wasm browser tests, whose page is on another loopback port.
//   No control answer carries a secret: no receipt secrets, BTP tokens or shared secrets.
//   GET  /control/connections      {connections: [{id, name, receiver, assetScale,
//                                    destinationAccount, streamConnected, closed,
//                                    totalReceived, packets, dataLength, streams,
//                                    receiptsEnabled, receiptNonce, receiptSource, ...}]}
//                                  (no data: that is in the single record)
//   GET  /control/connections/:id  one record (id = "c1", "c2", ... in SPSP query order), with
//                                  dataBase64: the first 64 KiB received (kept for at most
//                                  DATA_KEEP_TOTAL bytes over all connections). An SPSP answer
//                                  names its record in the `Stack-Connection-Id` header.
//   POST /control/connections/:id/write {base64, streamId?, end?}  the receiver writes these
//                                  bytes to the stream (default: the first one the sender
//                                  opened, i.e. id 1) with stream.write(); end: true also
//                                  end()s it (StreamClose once flushed). 409 if the connection
//                                  has no open stream yet (the sender opens stream 1 with its
//                                  first StreamMoney or StreamData frame).
//                                  -> {ok, streamId, written}
//   GET  /control/totals           {connections, streamConnected, closed, totalReceived, dataLength,
//                                   receivers: {<key>: {kind, assetScale, address, connections,
//                                   totalReceived}}, proxy: <GET /control/proxy>}
//   GET  /control/info             the ready-line object (current ports/config), without the
//                                  known user's token and without the control token
//   POST /control/config           {maxPacketAmount?, rateLimit?, balanceMax?, throughput?,
//                                   receiverCap?, receiver?}
//                                  (null = default; connector settings (the first four)
//                                  re-create the browser account, dropping its BTP clients and
//                                  resetting its balance; receiverCap applies to new streams)
//   GET  /control/proxy            fault proxy state and counters (see "Fault proxy" below)
//   POST /control/proxy            {dropReplies?, dropAfter?, cutAfterDropped?, cutAfterMs?}
//   POST /control/proxy/cut        {graceful?}  cut every page socket now; ends the fault
//   POST /control/connector/restart {downMs?}  stop the browser account's BTP listener (all
//                                  clients dropped), wait downMs, listen again on the same port.
//                                  Connector, receiver links and STREAM state are kept.
//   POST /control/users            {username, token}  pre-register a token
//   POST /control/users/remove     {username}  forget a user (its token and credit use)
//   POST /control/reset            forget connections/totals (all receivers), restore tokens,
//                                  start config and the proxy (no fault, counters 0), re-create
//                                  the browser account (fresh balance)
// SPSP: GET /.well-known/pay (always) and /<name> (any path without --serve-dir; with it, when
// Accept asks for application/spsp4+json). /unknown answers 404 InvalidReceiverError;
// /never never answers (a black-holed SPSP server).
// Receiver choice: a first path segment naming a receiver key picks it (/stateless,
// /scale6, /scale0, /stream, also /stateless/bob ...); any other path, and /.well-known/pay,
// goes to config.receiver ('stream' (default) or 'stateless').
//
// Totals: totalReceived is in the receiver's own units (its assetScale): per record, per
// receiver key, and (a plain sum, only meaningful with one scale in use) overall. For
// ilp-protocol-stream it adds the stream 'money' events; for the stateless receiver, which
// tells the sender nothing (no StreamMaxMoney), it is the sum of the amounts of the
// Prepares it fulfilled, counted by the harness when it accepts them (`packets` = how many).
// The stateless receiver fulfils every authentic Prepare meeting its minimum; receiverCap
// does not apply to it; receipts as for the other receivers (stream id 1).
//
// Connector options for the browser account (ilp-connector 23.0.2 middlewares, read from
// node_modules/ilp-connector/dist):
// rateLimit N = packets per second on the browser account (token bucket, capacity N).
// Without it the connector default applies: 10,000 packets per minute (then T05
// "too many requests, throttling.").
// maxPacketAmount: connector rejects bigger Prepares from the browser account with F08.
// balanceMax: connector balance maximum for the browser account (T04 "exceeded maximum
// balance."; amounts in flight count; a Prepare bigger than the room left is refused whole;
// nothing ever settles, so it is a cap on the total ever paid). Default Infinity. Works
// with or without maxPacketAmount.
// throughput {incomingAmount, refillPeriod?}: money bandwidth. A token bucket holding
// incomingAmount (its capacity, so also the largest burst), refilled continuously at
// incomingAmount per refillPeriod ms (default 1000, at least 100); each incoming Prepare takes
// its amount (probes too, even those the receiver then rejects) or is refused with T04
// "exceeded money bandwidth, throttling.". Checked after maxPacketAmount, before the balance.
// receiverCap: each incoming ilp-protocol-stream stream gets setReceiveMax(cap) (default
// unlimited).
// Exchange rate (one-to-one backend): 10^(destination scale - source scale), amounts floored:
// 1000 units at scale 9 -> 1 unit at scale 6, 999 -> 0; 10^9 -> 1 unit at scale 0.
//
// Fault proxy: see the comment above `proxyFresh` below. Counters (GET /control/proxy):
// {dropReplies, dropAfter, cutAfterDropped, cutAfterMs, dropped, droppedThisFault,
// toConnector, toPage, accepted, open, cuts}. A fault is: dropReplies true (drop now) or
// dropAfter N (forward N more frames connector -> page, then drop), optionally ended by an
// automatic cut after cutAfterDropped frames dropped or cutAfterMs ms of dropping. Any cut
// ends the fault, after which the proxy forwards normally (the page may reconnect).
// dropReplies false ends it without a cut.
//
// BTP auth (ilp-plugin-mini-accounts 4.2.0, read from its source): it is given a store, so it
// runs in "UsernameOrHashToken" mode: account = auth_username (JS ilp-plugin-btp sends the URL
// user), or sha256(token) when no username is sent. The FIRST token used for a username is
// saved in the store; a later, different token for that username gets a BTP Error
// F00 NotAcceptedError "incorrect token for account..." and the socket is closed.
// An EMPTY token is always refused ("auth_token subprotocol is required").
// The harness pre-registers "alice:alice-secret" (and any --user), so connecting as
// alice with any other token provokes the auth failure. The token store lives in the harness,
// so it survives /control/connector/restart; /control/reset restores the pre-registered set.
//
// Receipts: an SPSP query carrying Receipt-Nonce + Receipt-Secret (base64, 16/32 bytes)
// gets receipts with those; without headers the harness uses its own random per-connection
// nonce/secret (shown in /control/connections) unless --no-receipts. One header alone -> 400.
import './shim.cjs' // must precede ilp-protocol-stream (Node 20 `closed` getter trap)
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

// Trap: the connector's logger (riverpig) writes to process.STDOUT by default, which would
// corrupt the ready line. Redirect it before the connector is created.
const connectorLog = require('ilp-connector/dist/common/log')
connectorLog.setOutputStream(process.env.DEBUG
  ? process.stderr
  : new Writable({ write (_c, _e, cb) { cb() } }))

const { createApp } = require('ilp-connector')
const MiniAccounts = require('ilp-plugin-mini-accounts')
const BtpPlugin = require('ilp-plugin-btp')
const BtpPacket = require('btp-packet')
const { Server: StreamServer } = require('ilp-protocol-stream')
const { StreamServer: StatelessServer } = require('@interledger/stream-receiver')
const IlpPacket = require('ilp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const WebSocket = require('ws') // ws@8 (devDependency), for the fault proxy

// ---------------------------------------------------------------- options
function parseArgs (argv) {
  const o = {
    btpPort: 0,
    httpPort: 0,
    proxyPort: 0,
    host: '127.0.0.1',
    maxPacketAmount: null,
    rateLimit: null,
    receiverCap: null,
    balanceMax: null,
    serveDir: null,
    users: [['alice', 'alice-secret']],
    allowOrigins: [
      '^https?://localhost(:[0-9]+)?$',
      '^https?://127\\.0\\.0\\.1(:[0-9]+)?$',
      '^https?://\\[::1\\](:[0-9]+)?$'
    ],
    receipts: true,
    assetCode: 'USD',
    assetScale: 9,
    userCredit: null,
    userRate: null,
    registeredOnly: false,
    maxRecords: 20_000
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`)
      return argv[++i]
    }
    switch (a) {
      case '--btp-port': o.btpPort = Number(next()); break
      case '--http-port': o.httpPort = Number(next()); break
      case '--proxy-port': o.proxyPort = Number(next()); break
      case '--host': o.host = next(); break
      case '--max-packet-amount': o.maxPacketAmount = next(); break
      case '--rate-limit': o.rateLimit = Number(next()); break
      case '--receiver-cap': o.receiverCap = next(); break
      case '--balance-max': o.balanceMax = next(); break
      case '--serve-dir': o.serveDir = path.resolve(next()); break
      case '--user': {
        const [u, ...t] = next().split(':')
        if (!u || !t.length) throw new Error('--user wants NAME:TOKEN')
        o.users.push([u, t.join(':')])
        break
      }
      case '--allow-origin': o.allowOrigins.push(next()); break
      case '--no-receipts': o.receipts = false; break
      case '--no-default-user': o.users = o.users.filter(([u]) => u !== 'alice'); break
      case '--user-credit': o.userCredit = next(); break
      case '--user-rate': o.userRate = Number(next()); break
      case '--registered-users-only': o.registeredOnly = true; break
      case '--max-records': o.maxRecords = Number(next()); break
      case '--asset-code': o.assetCode = next(); break
      case '--asset-scale': o.assetScale = Number(next()); break
      case '-h': case '--help':
        process.stderr.write('see the header of network/stack.mjs\n'); process.exit(0)
        break
      default: throw new Error(`unknown argument ${a}`)
    }
  }
  return o
}

const opts = parseArgs(process.argv.slice(2))
for (const [k, re] of Object.entries({
  maxPacketAmount: /^[1-9][0-9]*$/, rateLimit: /^[1-9][0-9]*$/, balanceMax: /^(0|-?[1-9][0-9]*|Infinity)$/, receiverCap: /^(0|[1-9][0-9]*)$/, userCredit: /^(0|[1-9][0-9]*)$/, userRate: /^[1-9][0-9]*$/, maxRecords: /^[1-9][0-9]*$/
})) {
  if (opts[k] != null && !re.test(String(opts[k]))) {
    process.stderr.write(`stack.mjs: invalid ${k}: ${opts[k]}\n`)
    process.exit(2)
  }
}
const CONTROL_TOKEN = process.env.ILP_STACK_CONTROL_TOKEN || crypto.randomBytes(32).toString('base64url')
if (CONTROL_TOKEN.length < 32) {
  process.stderr.write('stack.mjs: ILP_STACK_CONTROL_TOKEN must have at least 32 characters\n')
  process.exit(2)
}
const CONTROL_AUTH = crypto.createHash('sha256').update(`Bearer ${CONTROL_TOKEN}`).digest()
const CONNECTOR_ADDRESS = 'test.connector'
const log = (...m) => { if (process.env.DEBUG) console.error('[stack]', ...m) }

// Per-test tunables (POST /control/config). Start-time values are restored by /control/reset.
const initialConfig = () => ({
  maxPacketAmount: opts.maxPacketAmount,
  rateLimit: opts.rateLimit,
  balanceMax: opts.balanceMax,
  receiverCap: opts.receiverCap,
  throughput: null,
  receiver: 'stream'
})
let config = initialConfig()

// ---------------------------------------------------------------- token store
// A plain in-memory store with the get/put/del promise API that ilp-store-wrapper expects.
// The key format and hash mirror mini-accounts' token.ts: `<account>:hashed-token` =
// base64url(sha256(token)).
const tokenMap = new Map()
const tokenStore = {
  get: async (k) => tokenMap.get(k),
  put: async (k, v) => { tokenMap.set(k, v) },
  del: async (k) => { tokenMap.delete(k) }
}
function registerUser (username, token) {
  tokenMap.set(`${username}:hashed-token`,
    BtpPacket.base64url(crypto.createHash('sha256').update(token).digest()))
}
// Removing a user also closes its BTP sockets: a socket authenticated before the removal
// must not go on sending (its credit use would be forgotten, its limit reset). What it used
// is forgotten only once its sockets are gone (a late Prepare still counts).
function removeUser (username) {
  tokenMap.delete(`${username}:hashed-token`)
  const sockets = browserPlugin?._connections.get(username)
  if (sockets && sockets.size > 0) {
    for (const ws of sockets) ws.close(1000, 'account removed')
    setTimeout(() => {
      for (const ws of sockets) ws.terminate()
      if (!tokenMap.has(`${username}:hashed-token`)) { userUse.delete(username); userBuckets.delete(username) }
    }, 1000).unref()
    return
  }
  userUse.delete(username)
  userBuckets.delete(username)
}
function resetTokens () {
  tokenMap.clear()
  userUse.clear()
  userBuckets.clear()
  for (const [u, t] of opts.users) registerUser(u, t)
}
// --user-credit: what each BTP user has had fulfilled plus what it has in flight, in source
// units; a Prepare that would take it past the limit is refused before the connector sees it.
const userUse = new Map() // username -> BigInt
// --user-rate: a token bucket per BTP user (packets per second). With a --rate-limit (shared
// by every user of the browser account) each connected user gets at most its fair share of
// 80% of it, so that users together stay below the shared limit: however many accounts
// flood, each connected user keeps its share (a paying page needs about 5 a second).
const userBuckets = new Map() // username -> { tokens, at }
function userRateNow () {
  if (config.rateLimit == null) return opts.userRate
  const connected = Math.max(1, browserPlugin?._connections.size ?? 1)
  return Math.max(1, Math.min(opts.userRate, Math.floor((0.8 * Number(config.rateLimit)) / connected)))
}
function takeUserPacket (user) {
  if (opts.userRate == null) return true
  const now = Date.now()
  const rate = userRateNow()
  const b = userBuckets.get(user) ?? { tokens: rate, at: now }
  b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 1000)
  b.at = now
  userBuckets.set(user, b)
  if (b.tokens < 1) return false
  b.tokens -= 1
  return true
}
resetTokens()

// ---------------------------------------------------------------- STREAM receiver
const connections = new Map() // tag -> record
let nextConn = 1
let totalReceived = 0n

function newRecord (fields) {
  const tag = `c${nextConn++}`
  const rec = {
    id: tag,
    createdAt: new Date().toISOString(),
    streamConnected: false, // an ILP packet for it reached the receiver
    closed: false,
    totalReceived: 0n, // in the receiver's units (assetScale)
    packets: 0, // money-carrying Prepares fulfilled
    dataLength: 0,
    dataChunks: [],
    dataKept: 0,
    streams: new Map(),
    error: null,
    ...fields
  }
  connections.set(tag, rec)
  // Bounded: past MAX_RECORDS the oldest record that is closed or never connected is
  // forgotten (its money stays in the totals). A live connection's record is never
  // forgotten: its owner may still be paying on it and asking for its total.
  if (connections.size > MAX_RECORDS) forgetOneRecord(rec)
  return rec
}
const MAX_RECORDS = opts.maxRecords
// Forgets the oldest closed or never-connected record (not `keep`); false if every record is live.
function forgetOneRecord (keep = null) {
  for (const [tag, r] of connections) {
    if (r !== keep && (r.closed || !r.streamConnected)) { forgetRecord(tag); return true }
  }
  return false
}
function forgetRecord (tag) {
  const r = connections.get(tag)
  if (!r) return
  dataKept -= r.dataKept
  connections.delete(tag)
}

// Received data kept for inspection (GET /control/connections/:id): at most DATA_KEEP bytes
// per connection and DATA_KEEP_TOTAL over all of them, so a sender cannot grow the stack
// without bound by sending data (the rest is counted, then dropped).
const DATA_KEEP = 64 << 10
const DATA_KEEP_TOTAL = 16 << 20
let dataKept = 0

function trackConnection (conn, receiver) {
  const rec = connections.get(conn.connectionTag)
  if (!rec) { // unknown tag (e.g. from before a /control/reset): track it anyway
    log('connection with unknown tag', conn.connectionTag)
  }
  const r = rec || newRecord({ name: null, destinationAccount: null, orphanTag: conn.connectionTag, receiver: receiver.key, assetScale: receiver.assetScale })
  r.streamConnected = true
  conn.on('stream', (stream) => {
    const s = { id: stream.id, received: 0n, dataLength: 0, closed: false, stream }
    r.streams.set(stream.id, s)
    stream.setReceiveMax(config.receiverCap != null ? config.receiverCap : Infinity)
    stream.on('money', (amount) => {
      const a = BigInt(amount)
      s.received += a
      credit(r, receiver, a)
    })
    // Reading the data also keeps the Duplex flowing (otherwise its buffer fills up and
    // the library stops advertising receive window).
    stream.on('data', (chunk) => {
      s.dataLength += chunk.length
      r.dataLength += chunk.length
      const room = Math.min(DATA_KEEP - r.dataKept, DATA_KEEP_TOTAL - dataKept)
      if (room > 0) {
        const keep = Buffer.from(chunk.subarray(0, room)) // a copy: not a view pinning the whole chunk
        r.dataChunks.push(keep)
        r.dataKept += keep.length
        dataKept += keep.length
      }
    })
    stream.on('close', () => { s.closed = true })
    stream.on('error', (err) => { s.error = String(err && err.message) })
  })
  conn.on('close', () => { r.closed = true; r.closedAt = new Date().toISOString() })
  conn.on('error', (err) => { r.error = String(err && err.message) })
}

function recordJson (r, withData = true) {
  return {
    id: r.id,
    name: r.name,
    receiver: r.receiver,
    assetScale: r.assetScale,
    destinationAccount: r.destinationAccount,
    createdAt: r.createdAt,
    streamConnected: r.streamConnected,
    closed: r.closed,
    closedAt: r.closedAt || null,
    totalReceived: r.totalReceived.toString(),
    packets: r.packets,
    dataLength: r.dataLength,
    ...(withData ? { dataBase64: Buffer.concat(r.dataChunks).toString('base64') } : {}),
    streams: [...r.streams.values()].map(s => ({
      id: s.id, received: s.received.toString(), dataLength: s.dataLength, closed: s.closed, error: s.error || null
    })),
    receiptsEnabled: r.receiptsEnabled,
    receiptNonce: r.receiptNonce ? r.receiptNonce.toString('base64') : null,
    receiptSource: r.receiptSource,
    webMonetizationId: r.webMonetizationId || null,
    error: r.error
  }
}

// ---------------------------------------------------------------- connector
async function listeningPort (wss) {
  // ws@6 (bundled with both plugins) binds asynchronously; wait for the event, not a timer.
  const srv = wss._server
  if (!srv.listening) {
    await new Promise((resolve, reject) => {
      srv.once('listening', resolve)
      srv.once('error', reject)
    })
  }
  return srv.address().port
}

// Receivers. Each is its own connector account (relation child) reached over its own BTP
// link: the connector dials an ilp-plugin-btp *listener* owned by the receiver. That
// listener's WebSocket server is created synchronously inside plugin.connect() (called
// synchronously by ilp-protocol-stream's Server.listen()), so its free port is known before
// the connector is created. Server.listen() / connect() only resolve after the connector
// connected (and, for STREAM, answered IL-DCP), so they are awaited after app.listen().
//   key        account     implementation                      asset scale
//   stream     receiver    ilp-protocol-stream Server          = sender's (--asset-scale)
//   stateless  stateless   @interledger/stream-receiver        = sender's
//   scale6     receiver6   ilp-protocol-stream Server          6
//   scale0     receiver0   ilp-protocol-stream Server          0
const RECEIVER_SPECS = {
  stream: { kind: 'stream', account: 'receiver', assetScale: opts.assetScale },
  stateless: { kind: 'stateless', account: 'stateless', assetScale: opts.assetScale },
  scale6: { kind: 'stream', account: 'receiver6', assetScale: 6 },
  scale0: { kind: 'stream', account: 'receiver0', assetScale: 0 }
}
const receivers = {} // key -> { key, kind, account, assetScale, plugin, server, ready, totalReceived }

async function createReceiver (key) {
  const spec = RECEIVER_SPECS[key]
  const secret = crypto.randomBytes(16).toString('hex')
  const plugin = new BtpPlugin({ listener: { port: 0, secret, wsOpts: { port: 0, host: '127.0.0.1' } } })
  const r = { key, ...spec, plugin, server: null, address: null, totalReceived: 0n }
  if (spec.kind === 'stream') {
    r.server = new StreamServer({ plugin, serverSecret: crypto.randomBytes(32) })
    r.server.on('connection', (conn) => trackConnection(conn, r))
    r.ready = r.server.listen().then(() => { r.address = r.server.serverAccount })
  } else {
    const connected = plugin.connect()
    r.ready = connected.then(async () => {
      // Stateless: the receiver needs its own address (IL-DCP) to build credentials.
      const ildcp = await ILDCP.fetch((data) => plugin.sendData(data))
      r.address = ildcp.clientAddress
      r.server = new StatelessServer({ serverSecret: crypto.randomBytes(32), serverAddress: r.address })
      plugin.registerDataHandler((data) => statelessReply(r, data))
    })
  }
  const port = await listeningPort(plugin._wss)
  r.connectorAccount = {
    relation: 'child',
    assetCode: opts.assetCode,
    assetScale: spec.assetScale,
    // A plugin *instance* is accepted when the connector is created from JavaScript.
    plugin: new BtpPlugin({ server: `btp+ws://${spec.account}:${secret}@127.0.0.1:${port}` })
  }
  receivers[key] = r
  return r
}

// @interledger/stream-receiver hands every authentic Prepare to us as IncomingMoney; we
// accept all of them and count the amounts of the Prepares we fulfil (the receiver's true
// total: it sends the sender no StreamMaxMoney, so this is the only record of it).
function statelessReply (r, data) {
  let prepare
  try { prepare = IlpPacket.deserializeIlpPrepare(data) } catch (err) {
    return IlpPacket.serializeIlpReject({ code: 'F01', message: 'invalid packet', triggeredBy: r.address, data: Buffer.alloc(0) })
  }
  const reply = r.server.createReply(prepare)
  if (IlpPacket.isIlpReply(reply)) return IlpPacket.serializeIlpReply(reply)
  const tag = reply.paymentTag
  const rec = (tag && connections.get(tag)) ||
    newRecord({ name: null, destinationAccount: prepare.destination, orphanTag: tag || null, receiver: r.key, assetScale: r.assetScale })
  const amount = BigInt(prepare.amount)
  rec.streamConnected = true
  reply.setTotalReceived((rec.totalReceived + amount).toString()) // receipt, when set up
  const fulfill = reply.accept()
  credit(rec, r, amount)
  return IlpPacket.serializeIlpFulfill(fulfill)
}

function credit (rec, r, amount) {
  rec.totalReceived += amount
  rec.packets += 1
  r.totalReceived += amount
  totalReceived += amount
}

for (const key of Object.keys(RECEIVER_SPECS)) await createReceiver(key)

const app = createApp({
  ilpAddress: CONNECTOR_ADDRESS,
  // No external rate calls. Across asset scales it converts by 10^(destination scale -
  // source scale) and floors: 1000 units at scale 9 -> 1 unit at scale 6 (999 -> 0).
  backend: 'one-to-one',
  spread: 0, // default 0.002 would shave 0.2% off every packet
  store: 'memory',
  accounts: Object.fromEntries(Object.values(receivers).map(r => [r.account, r.connectorAccount]))
})
await app.listen() // never rejects: it logs errors; checked below via each receiver's ready
await Promise.all(Object.values(receivers).map(r => r.ready))
log('receiver addresses', Object.values(receivers).map(r => r.address))

// The browser account is added/removed at runtime (app.addPlugin/removePlugin), which is how
// restart and per-test config work: middleware (rateLimit, maxPacketAmount, balance) is built
// from the account info when the account is added, so a fresh add applies new settings and
// resets the balance. A fresh mini-accounts instance listens on the same port each time.
let btpPort = opts.btpPort
let browserPlugin = null

function browserAccountInfo () {
  const info = {
    relation: 'child',
    assetCode: opts.assetCode,
    assetScale: opts.assetScale,
    plugin: browserPlugin,
    balance: { maximum: config.balanceMax != null ? String(config.balanceMax) : 'Infinity' }
  }
  if (config.maxPacketAmount != null) info.maxPacketAmount = String(config.maxPacketAmount)
  if (config.rateLimit != null) {
    const n = Number(config.rateLimit)
    info.rateLimit = { refillPeriod: 1000, refillCount: n, capacity: n }
  }
  if (config.throughput != null) {
    // ilp-connector's throughput middleware: a token bucket of incomingAmount tokens (also
    // its capacity), refilled continuously at incomingAmount per refillPeriod (default 1000
    // ms); every incoming Prepare takes its amount, probes included; refusal = T04
    // "exceeded money bandwidth, throttling." (before the balance check).
    info.throughput = { incomingAmount: String(config.throughput.incomingAmount) }
    if (config.throughput.refillPeriod != null) info.throughput.refillPeriod = config.throughput.refillPeriod
  }
  return info
}

async function startBrowserAccount () {
  browserPlugin = new MiniAccounts({
    // Trap: mini-accounts treats `port: 0` as "unset" and uses 3000; wsOpts.port 0 works.
    wsOpts: { port: btpPort, host: opts.host },
    // Trap: without this every browser (which always sends Origin) is closed silently.
    // The strings become unanchored RegExps, hence ^...$.
    allowedOrigins: opts.allowOrigins
  }, { store: tokenStore }) // a store => username accounts + token binding (see header)
  guardBrowserAccount(browserPlugin)
  await app.addPlugin('browser', browserAccountInfo())
  btpPort = await listeningPort(browserPlugin._wss)
}

// mini-accounts' hooks (src/index.ts): _connect runs after the token check, before the auth
// Response (a throw becomes BTP Error F00 and the socket closes); _handleCustomData gets
// every non-IL-DCP packet of an authenticated user (`from` = prefix + username).
function guardBrowserAccount (plugin) {
  const prefix = `${CONNECTOR_ADDRESS}.browser.`
  if (opts.registeredOnly) {
    plugin._connect = async (address) => {
      const user = address.slice(prefix.length)
      if (!tokenMap.has(`${user}:hashed-token`)) throw new Error('unknown account')
    }
  }
  if (opts.userCredit == null && opts.userRate == null) return
  const limit = opts.userCredit == null ? null : BigInt(opts.userCredit)
  const reject = (plugin, code, message) => plugin.ilpAndCustomToProtocolData({
    ilp: IlpPacket.serializeIlpReject({ code, triggeredBy: CONNECTOR_ADDRESS, message, data: Buffer.alloc(0) })
  })
  // With --registered-users-only (the demo) a user may only pay the receivers: a Prepare
  // for any other address is refused here (F02), before it costs the connector anything.
  const receiverPrefixes = Object.values(RECEIVER_SPECS).map((r) => `${CONNECTOR_ADDRESS}.${r.account}.`)
  const unroutable = (destination) => opts.registeredOnly && !receiverPrefixes.some((p) => destination.startsWith(p))
  plugin._handleCustomData = async function (from, btpPacket) {
    const { ilp } = this.protocolDataToIlpAndCustom(btpPacket.data)
    if (!ilp || !this._dataHandler) throw new Error('invalid packet, no ilp protocol data.')
    const user = from.startsWith(prefix) ? from.slice(prefix.length) : from
    // A socket of a user removed since it authenticated (its close is under way): refused.
    if (!tokenMap.has(`${user}:hashed-token`)) return reject(this, 'F00', 'this account no longer exists.')
    let amount = 0n
    if (ilp[0] === IlpPacket.Type.TYPE_ILP_PREPARE) {
      let destination = ''
      try { ({ amount, destination } = IlpPacket.deserializeIlpPrepare(ilp)); amount = BigInt(amount) } catch { amount = 0n }
      if (!takeUserPacket(user)) return reject(this, 'T05', 'too many requests from this account, throttling.')
      if (unroutable(destination)) return reject(this, 'F02', 'visitor accounts may only pay the receivers.')
    }
    const used = userUse.get(user) ?? 0n
    if (limit != null && amount > 0n && used + amount > limit) {
      return reject(this, 'T04', "exceeded the user's credit limit.")
    }
    userUse.set(user, used + amount) // reserved before the await: concurrent Prepares count
    let response
    try {
      response = await this._dataHandler(ilp)
    } finally {
      if (!response || response[0] !== IlpPacket.Type.TYPE_ILP_FULFILL) {
        userUse.set(user, (userUse.get(user) ?? amount) - amount) // not paid: released
      }
    }
    return this.ilpAndCustomToProtocolData({ ilp: response })
  }
}

async function stopBrowserAccount () {
  if (!browserPlugin) return
  // disconnect() -> ws@6 WebSocketServer.close(): terminates every client, closes the port.
  await app.removePlugin('browser')
  browserPlugin = null
}

let restartChain = Promise.resolve()
function restartBrowserAccount (downMs = 0) {
  const run = async () => {
    await stopBrowserAccount()
    if (downMs > 0) await new Promise(resolve => setTimeout(resolve, downMs))
    await startBrowserAccount()
  }
  restartChain = restartChain.then(run, run)
  return restartChain
}

await startBrowserAccount()

// ---------------------------------------------------------------- fault proxy
// A WebSocket proxy in front of the browser account's BTP server (ws@8). Each page socket
// gets its own upstream socket to the BTP server (same path, same Origin, so mini-accounts
// sees the page as usual); frames are forwarded unchanged both ways, page -> connector frames
// queued until the upstream is open. Faults (POST /control/proxy, /control/proxy/cut):
//  - dropReplies: every frame connector -> page is dropped (BTP Responses carrying Fulfills
//    and Rejects, also an auth Response), while page -> connector frames still go through:
//    the connector executes the Prepares, the receiver gets the money, the page never
//    learns it.
//  - dropAfter N: forward N more frames connector -> page, then start dropping.
//  - cutAfterDropped N / cutAfterMs T: cut once N frames were dropped / T ms after dropping
//    began, whichever comes first.
//  - cut: every page socket is terminated (TCP reset as seen by the page, WebSocket close
//    1006; {graceful:true}: a close frame 1001 instead), its upstream socket too. A cut also
//    ends the fault (dropReplies false, dropAfter/cutAfter* cleared): a page that reconnects
//    through the proxy is forwarded normally.
const proxyFresh = () => ({
  dropReplies: false, dropAfter: null, cutAfterDropped: null, cutAfterMs: null,
  droppingSince: null, dropped: 0, droppedThisFault: 0, droppedFulfills: 0, droppedRejects: 0,
  toConnector: 0, toPage: 0, accepted: 0, cuts: 0
})
let proxy = proxyFresh()
let cutTimer = null
const pageSockets = new Set()

function proxyJson () {
  return {
    dropReplies: proxy.dropReplies,
    dropAfter: proxy.dropAfter,
    cutAfterDropped: proxy.cutAfterDropped,
    cutAfterMs: proxy.cutAfterMs,
    dropped: proxy.dropped, // frames connector -> page dropped since start/reset
    droppedThisFault: proxy.droppedThisFault, // ... since dropping last began
    droppedFulfills: proxy.droppedFulfills, // of all dropped: BTP frames carrying an ILP Fulfill
    droppedRejects: proxy.droppedRejects, // ... carrying an ILP Reject
    toConnector: proxy.toConnector, // frames forwarded page -> connector
    toPage: proxy.toPage, // frames forwarded connector -> page
    accepted: proxy.accepted, // page sockets accepted
    open: pageSockets.size, // page sockets open now
    cuts: proxy.cuts
  }
}

function startDropping () {
  proxy.dropReplies = true
  proxy.dropAfter = null
  proxy.droppingSince = Date.now()
  proxy.droppedThisFault = 0
  clearTimeout(cutTimer)
  if (proxy.cutAfterMs != null) cutTimer = setTimeout(() => cutPage('terminate'), proxy.cutAfterMs)
}

function endFault () {
  clearTimeout(cutTimer)
  cutTimer = null
  Object.assign(proxy, { dropReplies: false, dropAfter: null, cutAfterDropped: null, cutAfterMs: null, droppingSince: null })
}

function cutPage (how) {
  const n = pageSockets.size
  for (const page of [...pageSockets]) {
    if (how === 'graceful') page.close(1001, 'cut by the test proxy')
    else page.terminate()
  }
  proxy.cuts += 1
  endFault()
  log('proxy: cut', n, 'page socket(s)')
  return n
}

function resetProxy () {
  endFault()
  proxy = proxyFresh()
}

function setProxy (body) {
  const keys = ['dropReplies', 'dropAfter', 'cutAfterDropped', 'cutAfterMs']
  const unknown = Object.keys(body).filter(k => !keys.includes(k))
  if (unknown.length) return `unknown proxy keys: ${unknown.join(', ')}`
  if ('dropReplies' in body && typeof body.dropReplies !== 'boolean') return 'dropReplies: true or false'
  for (const k of keys.slice(1)) {
    if (k in body && body[k] !== null && !(Number.isInteger(body[k]) && body[k] >= 0)) return `${k}: a non-negative integer or null`
  }
  if ('cutAfterDropped' in body) proxy.cutAfterDropped = body.cutAfterDropped
  if ('cutAfterMs' in body) proxy.cutAfterMs = body.cutAfterMs
  if (body.dropReplies === false) endFault()
  if (body.dropReplies === true) startDropping()
  else if (body.dropAfter != null) {
    proxy.dropAfter = body.dropAfter
    if (body.dropAfter === 0) startDropping()
  } else if (proxy.dropReplies && 'cutAfterMs' in body) startDropping() // re-arm the timer
  return null
}

// The ILP packet type (first byte of the 'ilp' protocol data) a BTP frame carries, or null.
function ilpTypeOf (frame) {
  try {
    const btp = BtpPacket.deserialize(frame)
    const entry = (btp.data.protocolData || []).find(p => p.protocolName === 'ilp')
    return entry && entry.data.length ? entry.data[0] : null
  } catch { return null }
}

const proxyWss = new WebSocket.WebSocketServer({ host: opts.host, port: opts.proxyPort })
await once(proxyWss, 'listening')
const proxyPort = proxyWss.address().port
proxyWss.on('connection', (page, req) => {
  proxy.accepted += 1
  pageSockets.add(page)
  const headers = {}
  if (req.headers.origin) headers.Origin = req.headers.origin
  const upstream = new WebSocket(`ws://127.0.0.1:${btpPort}${req.url}`, { headers })
  const queued = []
  upstream.on('open', () => { for (const [d, b] of queued.splice(0)) upstream.send(d, { binary: b }) })
  page.on('message', (data, isBinary) => {
    proxy.toConnector += 1
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary })
    else if (upstream.readyState === WebSocket.CONNECTING) queued.push([data, isBinary])
  })
  upstream.on('message', (data, isBinary) => {
    if (page.readyState !== WebSocket.OPEN) return
    if (proxy.dropReplies) {
      proxy.dropped += 1
      proxy.droppedThisFault += 1
      const ilp = ilpTypeOf(data)
      if (ilp === IlpPacket.Type.TYPE_ILP_FULFILL) proxy.droppedFulfills += 1
      if (ilp === IlpPacket.Type.TYPE_ILP_REJECT) proxy.droppedRejects += 1
      log('proxy: dropped a frame, ILP type', ilp)
      if (proxy.cutAfterDropped != null && proxy.droppedThisFault >= proxy.cutAfterDropped) cutPage('terminate')
      return
    }
    page.send(data, { binary: isBinary })
    proxy.toPage += 1
    if (proxy.dropAfter != null && --proxy.dropAfter <= 0) startDropping()
  })
  page.on('close', () => {
    pageSockets.delete(page)
    // The page's link is gone: so is the connector's socket for it (Fulfills of Prepares
    // in flight are written to nowhere, as on a real link loss).
    upstream.terminate()
  })
  upstream.on('close', (code, reason) => {
    // The BTP server closed (auth failure, restart, reset): pass it on to the page.
    if (page.readyState !== WebSocket.OPEN) return
    if (code === 1000 || (code >= 3000 && code <= 4999)) page.close(code, reason)
    else page.terminate()
  })
  page.on('error', () => {})
  upstream.on('error', () => { page.terminate() })
})

// ---------------------------------------------------------------- HTTP: SPSP, control, static
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Accept, Content-Type, Web-Monetization-Id, Receipt-Nonce, Receipt-Secret',
  'Access-Control-Max-Age': '600'
}
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8'
}

function send (res, status, body, type = 'application/json', extra = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  // Control answers get CORS only where control() put it on `res.cors` (authorised requests).
  const cors = res.controlRoute ? (res.cors || {}) : CORS
  res.writeHead(status, { ...cors, 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra })
  res.end(buf)
}

const BODY_MAX = 1 << 20 // control request bodies (a write of up to 768 KiB of data)
async function readJson (req) {
  const chunks = []
  let n = 0
  for await (const c of req) {
    n += c.length
    if (n > BODY_MAX) throw Object.assign(new Error('request body too large'), { status: 413 })
    chunks.push(c)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  try {
    return text ? JSON.parse(text) : {}
  } catch {
    throw Object.assign(new Error('the body is not JSON'), { status: 400 })
  }
}

// Who may talk to this server at all: loopback peers, naming this server in Host.
const isLoopback = (a) => typeof a === 'string' && (/^127\./.test(a) || a === '::1' || /^::ffff:127\./.test(a))
function hostIsOurs (host) {
  const port = httpServer.address().port
  return typeof host === 'string' && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase())
}
const loopbackOrigin = (o) => typeof o === 'string' && opts.allowOrigins.some(re => new RegExp(re).test(o))
function controlAuthorised (req) {
  const got = crypto.createHash('sha256').update(String(req.headers.authorization || '')).digest()
  return crypto.timingSafeEqual(got, CONTROL_AUTH)
}

function b64 (v) { return Buffer.from(String(v).replace(/-/g, '+').replace(/_/g, '/'), 'base64') }

function spsp (req, res, name) {
  const spspType = 'application/spsp4+json'
  // Test hook: the name "unknown" answers like a server that has no such receiver.
  if (name === 'unknown') {
    return send(res, 404, { id: 'InvalidReceiverError', message: 'Invalid receiver ID' }, spspType)
  }
  // Test hook: the name "never" is a black-holed SPSP server: the request is
  // read and never answered (the socket closes when the client gives up or
  // after 2 minutes).
  if (name === 'never') {
    res.setTimeout(120_000, () => res.destroy())
    return
  }
  const nonceH = req.headers['receipt-nonce']
  const secretH = req.headers['receipt-secret']
  if (!nonceH !== !secretH) return send(res, 400, { id: 'BadRequest', message: 'Receipt-Nonce and Receipt-Secret go together' }, spspType)
  let receiptNonce = null; let receiptSecret = null; let receiptSource = 'none'
  if (nonceH) {
    receiptNonce = b64(nonceH); receiptSecret = b64(secretH); receiptSource = 'headers'
    if (receiptNonce.length !== 16 || receiptSecret.length !== 32) {
      return send(res, 400, { id: 'BadRequest', message: 'Receipt-Nonce must be 16 bytes, Receipt-Secret 32' }, spspType)
    }
  } else if (opts.receipts) {
    receiptNonce = crypto.randomBytes(16); receiptSecret = crypto.randomBytes(32); receiptSource = 'harness'
  }
  // Which receiver: the first path segment when it names one, else config.receiver.
  const first = name ? name.split('/')[0] : null
  const r = receivers[first && RECEIVER_SPECS[first] ? first : (config.receiver || 'stream')]
  // Every record live (connected, not closed): no new connection until one closes.
  if (connections.size >= MAX_RECORDS && !forgetOneRecord()) {
    return send(res, 503, { id: 'Unavailable', message: 'too many live connections; try again later' }, spspType)
  }
  const rec = newRecord({
    name,
    receiver: r.key,
    assetScale: r.assetScale,
    receiptNonce, // the secret is handed to the receiver only, never kept or shown here
    receiptSource,
    webMonetizationId: req.headers['web-monetization-id']
  })
  let destinationAccount, sharedSecret, receiptsEnabled
  if (r.kind === 'stream') {
    ({ destinationAccount, sharedSecret, receiptsEnabled } = r.server.generateAddressAndSecret({
      connectionTag: rec.id, // ascii; comes back as conn.connectionTag
      ...(receiptNonce ? { receiptNonce, receiptSecret } : {})
    }))
  } else {
    const creds = r.server.generateCredentials({
      paymentTag: rec.id, // ascii; comes back as IncomingMoney.paymentTag
      asset: { code: opts.assetCode, scale: r.assetScale }, // sent as ConnectionAssetDetails
      ...(receiptNonce ? { receiptSetup: { nonce: receiptNonce, secret: receiptSecret } } : {})
    })
    destinationAccount = creds.ilpAddress
    sharedSecret = creds.sharedSecret
    receiptsEnabled = !!receiptNonce
  }
  rec.destinationAccount = destinationAccount
  rec.receiptsEnabled = receiptsEnabled
  send(res, 200, {
    destination_account: destinationAccount,
    shared_secret: sharedSecret.toString('base64'),
    receipts_enabled: receiptsEnabled
  }, spspType, { 'Stack-Connection-Id': rec.id })
}

function totalsJson () {
  const list = [...connections.values()]
  return {
    connections: list.length,
    streamConnected: list.filter(r => r.streamConnected).length,
    closed: list.filter(r => r.closed).length,
    totalReceived: totalReceived.toString(),
    dataLength: list.reduce((n, r) => n + r.dataLength, 0),
    receivers: Object.fromEntries(Object.values(receivers).map(r => [r.key, {
      kind: r.kind,
      assetScale: r.assetScale,
      address: r.address,
      connections: list.filter(c => c.receiver === r.key).length,
      totalReceived: r.totalReceived.toString()
    }])),
    proxy: proxyJson()
  }
}

// The ready line (withCredentials: the known user's token in the BTP URLs and knownUser),
// or GET /control/info (no token of any kind). With --no-default-user and no --user there is
// no known user: URLs without credentials.
function infoJson (withCredentials = false) {
  const [u, t] = opts.users[0] ?? []
  const cred = u && withCredentials ? `${encodeURIComponent(u)}:${encodeURIComponent(t)}@` : ''
  return {
    ready: true,
    btpUrl: `btp+ws://${cred}127.0.0.1:${btpPort}`,
    btpBaseUrl: `btp+ws://127.0.0.1:${btpPort}`,
    btpPort,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    paymentPointerUrl: `http://127.0.0.1:${httpPort}/.well-known/pay`,
    assetCode: opts.assetCode,
    assetScale: opts.assetScale,
    connectorAddress: CONNECTOR_ADDRESS,
    browserAddressPrefix: `${CONNECTOR_ADDRESS}.browser`,
    receiverAddress: receivers.stream.address,
    proxyBtpUrl: `btp+ws://${cred}127.0.0.1:${proxyPort}`,
    proxyBtpBaseUrl: `btp+ws://127.0.0.1:${proxyPort}`,
    proxyPort,
    knownUser: u ? (withCredentials ? { username: u, token: t } : { username: u }) : null,
    config,
    pid: process.pid
  }
}

const CONNECTOR_KEYS = ['maxPacketAmount', 'rateLimit', 'balanceMax', 'throughput']
const CONFIG_CHECKS = {
  maxPacketAmount: v => /^[1-9][0-9]*$/.test(String(v)),
  rateLimit: v => /^[1-9][0-9]*$/.test(String(v)),
  balanceMax: v => /^(0|-?[1-9][0-9]*|Infinity)$/.test(String(v)),
  receiverCap: v => /^(0|[1-9][0-9]*)$/.test(String(v)),
  // The connector's own schema: incomingAmount an integer string, refillPeriod >= 100 ms.
  throughput: v => typeof v === 'object' && !Array.isArray(v) &&
    Object.keys(v).every(k => k === 'incomingAmount' || k === 'refillPeriod') &&
    /^[1-9][0-9]*$/.test(String(v.incomingAmount)) &&
    (v.refillPeriod === undefined || (Number.isInteger(v.refillPeriod) && v.refillPeriod >= 100)),
  receiver: v => v === 'stream' || v === 'stateless'
}
const CONFIG_KEYS = Object.keys(CONFIG_CHECKS)
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

async function control (req, res, route) {
  const m = req.method
  if (m === 'GET' && route === 'connections') return send(res, 200, { connections: [...connections.values()].map(r => recordJson(r, false)) })
  if (m === 'GET' && route.startsWith('connections/')) {
    const r = connections.get(route.slice('connections/'.length))
    return r ? send(res, 200, recordJson(r)) : send(res, 404, { error: 'no such connection' })
  }
  if (m === 'GET' && route === 'totals') return send(res, 200, totalsJson())
  if (m === 'GET' && route === 'proxy') return send(res, 200, proxyJson())
  if (m === 'GET' && (route === 'config' || route === 'info')) return send(res, 200, infoJson())
  if (m !== 'POST') return send(res, 404, { error: 'unknown control route' })
  const body = await readJson(req)
  const write = /^connections\/([^/]+)\/write$/.exec(route)
  if (write) return writeToStream(res, write[1], body)
  if (route === 'connector/restart') {
    const t0 = Date.now()
    await restartBrowserAccount(Number(body.downMs) || 0)
    return send(res, 200, { ok: true, btpPort, ms: Date.now() - t0 })
  }
  if (route === 'config') {
    const unknown = Object.keys(body).filter(k => !CONFIG_KEYS.includes(k))
    if (unknown.length) return send(res, 400, { error: `unknown config keys: ${unknown.join(', ')}` })
    const bad = Object.entries(body).filter(([k, v]) => v !== null && !CONFIG_CHECKS[k](v))
    if (bad.length) return send(res, 400, { error: `invalid values: ${bad.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')} (see the header of stack.mjs; null = default)` })
    const needsRestart = CONNECTOR_KEYS.some(k => k in body && !same(body[k], config[k]))
    const previous = config
    config = { ...config, ...body }
    if (needsRestart) {
      try {
        await restartBrowserAccount()
      } catch (err) { // keep the browser account up with the previous settings
        config = previous
        await restartBrowserAccount()
        return send(res, 400, { error: `connector refused the settings: ${err.message}`, config })
      }
    }
    return send(res, 200, { ok: true, restarted: needsRestart, config })
  }
  if (route === 'users') {
    if (!body.username || !body.token) return send(res, 400, { error: 'username and token required' })
    registerUser(String(body.username), String(body.token))
    return send(res, 200, { ok: true })
  }
  if (route === 'users/remove') {
    if (!body.username) return send(res, 400, { error: 'username required' })
    removeUser(String(body.username))
    return send(res, 200, { ok: true })
  }
  if (route === 'proxy') {
    const err = setProxy(body)
    return err ? send(res, 400, { error: err }) : send(res, 200, { ok: true, proxy: proxyJson() })
  }
  if (route === 'proxy/cut') {
    const cut = cutPage(body.graceful ? 'graceful' : 'terminate')
    return send(res, 200, { ok: true, cut, proxy: proxyJson() })
  }
  if (route === 'reset') {
    connections.clear()
    dataKept = 0
    totalReceived = 0n
    for (const r of Object.values(receivers)) r.totalReceived = 0n
    resetTokens()
    config = initialConfig()
    resetProxy()
    await restartBrowserAccount() // fresh balance, fresh token cache; drops BTP clients
    return send(res, 200, { ok: true, config })
  }
  return send(res, 404, { error: 'unknown control route' })
}

// POST /control/connections/:id/write: the receiver writes bytes to the sender.
function writeToStream (res, id, body) {
  const r = connections.get(id)
  if (!r) return send(res, 404, { error: 'no such connection' })
  if (typeof body.base64 !== 'string') return send(res, 400, { error: 'base64 (a string) is required' })
  const bytes = Buffer.from(body.base64, 'base64')
  const candidates = [...r.streams.values()].filter(s => !s.closed &&
    (body.streamId == null || s.id === Number(body.streamId)))
  const s = candidates[0]
  if (!s) return send(res, 409, { error: 'the connection has no open stream (yet)' })
  s.stream.write(bytes)
  if (body.end) s.stream.end()
  return send(res, 200, { ok: true, streamId: s.id, written: bytes.length })
}

function serveStatic (req, res, pathname) {
  const rel = decodeURIComponent(pathname).replace(/^\/+/, '')
  let file = path.resolve(opts.serveDir, rel || 'index.html')
  if (file !== opts.serveDir && !file.startsWith(opts.serveDir + path.sep)) return send(res, 403, { error: 'forbidden' })
  fs.stat(file, (err, st) => {
    if (!err && st.isDirectory()) file = path.join(file, 'index.html')
    fs.readFile(file, (err2, data) => {
      if (err2) return send(res, 404, 'not found', 'text/plain; charset=utf-8')
      const type = MIME[path.extname(file).toLowerCase()] || 'application/octet-stream'
      send(res, 200, req.method === 'HEAD' ? Buffer.alloc(0) : data, type, req.method === 'HEAD' ? { 'Content-Length': data.length } : {})
    })
  })
}

async function handle (req, res) {
  const url = new URL(req.url, 'http://localhost')
  const p = url.pathname
  if (!isLoopback(req.socket.remoteAddress) || !hostIsOurs(req.headers.host)) {
    res.controlRoute = p.startsWith('/control/')
    return send(res, 403, { error: 'loopback only, and Host must name this server' })
  }
  if (p.startsWith('/control/')) {
    res.controlRoute = true
    const origin = req.headers.origin
    const cors = loopbackOrigin(origin)
      ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '600' }
      : {}
    // A preflight carries no credentials and learns nothing but that a token is needed.
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); return res.end() }
    if (!controlAuthorised(req)) {
      return send(res, 401, { error: 'the control API needs Authorization: Bearer <controlToken> (see the ready line)' }, 'application/json', { 'WWW-Authenticate': 'Bearer' })
    }
    res.cors = cors
    return control(req, res, p.slice('/control/'.length).replace(/\/+$/, ''))
  }
  if (req.method === 'OPTIONS') { res.writeHead(204, CORS); return res.end() }
  const accept = String(req.headers.accept || '')
  const wantsSpsp = /application\/spsp4?\+json/.test(accept)
  // SPSP: /.well-known/pay always; /<name> when the client asks for SPSP, or for any path
  // when there are no static files to serve.
  if (req.method === 'GET' && p === '/.well-known/pay') return spsp(req, res, null)
  if (req.method === 'GET' && p !== '/' && (wantsSpsp || !opts.serveDir)) {
    const name = p.slice(1)
    if (/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(name)) return spsp(req, res, name)
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && opts.serveDir) return serveStatic(req, res, p)
  return send(res, 404, { error: 'not found' })
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log('http error', err)
    if (!res.headersSent) send(res, err.status || 500, { error: String(err && err.message) })
    else res.destroy()
  })
})
httpServer.listen(opts.httpPort, opts.host)
await once(httpServer, 'listening')
const httpPort = httpServer.address().port

process.stdout.write(JSON.stringify({ ...infoJson(true), controlToken: CONTROL_TOKEN }) + '\n')

// ---------------------------------------------------------------- shutdown
let shuttingDown = false
async function shutdown (signal) {
  if (shuttingDown) return
  shuttingDown = true
  log('shutting down on', signal)
  const hard = setTimeout(() => process.exit(1), 5000)
  hard.unref()
  try {
    httpServer.closeAllConnections()
    httpServer.close()
    endFault()
    for (const page of pageSockets) page.terminate()
    proxyWss.close()
    await stopBrowserAccount()
    log('browser account stopped')
    await app.shutdown() // disconnects the receiver link plugin
    log('connector stopped')
    // Not Server.close(): it end()s every STREAM connection, which waits for replies
    // from peers that are gone by now (hangs). Just drop the links; we exit anyway.
    await Promise.all(Object.values(receivers).map(r => r.plugin.disconnect().catch(() => {})))
    log('receiver links closed')
  } catch (err) {
    log('shutdown error', err)
  }
  process.exit(0)
}
// ilp-connector 23 reports some plugin errors through a logger method called
// without its `this` (common/log.ts: "Cannot read properties of undefined
// (reading 'river')"), seen when the browser account is re-created or restarted
// with packets in flight. That TypeError is an unhandled rejection, which
// would end this process and every test after it: report it and keep serving.
process.on('unhandledRejection', (e) => {
  process.stderr.write(`[stack] unhandled rejection in a reference component: ${e && e.stack ? e.stack : e}\n`)
})
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
// (Deliberately NOT following stdin: background jobs in scripts get stdin from /dev/null,
// which would end the stack at once. Parents must signal; the selftest does.)
