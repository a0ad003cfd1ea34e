// Self-test of network/stack.mjs with the reference JS client
// (ilp-plugin-btp + ilp-protocol-stream). Run: node tests/interop/stack-selftest.mjs
// (or node --test tests/interop/stack-selftest.mjs). Exit code 0 = all passed.
import '../../network/shim.cjs' // before ilp-protocol-stream: Node 20 `closed` getter trap
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import crypto from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { ReferenceBtpPlugin as TestBtpPlugin } from './btp-plugin.mjs'

const require = createRequire(import.meta.url)
const BtpPlugin = require('ilp-plugin-btp')
const BtpPacket = require('btp-packet')
const WebSocket = require('ws')
const IlpPacket = require('ilp-packet')
const { createConnection, verifyReceipt } = require('ilp-protocol-stream')

const STACK = fileURLToPath(new URL('../../network/stack.mjs', import.meta.url))
let child
let info

// Start the stack and wait for its ready line (no sleeps).
function startStack (args) {
  const proc = spawn(process.execPath, [STACK, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const killIt = () => { try { proc.kill('SIGKILL') } catch {} }
  process.on('exit', killIt) // no leftovers even if a test throws
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout })
    proc.once('exit', (code) => reject(new Error(`stack exited early (code ${code})`)))
    rl.once('line', (line) => {
      try {
        const j = JSON.parse(line)
        if (!j.ready) throw new Error('not ready: ' + line)
        resolve({ proc, info: j })
      } catch (err) { reject(err) }
    })
  })
}

// Every control request carries the per-run token from the ready line.
const auth = () => ({ authorization: `Bearer ${info.controlToken}` })
async function getJson (path, init = {}) {
  const res = await fetch(info.httpUrl + path, { ...init, headers: { ...auth(), ...init.headers } })
  assert.equal(res.ok, true, `${path}: HTTP ${res.status}`)
  return res.json()
}
const post = (path, body = {}) => getJson(path, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
})

