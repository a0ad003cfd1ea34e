// Self-test of tests/interop/stack.mjs with the reference JS client
// (ilp-plugin-btp + ilp-protocol-stream). Run: node tests/interop/stack-selftest.mjs
// (or node --test tests/interop/stack-selftest.mjs). Exit code 0 = all passed.
import './shim.cjs' // before ilp-protocol-stream: Node 20 `closed` getter trap
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { ReferenceBtpPlugin as TestBtpPlugin } from './btp-plugin.mjs'

const require = createRequire(import.meta.url)
const BtpPlugin = require('ilp-plugin-btp')
const BtpPacket = require('btp-packet')
const WebSocket = require('ws')
const { createConnection, verifyReceipt } = require('ilp-protocol-stream')


const STACK = fileURLToPath(new URL('./stack.mjs', import.meta.url))
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

async function getJson (path, init) {
  const res = await fetch(info.httpUrl + path, init)
  assert.equal(res.ok, true, `${path}: HTTP ${res.status}`)
  return res.json()
}
const post = (path, body = {}) => getJson(path, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
})

async function spspQuery (url = info.paymentPointerUrl) {
  const res = await fetch(url, { headers: { accept: 'application/spsp4+json, application/spsp+json' } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type'), /application\/spsp4\+json/)
  assert.equal(res.headers.get('access-control-allow-origin'), '*')
  const body = await res.json()
  assert.match(body.destination_account, /^test\.connector\.receiver\./)
  assert.equal(Buffer.from(body.shared_secret, 'base64').length, 32)
  return body
}

// Pay `amount` with the reference client; returns what the client reports as delivered.
async function pay (amount, { user = 'alice', token = 'alice-secret', timeout } = {}) {
  const spsp = await spspQuery()
  const plugin = new TestBtpPlugin({ server: `btp+ws://${user}:${token}@127.0.0.1:${info.btpPort}` })
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
  return { delivered, sent, error, receipt, destination: spsp.destination_account }
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
  // Receipts (harness nonce/secret, shown by the control API) cover the whole amount.
  assert.ok(r.receipt, 'STREAM receipt received')
  const decoded = verifyReceipt(r.receipt, Buffer.from(rec.receiptSecret, 'base64'))
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
  await conn.end() // waits until the send loop has flushed the data
  await plugin.disconnect()
  const rec = await connectionFor(spsp.destination_account)
  assert.equal(Buffer.from(rec.dataBase64, 'base64').toString(), 'hello from the reference client')
  assert.equal(rec.dataLength, 31)
  await eventually(async () => assert.equal((await connectionFor(spsp.destination_account)).closed, true))
})

test('balanceMax makes the connector answer T04', async () => {
  await post('/control/config', { balanceMax: 3000, maxPacketAmount: 1000 })
  const r = await pay(10000, { timeout: 1500 })
  assert.ok(r.error, 'cannot pay beyond the balance maximum')
  assert.equal((await connectionFor(r.destination)).totalReceived, '3000')
  const bad = await fetch(info.httpUrl + '/control/config', { method: 'POST', body: JSON.stringify({ rateLimit: 'lots' }) })
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

test('reset clears tracking and restores tokens', async () => {
  await post('/control/reset')
  const t = await getJson('/control/totals')
  assert.equal(t.connections, 0)
  assert.equal(t.totalReceived, '0')
  const carol = await rawAuth({ user: 'carol', token: 't2' }) // binding from before is gone
  assert.equal(carol.type, BtpPacket.TYPE_RESPONSE)
})
