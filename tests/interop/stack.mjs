#!/usr/bin/env node
// Reference Interledger stack on loopback, for browser tests, the demo and benchmarks.
//
//   browser (BTP client, e.g. our wasm SDK)
//     -> [account "browser": ilp-plugin-mini-accounts, BTP server, relation child]
//        ilp-connector "test.connector" (one-to-one backend, spread 0, memory store)
//     -> [account "receiver": ilp-plugin-btp client] --BTP--> [ilp-plugin-btp listener]
//        ilp-protocol-stream Server (test.connector.receiver.<token>)
//   + one node:http server: SPSP (/.well-known/pay, /<name>), control API (/control/...),
//     optional static files (--serve-dir).
//
// CLI (all optional):
//   node tests/interop/stack.mjs --btp-port 0 --http-port 0 [--max-packet-amount N]
//     [--rate-limit N] [--receiver-cap N] [--balance-max N] [--serve-dir DIR]
//     [--user NAME:TOKEN]... [--allow-origin REGEX]... [--no-receipts]
//     [--asset-code USD] [--asset-scale 9]
// Port 0 = pick a free port. When everything listens, ONE line of JSON goes to stdout:
//   {"ready":true,"btpUrl":"btp+ws://alice:alice-secret@127.0.0.1:P","btpBaseUrl":"btp+ws://127.0.0.1:P",
//    "btpPort":P,"httpUrl":"http://127.0.0.1:H","paymentPointerUrl":"http://127.0.0.1:H/.well-known/pay",
//    "assetCode":"USD","assetScale":9,"connectorAddress":"test.connector",
//    "browserAddressPrefix":"test.connector.browser","knownUser":{"username":"alice","token":"alice-secret"},
//    "config":{...},"pid":N}
// Nothing else is written to stdout. Logs (connector, plugins, stream) only when DEBUG is set,
// then to stderr. SIGINT/SIGTERM: close everything, exit 0.
//
// Control API (JSON, same HTTP server, CORS *):
//   GET  /control/connections      [{id, name, destinationAccount, streamConnected, closed,
//                                    totalReceived, dataLength, dataBase64 (first 1 MiB), streams,
//                                    receiptsEnabled, receiptNonce, receiptSecret (base64), ...}]
//   GET  /control/connections/:id  one record (id = "c1", "c2", ... in SPSP query order)
//   GET  /control/totals           {connections, streamConnected, closed, totalReceived, dataLength}
//   GET  /control/info             the ready-line object (current ports/config)
//   POST /control/config           {maxPacketAmount?, rateLimit?, balanceMax?, receiverCap?}
//                                  (null = default; connector settings re-create the browser
//                                  account, dropping its BTP clients; receiverCap applies to new streams)
//   POST /control/connector/restart {downMs?}  stop the browser account's BTP listener (all
//                                  clients dropped), wait downMs, listen again on the same port.
//                                  Connector, receiver link and STREAM state are kept.
//   POST /control/users            {username, token}  pre-register a token
//   POST /control/reset            forget connections/totals, restore tokens and start config,
//                                  re-create the browser account (fresh balance)
// SPSP: GET /.well-known/pay (always) and /<name> (any path without --serve-dir; with it, when
// Accept asks for application/spsp4+json). /unknown answers 404 InvalidReceiverError.
//
// rateLimit N = packets per second on the browser account (token bucket, capacity N).
// Without it the connector default applies: 10,000 packets per minute (then T05).
// maxPacketAmount: connector rejects bigger Prepares from the browser account with F08.
// balanceMax: connector balance maximum for the browser account (T04 beyond it; amounts in
// flight count; nothing ever settles, so it is a cap on the total ever paid). Default Infinity.
// receiverCap: each incoming STREAM stream gets setReceiveMax(cap) (default unlimited).
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

