// The sender's per-packet work done by the reference JavaScript stack, for
// comparison with benches/packet_path/mod.rs (same steps, same frames):
// ilp-protocol-stream's own Packet and crypto code (as its Connection uses
// them, promises included) and ilp-packet for the ILP envelope.
//
//   node -r ./bench/shim.cjs bench/reference-packet.mjs --iterations 100000
//
// Prints "packet_bench node: <ns> ns/packet, <n> packets/s (...)".
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const {
  Packet,
  IlpPacketType,
  StreamMoneyFrame,
  ConnectionMaxDataFrame,
  StreamMaxMoneyFrame,
  StreamReceiptFrame
} = require('ilp-protocol-stream/dist/src/packet.js')
const streamCrypto = require('ilp-protocol-stream/dist/src/crypto.js')
const IlpPacket = require('ilp-packet')

const DESTINATION = 'test.connector.receiver.abc'
const AMOUNT = '1000'
const EXPIRY_MS = 30_000
const START_MS = 1_609_459_200_000
const RUNS = 5

function parseIterations (argv) {
  const at = argv.indexOf('--iterations')
  const n = at === -1 ? 100_000 : Number(argv[at + 1])
  if (!Number.isSafeInteger(n) || n < 1) throw new Error('usage: --iterations N (N >= 1)')
  return n
}

async function fixture () {
  const secret = Buffer.alloc(32, 0x5e)
  const pskKey = await streamCrypto.generatePskEncryptionKey(secret)
  const fulfillmentKey = await streamCrypto.generateFulfillmentKey(secret)
  // The reply a JS receiver sends, built once (as in the Rust benchmark).
  const prepareData = await new Packet(1, IlpPacketType.Prepare, 0, []).serializeAndEncrypt(pskKey)
  const fulfillment = await streamCrypto.generateFulfillment(fulfillmentKey, prepareData)
  const replyPacket = new Packet(1, IlpPacketType.Fulfill, AMOUNT, [
    new ConnectionMaxDataFrame(65_534),
    new StreamMaxMoneyFrame(1, Infinity, AMOUNT),
    new StreamReceiptFrame(1, Buffer.alloc(58, 7))
  ])
  const reply = IlpPacket.serializeIlpFulfill({
    fulfillment,
    data: await replyPacket.serializeAndEncrypt(pskKey)
  })
  return { pskKey, fulfillmentKey, reply, replyCondition: await streamCrypto.hash(fulfillment) }
}

/** One packet: returns the number of reply frames parsed. */
async function packet (f, sequence) {
  const stream = new Packet(sequence, IlpPacketType.Prepare, 0, [new StreamMoneyFrame(1, 1)])
  const data = await stream.serializeAndEncrypt(f.pskKey)
  const fulfillment = await streamCrypto.generateFulfillment(f.fulfillmentKey, data)
  const condition = await streamCrypto.hash(fulfillment)
  const prepare = IlpPacket.serializeIlpPrepare({
    amount: AMOUNT,
    executionCondition: condition,
    expiresAt: new Date(START_MS + sequence + EXPIRY_MS),
    destination: DESTINATION,
    data
  })
  const fulfill = IlpPacket.deserializeIlpFulfill(f.reply)
  const check = await streamCrypto.hash(fulfill.fulfillment)
  if (!check.equals(f.replyCondition)) throw new Error('fulfillment does not match the condition')
  const reply = await Packet.decryptAndDeserialize(f.pskKey, fulfill.data)
  if (reply.ilpPacketType !== IlpPacketType.Fulfill) throw new Error('reply is not a Fulfill')
  assert.ok(prepare.length > 0)
  return reply.frames.length
}

async function run (f, first, iterations) {
  let frames = 0
  for (let sequence = first; sequence < first + iterations; sequence++) {
    frames += await packet(f, sequence)
  }
  assert.equal(frames, 3 * iterations, 'every reply parsed into three frames')
}

const iterations = parseIterations(process.argv)
const f = await fixture()
await run(f, 0, Math.max(1_000, Math.ceil(iterations / 10)))
const times = []
for (let r = 1; r <= RUNS; r++) {
  const start = process.hrtime.bigint()
  await run(f, r * iterations, iterations)
  times.push(Number(process.hrtime.bigint() - start))
}
times.sort((a, b) => a - b)
const ns = times[RUNS >> 1] / iterations
console.log(
  `packet_bench node: ${ns.toFixed(1)} ns/packet, ${Math.round(1e9 / ns)} packets/s ` +
    `(median of ${RUNS} runs of ${iterations} packets)`
)
