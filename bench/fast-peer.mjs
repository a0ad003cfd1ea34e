#!/usr/bin/env node
// A peer that answers at once, for the client's own ceiling (bench section
// "ceiling"): no connector in between, one hop from the client's BTP socket to
// an ilp-protocol-stream receiver in this process.
//
//   client --BTP (ws)--> this process: BTP server (auth, IL-DCP, Prepares over
//                         F08 max packet amount rejected like a connector's)
//                         -> ilp-protocol-stream Server (the same receiver
//                            library the stack runs), given a plugin object
//                            that is this file's BTP socket
//   + HTTP: GET /.well-known/pay -> SPSP (destination_account, shared_secret),
//     CORS *, so the bench page (served by the stack) can query it;
//     GET /cpu -> this process's process.cpuUsage() (µs), to tell whether the
//     peer itself was the limit.
//
//   node -r network/shim.cjs bench/fast-peer.mjs [--max-packet-amount 1000]
// Prints one line of JSON when listening:
//   {"ready":true,"btpUrl":"btp+ws://fast:fast@127.0.0.1:P","spspUrl":"http://127.0.0.1:P/.well-known/pay"}
// One BTP client at a time (the newest wins). SIGTERM/SIGINT: exit.
import { createServer as createHttpServer } from 'node:http'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { createServer: createStreamServer } = require('ilp-protocol-stream')
const BtpPacket = require('btp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const IlpPacket = require('ilp-packet')
const { WebSocketServer } = require('ws')

const argv = process.argv.slice(2)
const maxPacketArg = argv.indexOf('--max-packet-amount')
const MAX_PACKET = BigInt(maxPacketArg >= 0 ? argv[maxPacketArg + 1] : 1000)
const ADDRESS = 'test.fast' // the receiver's own (IL-DCP to its plugin)
const CLIENT_ADDRESS = 'test.fast.client' // the BTP client's (IL-DCP from it)
const ASSET = { assetCode: 'USD', assetScale: 9 }

let socket = null // the current BTP client
let dataHandler = null // the Server's
let nextRequestId = 1
const pending = new Map() // our requests to the client: id -> resolve

function ildcp (requestPacket, clientAddress) {
  return ILDCP.serve({ requestPacket, serverAddress: ADDRESS, handler: async () => ({ clientAddress, ...ASSET }) })
}

// The plugin interface ilp-protocol-stream's Server uses.
const plugin = {
  connect: async () => {},
  disconnect: async () => {},
  isConnected: () => true,
  registerDataHandler (h) { dataHandler = h },
  deregisterDataHandler () { dataHandler = null },
  registerMoneyHandler () {},
  deregisterMoneyHandler () {},
  sendMoney: async () => {},
  async sendData (data) {
    if (IlpPacket.deserializeIlpPrepare(data).destination === 'peer.config') return ildcp(data, ADDRESS)
    if (!socket) throw new Error('no client connected')
    const requestId = nextRequestId++ >>> 0
    const reply = new Promise((resolve) => pending.set(requestId, resolve))
    socket.send(ilpMessage(BtpPacket.TYPE_MESSAGE, requestId, data))
    return reply
  }
}

function ilpMessage (type, requestId, ilp) {
  return BtpPacket.serialize({
    type,
    requestId,
    data: { protocolData: ilp ? [{ protocolName: 'ilp', contentType: BtpPacket.MIME_APPLICATION_OCTET_STREAM, data: ilp }] : [] }
  })
}

const tooLarge = (amount) => {
  const data = Buffer.alloc(16)
  data.writeBigUInt64BE(amount, 0)
  data.writeBigUInt64BE(MAX_PACKET, 8)
  return IlpPacket.serializeIlpReject({ code: 'F08', triggeredBy: ADDRESS, message: 'amount too large', data })
}

async function answer (ilp) {
  const prepare = IlpPacket.deserializeIlpPrepare(ilp)
  if (prepare.destination === 'peer.config') return ildcp(ilp, CLIENT_ADDRESS)
  if (BigInt(prepare.amount) > MAX_PACKET) return tooLarge(BigInt(prepare.amount))
  return dataHandler(ilp)
}

async function onMessage (ws, raw) {
  const packet = BtpPacket.deserialize(raw)
  const ilp = packet.data.protocolData.find((p) => p.protocolName === 'ilp')
  if (packet.type === BtpPacket.TYPE_RESPONSE || packet.type === BtpPacket.TYPE_ERROR) {
    const resolve = pending.get(packet.requestId)
    pending.delete(packet.requestId)
    resolve?.(ilp ? ilp.data : IlpPacket.serializeIlpReject({ code: 'T00', triggeredBy: ADDRESS, message: 'btp error', data: Buffer.alloc(0) }))
    return
  }
  if (packet.type !== BtpPacket.TYPE_MESSAGE) return
  if (!ilp) { // auth (or anything else without ILP): accepted
    ws.send(ilpMessage(BtpPacket.TYPE_RESPONSE, packet.requestId, null))
    return
  }
  const reply = await answer(ilp.data)
  if (ws.readyState === ws.OPEN) ws.send(ilpMessage(BtpPacket.TYPE_RESPONSE, packet.requestId, reply))
}

const receiver = await createStreamServer({ plugin })
receiver.on('connection', (conn) => {
  conn.on('stream', (stream) => stream.setReceiveMax('18446744073709551615'))
})

const http = createHttpServer((req, res) => {
  res.setHeader('access-control-allow-origin', '*')
  if (req.method === 'OPTIONS') {
    res.setHeader('access-control-allow-headers', '*')
    res.end()
    return
  }
  if (req.url === '/cpu') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(process.cpuUsage()))
    return
  }
  const { destinationAccount, sharedSecret } = receiver.generateAddressAndSecret()
  res.setHeader('content-type', 'application/spsp4+json')
  res.end(JSON.stringify({ destination_account: destinationAccount, shared_secret: sharedSecret.toString('base64') }))
})
const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
wss.on('connection', (ws) => {
  socket?.close()
  socket = ws
  ws.on('message', (raw) => { onMessage(ws, raw).catch((err) => process.stderr.write(`fast-peer: ${err.stack}\n`)) })
  ws.on('close', () => { if (socket === ws) socket = null })
})
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
const { port } = http.address()
console.log(JSON.stringify({ ready: true, btpUrl: `btp+ws://fast:fast@127.0.0.1:${port}`, spspUrl: `http://127.0.0.1:${port}/.well-known/pay`, cpuUrl: `http://127.0.0.1:${port}/cpu` }))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0))