// ---------------------------------------------------------------- options
function parseArgs (argv) {
  const o = {
    btpPort: 0,
    httpPort: 0,
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
    assetScale: 9
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
      case '--asset-code': o.assetCode = next(); break
      case '--asset-scale': o.assetScale = Number(next()); break
      case '-h': case '--help':
        process.stderr.write('see the header of tests/interop/stack.mjs\n'); process.exit(0)
        break
      default: throw new Error(`unknown argument ${a}`)
    }
  }
  return o
}

const opts = parseArgs(process.argv.slice(2))
for (const [k, re] of Object.entries({
  maxPacketAmount: /^[1-9][0-9]*$/, rateLimit: /^[1-9][0-9]*$/, balanceMax: /^(0|-?[1-9][0-9]*|Infinity)$/, receiverCap: /^(0|[1-9][0-9]*)$/
})) {
  if (opts[k] != null && !re.test(String(opts[k]))) {
    process.stderr.write(`stack.mjs: invalid ${k}: ${opts[k]}\n`)
    process.exit(2)
  }
}
const CONNECTOR_ADDRESS = 'test.connector'
const log = (...m) => { if (process.env.DEBUG) console.error('[stack]', ...m) }

// Per-test tunables (POST /control/config). Start-time values are restored by /control/reset.
const initialConfig = () => ({
  maxPacketAmount: opts.maxPacketAmount,
  rateLimit: opts.rateLimit,
  balanceMax: opts.balanceMax,
  receiverCap: opts.receiverCap
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
function resetTokens () {
  tokenMap.clear()
  for (const [u, t] of opts.users) registerUser(u, t)
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
    totalReceived: 0n,
    dataLength: 0,
    dataChunks: [],
    streams: new Map(),
    error: null,
    ...fields
  }
  connections.set(tag, rec)
  return rec
}

const DATA_KEEP = 1 << 20 // keep at most 1 MiB of received data per connection for inspection

function trackConnection (conn) {
  const rec = connections.get(conn.connectionTag)
  if (!rec) { // unknown tag (e.g. from before a /control/reset): track it anyway
    log('connection with unknown tag', conn.connectionTag)
  }
  const r = rec || newRecord({ name: null, destinationAccount: null, orphanTag: conn.connectionTag })
  r.streamConnected = true
  conn.on('stream', (stream) => {
    const s = { id: stream.id, received: 0n, dataLength: 0, closed: false }
    r.streams.set(stream.id, s)
    stream.setReceiveMax(config.receiverCap != null ? config.receiverCap : Infinity)
    stream.on('money', (amount) => {
      const a = BigInt(amount)
      s.received += a; r.totalReceived += a; totalReceived += a
    })
    // Reading the data also keeps the Duplex flowing (otherwise its buffer fills up and
    // the library stops advertising receive window).
    stream.on('data', (chunk) => {
      s.dataLength += chunk.length
      r.dataLength += chunk.length
      const kept = r.dataChunks.reduce((n, c) => n + c.length, 0)
      if (kept < DATA_KEEP) r.dataChunks.push(chunk.subarray(0, DATA_KEEP - kept))
    })
    stream.on('close', () => { s.closed = true })
    stream.on('error', (err) => { s.error = String(err && err.message) })
  })
  conn.on('close', () => { r.closed = true; r.closedAt = new Date().toISOString() })
  conn.on('error', (err) => { r.error = String(err && err.message) })
}

function recordJson (r) {
  return {
    id: r.id,
    name: r.name,
    destinationAccount: r.destinationAccount,
    createdAt: r.createdAt,
    streamConnected: r.streamConnected,
    closed: r.closed,
    closedAt: r.closedAt || null,
    totalReceived: r.totalReceived.toString(),
    dataLength: r.dataLength,
    dataBase64: Buffer.concat(r.dataChunks).toString('base64'),
    streams: [...r.streams.values()].map(s => ({
      id: s.id, received: s.received.toString(), dataLength: s.dataLength, closed: s.closed, error: s.error || null
    })),
    receiptsEnabled: r.receiptsEnabled,
    receiptNonce: r.receiptNonce ? r.receiptNonce.toString('base64') : null,
    receiptSecret: r.receiptSecret ? r.receiptSecret.toString('base64') : null,
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

// STREAM side of the receiver link is the BTP *listener*: its WebSocket server is created
// synchronously inside plugin.connect() (called synchronously by Server.listen()), so its
// free port is known before the connector dials it. Server.listen() itself only resolves
// after the connector connected and answered IL-DCP, so it is awaited later.
const linkSecret = crypto.randomBytes(16).toString('hex')
const streamPlugin = new BtpPlugin({
  listener: { port: 0, secret: linkSecret, wsOpts: { port: 0, host: '127.0.0.1' } }
})
const streamServer = new StreamServer({ plugin: streamPlugin, serverSecret: crypto.randomBytes(32) })
streamServer.on('connection', trackConnection)
const streamListening = streamServer.listen()
const linkPort = await listeningPort(streamPlugin._wss)

const app = createApp({
  ilpAddress: CONNECTOR_ADDRESS,
  backend: 'one-to-one', // no external rate calls
  spread: 0, // default 0.002 would shave 0.2% off every packet
  store: 'memory',
  accounts: {
    receiver: {
      relation: 'child',
      assetCode: opts.assetCode,
      assetScale: opts.assetScale,
      // A plugin *instance* is accepted when the connector is created from JavaScript.
      plugin: new BtpPlugin({ server: `btp+ws://receiver:${linkSecret}@127.0.0.1:${linkPort}` })
    }
  }
})
await app.listen() // never rejects: it logs errors; checked below via streamListening
await streamListening
log('receiver address', streamServer.serverAccount)

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
  await app.addPlugin('browser', browserAccountInfo())
  btpPort = await listeningPort(browserPlugin._wss)
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
  res.writeHead(status, { ...CORS, 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...extra })
  res.end(buf)
}

async function readJson (req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const text = Buffer.concat(chunks).toString('utf8').trim()
  return text ? JSON.parse(text) : {}
}

function b64 (v) { return Buffer.from(String(v).replace(/-/g, '+').replace(/_/g, '/'), 'base64') }

function spsp (req, res, name) {
  const spspType = 'application/spsp4+json'
  // Test hook: the name "unknown" answers like a server that has no such receiver.
  if (name === 'unknown') {
    return send(res, 404, { id: 'InvalidReceiverError', message: 'Invalid receiver ID' }, spspType)
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
  const rec = newRecord({
    name,
    receiptNonce,
    receiptSecret,
    receiptSource,
    webMonetizationId: req.headers['web-monetization-id']
  })
  const { destinationAccount, sharedSecret, receiptsEnabled } = streamServer.generateAddressAndSecret({
    connectionTag: rec.id, // ascii; comes back as conn.connectionTag
    ...(receiptNonce ? { receiptNonce, receiptSecret } : {})
  })
  rec.destinationAccount = destinationAccount
  rec.receiptsEnabled = receiptsEnabled
  send(res, 200, {
    destination_account: destinationAccount,
    shared_secret: sharedSecret.toString('base64'),
    receipts_enabled: receiptsEnabled
  }, spspType)
}

function totalsJson () {
  const list = [...connections.values()]
  return {
    connections: list.length,
    streamConnected: list.filter(r => r.streamConnected).length,
    closed: list.filter(r => r.closed).length,
    totalReceived: totalReceived.toString(),
    dataLength: list.reduce((n, r) => n + r.dataLength, 0)
  }
}

function infoJson () {
  const [u, t] = opts.users[0]
  return {
    ready: true,
    btpUrl: `btp+ws://${encodeURIComponent(u)}:${encodeURIComponent(t)}@127.0.0.1:${btpPort}`,
    btpBaseUrl: `btp+ws://127.0.0.1:${btpPort}`,
    btpPort,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    paymentPointerUrl: `http://127.0.0.1:${httpPort}/.well-known/pay`,
    assetCode: opts.assetCode,
    assetScale: opts.assetScale,
    connectorAddress: CONNECTOR_ADDRESS,
    browserAddressPrefix: `${CONNECTOR_ADDRESS}.browser`,
    receiverAddress: streamServer.serverAccount,
    knownUser: { username: u, token: t },
    config,
    pid: process.pid
  }
}

const CONFIG_KEYS = ['maxPacketAmount', 'rateLimit', 'balanceMax', 'receiverCap']
const CONNECTOR_KEYS = ['maxPacketAmount', 'rateLimit', 'balanceMax']
const CONFIG_PATTERNS = {
  maxPacketAmount: /^[1-9][0-9]*$/,
  rateLimit: /^[1-9][0-9]*$/,
  balanceMax: /^(0|-?[1-9][0-9]*|Infinity)$/,
  receiverCap: /^(0|[1-9][0-9]*)$/
}

async function control (req, res, route) {
  const m = req.method
  if (m === 'GET' && route === 'connections') return send(res, 200, { connections: [...connections.values()].map(recordJson) })
  if (m === 'GET' && route.startsWith('connections/')) {
    const r = connections.get(route.slice('connections/'.length))
    return r ? send(res, 200, recordJson(r)) : send(res, 404, { error: 'no such connection' })
  }
  if (m === 'GET' && route === 'totals') return send(res, 200, totalsJson())
  if (m === 'GET' && (route === 'config' || route === 'info')) return send(res, 200, infoJson())
  if (m !== 'POST') return send(res, 404, { error: 'unknown control route' })
  const body = await readJson(req)
  if (route === 'connector/restart') {
    const t0 = Date.now()
    await restartBrowserAccount(Number(body.downMs) || 0)
    return send(res, 200, { ok: true, btpPort, ms: Date.now() - t0 })
  }
  if (route === 'config') {
    const unknown = Object.keys(body).filter(k => !CONFIG_KEYS.includes(k))
    if (unknown.length) return send(res, 400, { error: `unknown config keys: ${unknown.join(', ')}` })
    const bad = Object.entries(body).filter(([k, v]) => v !== null && !CONFIG_PATTERNS[k].test(String(v)))
    if (bad.length) return send(res, 400, { error: `invalid values: ${bad.map(([k, v]) => `${k}=${v}`).join(', ')} (integers, null = default)` })
    const needsRestart = CONNECTOR_KEYS.some(k => k in body && body[k] !== config[k])
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
  if (route === 'reset') {
    connections.clear()
    totalReceived = 0n
    resetTokens()
    config = initialConfig()
    await restartBrowserAccount() // fresh balance, fresh token cache; drops BTP clients
    return send(res, 200, { ok: true, config })
  }
  return send(res, 404, { error: 'unknown control route' })
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
  if (req.method === 'OPTIONS') { res.writeHead(204, CORS); return res.end() }
  if (p.startsWith('/control/')) return control(req, res, p.slice('/control/'.length).replace(/\/+$/, ''))
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
  if (req.method === 'GET' && p === '/') return send(res, 200, infoJson())
  return send(res, 404, { error: 'not found' })
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log('http error', err)
    if (!res.headersSent) send(res, 500, { error: String(err && err.message) })
    else res.destroy()
  })
})
httpServer.listen(opts.httpPort, opts.host)
await once(httpServer, 'listening')
const httpPort = httpServer.address().port

process.stdout.write(JSON.stringify(infoJson()) + '\n')

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
    await stopBrowserAccount()
    log('browser account stopped')
    await app.shutdown() // disconnects the receiver link plugin
    log('connector stopped')
    // Not streamServer.close(): it end()s every STREAM connection, which waits for replies
    // from peers that are gone by now (hangs). Just drop the link; we exit anyway.
    await streamPlugin.disconnect().catch(() => {})
    log('receiver link closed')
  } catch (err) {
    log('shutdown error', err)
  }
  process.exit(0)
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
// (Deliberately NOT following stdin: background jobs in scripts get stdin from /dev/null,
// which would end the stack at once. Parents must signal; the selftest does.)