async function spspQuery (url = info.paymentPointerUrl, account = /^test\.connector\.receiver\./, headers = {}) {
  const res = await fetch(url, { headers: { accept: 'application/spsp4+json, application/spsp+json', ...headers } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type'), /application\/spsp4\+json/)
  assert.equal(res.headers.get('access-control-allow-origin'), '*')
  const body = await res.json()
  assert.match(body.destination_account, account)
  assert.equal(Buffer.from(body.shared_secret, 'base64').length, 32)
  return body
}

// Pay `amount` with the reference client; returns what the client reports as delivered.
async function pay (amount, { user = 'alice', token = 'alice-secret', timeout, port = info.btpPort, pointer, account } = {}) {
  // Receipts keyed with our own nonce and secret (the control API never shows a secret).
  const receiptSecret = crypto.randomBytes(32)
  const spsp = await spspQuery(pointer, account, {
    'receipt-nonce': crypto.randomBytes(16).toString('base64'), 'receipt-secret': receiptSecret.toString('base64')
  })
  const plugin = new TestBtpPlugin({ server: `btp+ws://${user}:${token}@127.0.0.1:${port}` })
  const conn = await createConnection({
    plugin,
    destinationAccount: spsp.destination_account,
    sharedSecret: Buffer.from(spsp.shared_secret, 'base64')
  })
  const stream = conn.createStream()
  let error = null
  try {
    await stream.sendTotal(amount, timeout ? { timeout } : undefined)
  } catch (err) { error = err }
  const delivered = conn.totalDelivered
  const sent = stream.totalSent
  const receipt = stream.receipt
  // end() would wait for the unsent rest of the money (forever when blocked by T04):
  // destroy() after a failure.
  await (error ? conn.destroy() : conn.end()).catch(() => {})
  await plugin.disconnect().catch(() => {})
  return { delivered, sent, error, receipt, receiptSecret, destination: spsp.destination_account, sourceScale: conn.sourceAssetScale, destinationScale: conn.destinationAssetScale }
}

// Raw ILP Prepares (random condition: never fulfillable) from alice, one after the other on
// one BTP connection; resolves to the deserialized replies.
async function rawPrepares (amounts, { destination = 'test.connector.receiver.nobody', url = info.btpUrl } = {}) {
  const plugin = new TestBtpPlugin({ server: url })
  await plugin.connect()
  try {
    const replies = []
    for (const amount of amounts) {
      const reply = await plugin.sendData(IlpPacket.serializeIlpPrepare({
        amount: String(amount),
        executionCondition: crypto.randomBytes(32),
        expiresAt: new Date(Date.now() + 10000),
        destination,
        data: Buffer.alloc(0)
      }))
      replies.push(IlpPacket.deserializeIlpReply(reply))
    }
    return replies
  } finally { await plugin.disconnect() }
}

// Poll a condition on the control API (bounded; for effects that follow an event on the
// receiver side, e.g. the STREAM server noticing the close).
async function eventually (fn, ms = 3000) {
  const deadline = Date.now() + ms
  for (;;) {
    try { return await fn() } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
}

async function connectionFor (destination) {
  const { connections } = await getJson('/control/connections')
  const rec = connections.find(c => c.destinationAccount === destination)
  assert.ok(rec, 'connection tracked by the harness')
  return rec
}

// Raw BTP auth with a given token: resolves to the first BTP packet the server sends back,
// or {closed:true} if it closes without answering (origin refusal).
function rawAuth ({ user, token, origin }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${info.btpPort}`, origin ? { origin } : {})
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no answer to auth')) }, 5000)
    ws.on('open', () => {
      // Note the argument order: serializeMessage(requestId, protocolData).
      ws.send(BtpPacket.serializeMessage(42, [
          { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
          { protocolName: 'auth_username', contentType: 1, data: Buffer.from(user) },
          { protocolName: 'auth_token', contentType: 1, data: Buffer.from(token) }
      ]))
    })
    ws.on('message', (m) => { clearTimeout(timer); ws.close(); resolve(BtpPacket.deserialize(m)) })
    ws.on('close', () => { clearTimeout(timer); resolve({ closed: true }) })
    ws.on('error', () => {})
  })
}

before(async () => {
  ({ proc: child, info } = await startStack(['--btp-port', '0', '--http-port', '0']))
})

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0, 'stack exits cleanly on SIGTERM')
  }
})

test('ready line describes the stack', () => {
  assert.match(info.btpUrl, /^btp\+ws:\/\/alice:alice-secret@127\.0\.0\.1:\d+$/)
  assert.equal(info.assetCode, 'USD')
  assert.equal(info.assetScale, 9)
  assert.equal(info.paymentPointerUrl, info.httpUrl + '/.well-known/pay')
})

test('control API: token required, no CORS without it, loopback Host only, no secrets', async () => {
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: info.controlToken }]) {
    const res = await fetch(info.httpUrl + '/control/connections', { headers: { origin: 'http://127.0.0.1:1', ...headers } })
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS on a refused control request')
  }
  for (const route of ['reset', 'config', 'users', 'connector/restart']) {
    const res = await fetch(`${info.httpUrl}/control/${route}`, { method: 'POST', body: '{}' })
    assert.equal(res.status, 401, route)
  }
  // fetch() sets Host itself; node:http lets a test send a rebound name.
  const withHost = (path, host) => new Promise((resolve, reject) => {
    http.get(info.httpUrl + path, { headers: { ...auth(), host } }, (res) => { res.resume(); resolve(res.statusCode) }).on('error', reject)
  })
  const port = new URL(info.httpUrl).port
  assert.equal(await withHost('/control/info', 'attacker.example'), 403, 'a foreign Host (DNS rebinding) is refused')
  assert.equal(await withHost('/.well-known/pay', `evil.example:${port}`), 403)
  assert.equal(await withHost('/control/info', `localhost:${port}`), 200)
  const ok = await fetch(info.httpUrl + '/control/info', { headers: { ...auth(), origin: 'http://127.0.0.1:1' } })
  assert.equal(ok.status, 200)
  assert.equal(ok.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1', 'authorised loopback pages (the wasm tests) may read')
  const foreign = await fetch(info.httpUrl + '/control/info', { headers: { ...auth(), origin: 'https://attacker.example' } })
  assert.equal(foreign.headers.get('access-control-allow-origin'), null)
  const shown = JSON.stringify(await ok.json())
  assert.ok(!shown.includes(info.controlToken), 'the control token is not in control answers')
  assert.ok(!shown.includes(info.knownUser.token), 'nor a BTP token')
  await spspQuery()
  const { connections } = await getJson('/control/connections')
  assert.ok(connections.length > 0)
  for (const c of connections) {
    assert.equal(c.receiptSecret, undefined)
    assert.equal(c.dataBase64, undefined, 'the list carries no data')
  }
})

test('SPSP: CORS preflight, per-query connections, 404, receipts headers', async () => {
  const pre = await fetch(info.paymentPointerUrl, { method: 'OPTIONS' })
  assert.equal(pre.status, 204)
  assert.match(pre.headers.get('access-control-allow-headers'), /web-monetization-id/i)
  const a = await spspQuery()
  const b = await spspQuery(info.httpUrl + '/bob')
  assert.notEqual(a.destination_account, b.destination_account)
  assert.equal(a.receipts_enabled, true)
  const missing = await fetch(info.httpUrl + '/unknown', { headers: { accept: 'application/spsp4+json' } })
  assert.equal(missing.status, 404)
  const nonce = Buffer.alloc(16, 7).toString('base64')
  const secret = Buffer.alloc(32, 9).toString('base64')
  const r = await fetch(info.paymentPointerUrl, { headers: { accept: 'application/spsp4+json', 'receipt-nonce': nonce, 'receipt-secret': secret } })
  const rj = await r.json()
  const rec = await connectionFor(rj.destination_account)
  assert.equal(rec.receiptSource, 'headers')
  assert.equal(rec.receiptNonce, nonce)
  const half = await fetch(info.paymentPointerUrl, { headers: { accept: 'application/spsp4+json', 'receipt-nonce': nonce } })
  assert.equal(half.status, 400)
})

test('reference client pays 100000 through the connector', async () => {
  const t0 = Date.now()
  const r = await pay(100000)
  assert.equal(r.error, null)
  assert.equal(r.delivered, '100000')
  const rec = await connectionFor(r.destination)
  assert.equal(rec.totalReceived, r.delivered)
  assert.equal(rec.streamConnected, true)
  // Receipts (keyed with the nonce/secret pay() sent) cover the whole amount.
  assert.ok(r.receipt, 'STREAM receipt received')
  const decoded = verifyReceipt(r.receipt, r.receiptSecret)
  assert.equal(decoded.totalReceived.toString(), '100000')
  assert.equal(decoded.nonce.toString('base64'), rec.receiptNonce)
  const totals = await getJson('/control/totals')
  assert.ok(BigInt(totals.totalReceived) >= 100000n)
  console.log(`# paid 100000 in ${Date.now() - t0} ms`)
})

test('stream data is tracked per connection', async () => {
  const spsp = await spspQuery()
  const plugin = new TestBtpPlugin({ server: info.btpUrl })
  const conn = await createConnection({
    plugin, destinationAccount: spsp.destination_account, sharedSecret: Buffer.from(spsp.shared_secret, 'base64')
  })
  const stream = conn.createStream()
  stream.write(Buffer.from('hello from the reference client'))
  const id = await eventually(async () => {
    const c = await connectionFor(spsp.destination_account)
    assert.equal(c.dataLength, 31)
    return c.id
  })
  const rec = await getJson(`/control/connections/${id}`)
  assert.equal(Buffer.from(rec.dataBase64, 'base64').toString(), 'hello from the reference client')
  assert.equal(rec.dataLength, 31)
  // Closed by the client: the receiver's record says so. destroy() rather than end():
  // after a graceful close the reference receiver may go on retrying its own last frames
  // towards the closed client for a long while before it emits 'close'; a close with an
  // error code makes it close at once.
  await conn.destroy()
  await eventually(async () => assert.equal((await connectionFor(spsp.destination_account)).closed, true))
  await plugin.disconnect()
})

test('balanceMax makes the connector answer T04', async () => {
  await post('/control/config', { balanceMax: 3000, maxPacketAmount: 1000 })
  const r = await pay(10000, { timeout: 1500 })
  assert.ok(r.error, 'cannot pay beyond the balance maximum')
  assert.equal((await connectionFor(r.destination)).totalReceived, '3000')
  const bad = await fetch(info.httpUrl + '/control/config', { method: 'POST', headers: auth(), body: JSON.stringify({ rateLimit: 'lots' }) })
  assert.equal(bad.status, 400)
  await post('/control/config', { balanceMax: null, maxPacketAmount: null })
})

test('wrong token is refused with a BTP error; right token and new users accepted', async () => {
  const bad = await rawAuth({ user: 'alice', token: 'not-the-token' })
  assert.equal(bad.type, BtpPacket.TYPE_ERROR)
  assert.equal(bad.requestId, 42)
  assert.equal(bad.data.code, 'F00')
  assert.match(String(bad.data.data), /incorrect token/)
  const good = await rawAuth({ user: 'alice', token: 'alice-secret' })
  assert.equal(good.type, BtpPacket.TYPE_RESPONSE)
  // A new username binds to its first token; a second, different token is then refused.
  const first = await rawAuth({ user: 'carol', token: 't1' })
  assert.equal(first.type, BtpPacket.TYPE_RESPONSE)
  const second = await rawAuth({ user: 'carol', token: 't2' })
  assert.equal(second.type, BtpPacket.TYPE_ERROR)
  // The reference client with a wrong token never connects.
  const plugin = new BtpPlugin({ server: `btp+ws://alice:wrong@127.0.0.1:${info.btpPort}` })
  await assert.rejects(plugin.connect(), /connection aborted/)
  await plugin.disconnect().catch(() => {})
})

test('browser origins: localhost allowed, others closed', async () => {
  const ok = await rawAuth({ user: 'alice', token: 'alice-secret', origin: 'http://localhost:8080' })
  assert.equal(ok.type, BtpPacket.TYPE_RESPONSE)
  const ok2 = await rawAuth({ user: 'alice', token: 'alice-secret', origin: 'http://127.0.0.1:5173' })
  assert.equal(ok2.type, BtpPacket.TYPE_RESPONSE)
  const no = await rawAuth({ user: 'alice', token: 'alice-secret', origin: 'http://evil.example' })
  assert.deepEqual(no, { closed: true })
})

test('maxPacketAmount and receiver cap via /control/config', async () => {
  await post('/control/config', { maxPacketAmount: 1000 })
  const r = await pay(20000)
  assert.equal(r.error, null)
  assert.equal(r.delivered, '20000')
  assert.equal((await connectionFor(r.destination)).totalReceived, '20000')

  await post('/control/config', { receiverCap: 5000 })
  const capped = await pay(20000, { timeout: 1500 })
  assert.ok(capped.error, 'sender cannot deliver beyond the receiver cap')
  const rec = await connectionFor(capped.destination)
  assert.equal(rec.totalReceived, '5000')
  await post('/control/config', { maxPacketAmount: null, receiverCap: null })
})

test('restart via control API: connected client is dropped, new client can pay, receiver state kept', async () => {
  const before = await getJson('/control/totals')
  // A client connected before the restart sees its socket closed.
  const plugin = new BtpPlugin({ server: info.btpUrl, reconnectInterval: 60000 })
  await plugin.connect()
  const dropped = once(plugin, 'disconnect')
  const res = await post('/control/connector/restart')
  assert.equal(res.btpPort, info.btpPort)
  await dropped
  await plugin.disconnect().catch(() => {})
  const r = await pay(100000)
  assert.equal(r.error, null)
  assert.equal(r.delivered, '100000')
  const after = await getJson('/control/totals')
  assert.equal(BigInt(after.totalReceived), BigInt(before.totalReceived) + 100000n)
  assert.ok(after.connections > before.connections)
})

test('stateless receiver (@interledger/stream-receiver): per path and per config, harness counts what it fulfilled', async () => {
  await post('/control/config', { maxPacketAmount: 1000 })
  const r = await pay(20000, { pointer: info.httpUrl + '/stateless', account: /^test\.connector\.stateless\./ })
  assert.equal(r.error, null)
  assert.equal(r.delivered, '20000')
  const rec = await connectionFor(r.destination)
  assert.equal(rec.receiver, 'stateless')
  assert.equal(rec.totalReceived, '20000')
  assert.ok(rec.packets >= 20, `${rec.packets} fulfilled Prepares of at most 1000`)
  assert.ok(r.receipt, 'receipts from the stateless receiver too')
  assert.equal(verifyReceipt(r.receipt, r.receiptSecret).totalReceived.toString(), '20000')
  // config.receiver sends /.well-known/pay (and other names) to it as well.
  await post('/control/config', { receiver: 'stateless' })
  const r2 = await pay(5000, { account: /^test\.connector\.stateless\./ })
  assert.equal(r2.delivered, '5000')
  assert.equal((await connectionFor(r2.destination)).totalReceived, '5000')
  const totals = await getJson('/control/totals')
  assert.equal(BigInt(totals.receivers.stateless.totalReceived) >= 25000n, true)
  assert.equal(totals.receivers.stateless.kind, 'stateless')
  const bad = await fetch(info.httpUrl + '/control/config', { method: 'POST', headers: auth(), body: JSON.stringify({ receiver: 'rafiki' }) })
  assert.equal(bad.status, 400)
  await post('/control/config', { receiver: null, maxPacketAmount: null })
  await spspQuery() // back to ilp-protocol-stream
})

test('coarser receivers: scale 6 and scale 0, the connector converts 10^-3 and 10^-9 (floored)', async () => {
  const six = await pay(1000000, { pointer: info.httpUrl + '/scale6', account: /^test\.connector\.receiver6\./ })
  assert.equal(six.error, null)
  assert.equal(six.destinationScale, 6)
  assert.equal(six.delivered, '1000')
  const rec6 = await connectionFor(six.destination)
  assert.equal(rec6.receiver, 'scale6')
  assert.equal(rec6.assetScale, 6)
  assert.equal(rec6.totalReceived, '1000')
  const totals = await getJson('/control/totals')
  assert.equal(totals.receivers.scale0.assetScale, 0)
  assert.equal(totals.receivers.scale6.totalReceived, '1000')
  const zero = await pay(3000000000, { pointer: info.httpUrl + '/scale0', account: /^test\.connector\.receiver0\./ })
  assert.equal(zero.error, null)
  assert.equal(zero.delivered, '3')
  assert.equal((await connectionFor(zero.destination)).totalReceived, '3')
})

test('throughput: T04 exceeded money bandwidth, refilled over refillPeriod', async () => {
  await post('/control/config', { throughput: { incomingAmount: '100000', refillPeriod: 1000 } })
  const [first, second, third] = await rawPrepares([100000, 100000, 100001])
  assert.notEqual(first.code, 'T04', 'the bucket starts full (capacity = incomingAmount)')
  assert.equal(second.code, 'T04')
  assert.match(second.message, /exceeded money bandwidth/)
  assert.equal(third.code, 'T04') // bigger than the whole bucket
  await new Promise(resolve => setTimeout(resolve, 600))
  const [refilled] = await rawPrepares([50000])
  assert.notEqual(refilled.code, 'T04', 'half a period refills half the bucket')
  // A real payment gets through at about the throughput (the JS client retries T04).
  await post('/control/config', { throughput: { incomingAmount: '200000' }, maxPacketAmount: 20000 })
  const t0 = Date.now()
  const r = await pay(500000)
  const ms = Date.now() - t0
  assert.equal(r.delivered, '500000')
  assert.ok(ms >= 1200, `500000 at 200000/s after a 200000 burst takes >= 1.5 s, took ${ms} ms`)
  for (const bad of [{ incomingAmount: '0' }, { incomingAmount: '5', refillPeriod: 10 }, { outgoingAmount: '5' }, 'lots']) {
    const res = await fetch(info.httpUrl + '/control/config', { method: 'POST', headers: auth(), body: JSON.stringify({ throughput: bad }) })
    assert.equal(res.status, 400, JSON.stringify(bad))
  }
  await post('/control/config', { throughput: null, maxPacketAmount: null })
  const [free] = await rawPrepares([100000, 100000])
  assert.notEqual(free.code, 'T04')
})

test('balanceMax without maxPacketAmount: T04 exceeded maximum balance for what does not fit', async () => {
  await post('/control/config', { balanceMax: 50000 })
  const [big] = await rawPrepares([60000])
  assert.equal(big.code, 'T04')
  assert.match(big.message, /exceeded maximum balance/)
  const r = await pay(40000)
  assert.equal(r.delivered, '40000')
  const [rest] = await rawPrepares([10001])
  assert.equal(rest.code, 'T04', 'fulfilled money stays on the balance')
  await post('/control/config', { balanceMax: null })
})

// A raw WebSocket through the proxy, authenticated as alice; resolves once authenticated.
async function proxySocket () {
  const ws = new WebSocket(`ws://127.0.0.1:${info.proxyPort}`, { origin: 'http://localhost:8080' })
  ws.on('error', () => {})
  await once(ws, 'open')
  ws.send(BtpPacket.serializeMessage(1, [
    { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
    { protocolName: 'auth_username', contentType: 1, data: Buffer.from('alice') },
    { protocolName: 'auth_token', contentType: 1, data: Buffer.from('alice-secret') }
  ]))
  const [m] = await once(ws, 'message')
  assert.equal(BtpPacket.deserialize(m).type, BtpPacket.TYPE_RESPONSE)
  return ws
}

test('fault proxy: forwards both ways, Origin included', async () => {
  assert.match(info.proxyBtpUrl, /^btp\+ws:\/\/alice:alice-secret@127\.0\.0\.1:\d+$/)
  const r = await pay(30000, { port: info.proxyPort })
  assert.equal(r.error, null)
  assert.equal(r.delivered, '30000')
  assert.equal((await connectionFor(r.destination)).totalReceived, '30000')
  const evil = new WebSocket(`ws://127.0.0.1:${info.proxyPort}`, { origin: 'http://evil.example' })
  evil.on('error', () => {})
  const [code] = await once(evil, 'close') // mini-accounts closed the upstream; so does the proxy
  assert.ok(code >= 1000)
  const p = await getJson('/control/proxy')
  assert.ok(p.toConnector > 0 && p.toPage > 0)
  assert.equal(p.dropReplies, false)
})

test('fault proxy: dropped replies (the receiver still gets the money), cutAfterDropped, normal after reconnect', async () => {
  await post('/control/config', { maxPacketAmount: 1000 })
  const spsp = await spspQuery()
  // responseTimeout: the dropped request fails after 1 s, not 35 s.
  const plugin = new TestBtpPlugin({ server: info.proxyBtpUrl, responseTimeout: 1000 })
  const conn = await createConnection({
    plugin, destinationAccount: spsp.destination_account, sharedSecret: Buffer.from(spsp.shared_secret, 'base64')
  })
  const stream = conn.createStream()
  await stream.sendTotal(5000)
  const before = (await connectionFor(spsp.destination_account)).totalReceived
  assert.equal(before, '5000')
  // The JS client keeps only one packet in flight once a reply is late, so one drop; first
  // let its closing 0-amount packet settle, so that the dropped reply is a money Fulfill.
  await new Promise(resolve => setTimeout(resolve, 300))
  const armed = await post('/control/proxy', { dropReplies: true, cutAfterDropped: 1 })
  assert.equal(armed.proxy.dropReplies, true)
  const disconnected = once(plugin, 'disconnect')
  stream.sendTotal(50000).catch(() => {})
  await disconnected // cut after the first dropped reply
  const p = await getJson('/control/proxy')
  assert.equal(p.cuts, 1)
  assert.equal(p.dropReplies, false, 'a cut ends the fault')
  assert.equal(p.droppedThisFault, 1)
  assert.equal(p.droppedFulfills, 1)
  // The connector executed the Prepare whose Fulfill was dropped.
  // (It may credit the money a moment after it wrote the Fulfill.)
  const got = await eventually(async () => {
    const total = BigInt((await connectionFor(spsp.destination_account)).totalReceived)
    assert.ok(total > 5000n, String(total))
    return total
  })
  assert.ok(got > BigInt(conn.totalDelivered), `receiver ${got} > client's ${conn.totalDelivered}`)
  await conn.destroy().catch(() => {})
  await plugin.disconnect().catch(() => {})
  // After the cut the proxy forwards normally again.
  const r = await pay(7000, { port: info.proxyPort })
  assert.equal(r.delivered, '7000')
  await post('/control/config', { maxPacketAmount: null })
})

test('fault proxy: dropAfter, cutAfterMs, manual cut (terminate / graceful), dropReplies false', async () => {
  // dropAfter 1: the first reply passes, the second is dropped.
  const ws = await proxySocket()
  await post('/control/proxy', { dropAfter: 1 })
  const ping = (id) => ws.send(BtpPacket.serializeMessage(id, [{ protocolName: 'ilp', contentType: 0, data: IlpPacket.serializeIlpPrepare({ amount: '0', executionCondition: crypto.randomBytes(32), expiresAt: new Date(Date.now() + 5000), destination: 'test.connector.receiver.nobody', data: Buffer.alloc(0) }) }]))
  ping(2)
  const [first] = await once(ws, 'message')
  assert.equal(BtpPacket.deserialize(first).requestId, 2)
  ping(3)
  await eventually(async () => assert.equal((await getJson('/control/proxy')).droppedThisFault, 1))
  await post('/control/proxy', { dropReplies: false })
  ping(4)
  const [third] = await once(ws, 'message')
  assert.equal(BtpPacket.deserialize(third).requestId, 4)
  // Manual cut: terminate -> the page sees 1006; graceful -> 1001.
  const closed = once(ws, 'close')
  assert.equal((await post('/control/proxy/cut')).cut, 1)
  assert.equal((await closed)[0], 1006)
  const ws2 = await proxySocket()
  const closed2 = once(ws2, 'close')
  await post('/control/proxy/cut', { graceful: true })
  assert.equal((await closed2)[0], 1001)
  // cutAfterMs: dropping for 200 ms, then cut.
  const ws3 = await proxySocket()
  const closed3 = once(ws3, 'close')
  const t0 = Date.now()
  await post('/control/proxy', { dropReplies: true, cutAfterMs: 200 })
  await closed3
  assert.ok(Date.now() - t0 >= 150)
  const p = await getJson('/control/proxy')
  assert.equal(p.dropReplies, false)
  assert.equal(p.cutAfterMs, null)
  const bad = await fetch(info.httpUrl + '/control/proxy', { method: 'POST', headers: auth(), body: JSON.stringify({ dropReplies: 'yes' }) })
  assert.equal(bad.status, 400)
})

test('reset restores the proxy, the receiver choice and the connector options', async () => {
  await post('/control/config', { receiver: 'stateless', throughput: { incomingAmount: '1000' }, balanceMax: 10 })
  await post('/control/proxy', { dropReplies: true })
  await post('/control/reset')
  const p = await getJson('/control/proxy')
  assert.deepEqual([p.dropReplies, p.dropped, p.cuts], [false, 0, 0])
  const i = await getJson('/control/info')
  assert.equal(i.config.receiver, 'stream')
  assert.equal(i.config.throughput, null)
  assert.equal(i.config.balanceMax, null)
  const t = await getJson('/control/totals')
  for (const r of Object.values(t.receivers)) assert.equal(r.totalReceived, '0')
  const r = await pay(200000, { port: info.proxyPort })
  assert.equal(r.delivered, '200000')
})

test('reset clears tracking and restores tokens', async () => {
  await post('/control/reset')
  const t = await getJson('/control/totals')
  assert.equal(t.connections, 0)
  assert.equal(t.totalReceived, '0')
  const carol = await rawAuth({ user: 'carol', token: 't2' }) // binding from before is gone
  assert.equal(carol.type, BtpPacket.TYPE_RESPONSE)
})
