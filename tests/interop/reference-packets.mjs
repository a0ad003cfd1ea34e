// Live cross-check generator: encodes packets with the reference npm libraries and writes
// them, with their field values, to a JSON file for the Rust codec tests.
//   node tests/interop/reference-packets.mjs OUT.json
//
// Output: { "sharedSecret": hex, "generator": {...versions}, "cases": [ {kind, name, hex, fields}, ... ] }
// Conventions: byte strings are lowercase hex; UInt64 / VarUInt values are decimal strings;
// times are ISO-8601 strings as the JS libraries print them (…sss Z).
//
// kinds and their fields:
//   ilp-prepare          amount, expiresAt, executionCondition(hex32), destination, data(hex)
//   ilp-fulfill          fulfillment(hex32), data(hex)
//   ilp-reject           code, triggeredBy, message, data(hex)
//                        F08 cases also: receivedAmount, maximumAmount (decoded from data)
//   ildcp-request        expiresAt, (the Prepare: destination "peer.config", amount "0",
//                        executionCondition = SHA-256(32 zero bytes)), data(hex)
//   ildcp-response       clientAddress, assetScale(number), assetCode  (a Fulfill, fulfillment = 32 zero bytes)
//   btp-message          requestId(number), protocolData: [{protocolName, contentType(0|1|2), data(hex)}]
//   btp-response         requestId, protocolData
//   btp-error            requestId, code, name, triggeredAt, data(hex), protocolData
//   btp-transfer         requestId, amount, protocolData
//   stream-keys          encryptionKey(hex), fulfillmentKey(hex)        (hex field is empty "")
//   stream-packet        plaintext STREAM packet: version(1), ilpPacketType(12|13|14), sequence,
//                        prepareAmount, frames: [{type(number), name, ...frame fields}]
//                        frame field names as in ilp-protocol-stream (packet.ts):
//                          ConnectionClose{errorCode,errorMessage} ConnectionNewAddress{sourceAccount}
//                          ConnectionMaxData{maxOffset} ConnectionDataBlocked{maxOffset}
//                          ConnectionMaxStreamId{maxStreamId} ConnectionStreamIdBlocked{maxStreamId}
//                          ConnectionAssetDetails{sourceAssetCode,sourceAssetScale}
//                          StreamClose{streamId,errorCode,errorMessage} StreamMoney{streamId,shares}
//                          StreamMaxMoney{streamId,receiveMax,totalReceived}
//                          StreamMoneyBlocked{streamId,sendMax,totalSent}
//                          StreamData{streamId,offset,data(hex)} StreamMaxData{streamId,maxOffset}
//                          StreamDataBlocked{streamId,maxOffset} StreamReceipt{streamId,receipt(hex)}
//   stream-encrypted     hex = encrypted STREAM data (nonce12 | tag16 | ciphertext) made by the
//                        reference with sharedSecret; fields: plaintextHex, fulfillment(hex),
//                        condition(hex), packet (as in stream-packet)
//   stream-ilp-prepare   whole ILP Prepare carrying a stream-encrypted payload; fields as ilp-prepare
//                        plus fulfillment, plaintextHex, packet
//   stream-receipt       RFC 0039 receipt; fields: nonce(hex16), streamId, totalReceived, secret(hex32)
import { writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const IlpPacket = require('ilp-packet')
const BtpPacket = require('btp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const Long = require('long')
// Deep imports: the package's main only re-exports a few of these.
const SP = require('ilp-protocol-stream/dist/src/packet.js')
const SC = require('ilp-protocol-stream/dist/src/crypto.js')
const { createReceipt } = require('ilp-protocol-stream/dist/src/util/receipt.js')

const out = process.argv[2]
if (!out) {
  console.error('usage: node tests/interop/reference-packets.mjs OUT.json')
  process.exit(2)
}

const SHARED_SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)) // 01..20
const U64_MAX = '18446744073709551615'
const hex = (b) => Buffer.from(b).toString('hex')
const cases = []
const add = (kind, name, buf, fields) => cases.push({ kind, name, hex: buf == null ? '' : hex(buf), fields })

// ---------------------------------------------------------------- ILP
const EXPIRES = new Date('2030-01-02T03:04:05.678Z')
const COND = createHash('sha256').update(Buffer.alloc(32, 0x11)).digest()
for (const [name, p] of [
  ['basic', { amount: '107', executionCondition: COND, expiresAt: EXPIRES, destination: 'example.alice', data: Buffer.from('hello world') }],
  ['zero-amount-empty-data', { amount: '0', executionCondition: COND, expiresAt: EXPIRES, destination: 'test.connector.receiver.abc~_-', data: Buffer.alloc(0) }],
  ['u64-max', { amount: U64_MAX, executionCondition: COND, expiresAt: EXPIRES, destination: 'g.x', data: Buffer.alloc(300, 0xab) }]
]) {
  const buf = IlpPacket.serializeIlpPrepare(p)
  const d = IlpPacket.deserializeIlpPrepare(buf)
  add('ilp-prepare', name, buf, { amount: d.amount, expiresAt: d.expiresAt.toISOString(), executionCondition: hex(d.executionCondition), destination: d.destination, data: hex(d.data) })
}
for (const [name, f] of [
  ['basic', { fulfillment: Buffer.alloc(32, 0x11), data: Buffer.from('thank you') }],
  ['empty-data', { fulfillment: Buffer.alloc(32, 0), data: Buffer.alloc(0) }]
]) {
  add('ilp-fulfill', name, IlpPacket.serializeIlpFulfill(f), { fulfillment: hex(f.fulfillment), data: hex(f.data) })
}
for (const [name, r] of [
  ['F99-with-data', { code: 'F99', triggeredBy: 'test.connector.receiver', message: 'application error', data: Buffer.from([1, 2, 3]) }],
  ['T04-empty', { code: 'T04', triggeredBy: 'test.connector', message: 'exceeded maximum balance.', data: Buffer.alloc(0) }],
  ['T05', { code: 'T05', triggeredBy: 'test.connector', message: 'too many requests, throttling.', data: Buffer.alloc(0) }]
]) {
  add('ilp-reject', name, IlpPacket.serializeIlpReject(r), { code: r.code, triggeredBy: r.triggeredBy, message: r.message, data: hex(r.data) })
}
// F08 exactly as the connector's maxPacketAmount middleware builds it.
for (const [recv, max] of [['1500', '1000'], [U64_MAX, '1']]) {
  const err = new IlpPacket.Errors.AmountTooLargeError(`packet size too large. maxAmount=${max} actualAmount=${recv}`, { receivedAmount: recv, maximumAmount: max })
  const buf = IlpPacket.errorToReject('test.connector', err)
  const d = IlpPacket.deserializeIlpReject(buf)
  add('ilp-reject', `F08-${recv}-${max}`, buf, { code: d.code, triggeredBy: d.triggeredBy, message: d.message, data: hex(d.data), receivedAmount: recv, maximumAmount: max })
}

// ---------------------------------------------------------------- IL-DCP
{
  const buf = ILDCP.serializeIldcpRequest({ expiresAt: EXPIRES })
  add('ildcp-request', 'basic', buf, { expiresAt: EXPIRES.toISOString(), destination: 'peer.config', amount: '0', executionCondition: hex(IlpPacket.deserializeIlpPrepare(buf).executionCondition), data: '' })
  for (const info of [
    { clientAddress: 'test.connector.browser.alice', assetScale: 9, assetCode: 'USD' },
    { clientAddress: 'example.client', assetScale: 255, assetCode: '€UR' }
  ]) {
    add('ildcp-response', info.clientAddress, ILDCP.serializeIldcpResponse(info), info)
  }
}

// ---------------------------------------------------------------- BTP
const pdJson = (pd) => pd.map(p => ({ protocolName: p.protocolName, contentType: p.contentType, data: hex(p.data) }))
const PD_AUTH = [
  { protocolName: 'auth', contentType: BtpPacket.MIME_APPLICATION_OCTET_STREAM, data: Buffer.alloc(0) },
  { protocolName: 'auth_username', contentType: BtpPacket.MIME_TEXT_PLAIN_UTF8, data: Buffer.from('alice') },
  { protocolName: 'auth_token', contentType: BtpPacket.MIME_TEXT_PLAIN_UTF8, data: Buffer.from('alice-secret') }
]
const PD_MIXED = [
  { protocolName: 'ilp', contentType: 0, data: IlpPacket.serializeIlpPrepare({ amount: '107', executionCondition: COND, expiresAt: EXPIRES, destination: 'example.alice', data: Buffer.alloc(0) }) },
  { protocolName: 'foo', contentType: 0, data: Buffer.from('bar') },
  { protocolName: 'beep', contentType: 1, data: Buffer.from('boop') },
  { protocolName: 'json', contentType: 2, data: Buffer.from('{}') }
]
add('btp-message', 'auth', BtpPacket.serializeMessage(123, PD_AUTH), { requestId: 123, protocolData: pdJson(PD_AUTH) })
add('btp-message', 'mixed', BtpPacket.serializeMessage(0xfffffffe, PD_MIXED), { requestId: 0xfffffffe, protocolData: pdJson(PD_MIXED) })
add('btp-response', 'auth-ok', BtpPacket.serializeResponse(123, []), { requestId: 123, protocolData: [] })
{
  const pd = [{ protocolName: 'ilp', contentType: 0, data: IlpPacket.serializeIlpFulfill({ fulfillment: Buffer.alloc(32, 0x11), data: Buffer.alloc(0) }) }]
  add('btp-response', 'fulfill', BtpPacket.serializeResponse(456, pd), { requestId: 456, protocolData: pdJson(pd) })
}
for (const [name, e, id] of [
  ['auth-failed', { code: 'F00', name: 'NotAcceptedError', triggeredAt: '2030-01-02T03:04:05.678Z', data: 'incorrect token for account. account=alice token=wrong' }, 123],
  ['T00', { code: 'T00', name: 'UnreachableError', triggeredAt: '2018-08-31T02:53:24.899Z', data: 'oops' }, 501]
]) {
  const buf = BtpPacket.serializeError(e, id, [])
  const d = BtpPacket.deserialize(buf)
  add('btp-error', name, buf, { requestId: id, code: d.data.code, name: d.data.name, triggeredAt: new Date(d.data.triggeredAt).toISOString(), data: hex(Buffer.from(d.data.data)), protocolData: [] })
}
{
  const pd = [{ protocolName: 'foo', contentType: 0, data: Buffer.from('bar') }]
  add('btp-transfer', 'basic', BtpPacket.serializeTransfer({ amount: '100' }, 1, pd), { requestId: 1, amount: '100', protocolData: pdJson(pd) })
}

// ---------------------------------------------------------------- STREAM
const encryptionKey = await SC.generatePskEncryptionKey(SHARED_SECRET)
const fulfillmentKey = await SC.generateFulfillmentKey(SHARED_SECRET)
add('stream-keys', 'fixed-secret', null, { encryptionKey: hex(encryptionKey), fulfillmentKey: hex(fulfillmentKey) })

function frameJson (f) {
  const o = { type: f.type, name: f.name }
  for (const k of Object.getOwnPropertyNames(f)) {
    if (k === 'type' || k === 'name') continue
    const v = f[k]
    o[k] = Long.isLong(v) ? v.toString() : Buffer.isBuffer(v) ? hex(v) : v
  }
  return o
}
const packetJson = (p) => ({
  version: 1, ilpPacketType: p.ilpPacketType, sequence: p.sequence.toString(), prepareAmount: p.prepareAmount.toString(), frames: p.frames.map(frameJson)
})

const receipt = createReceipt({ nonce: Buffer.alloc(16, 0), streamId: 1, totalReceived: '500', secret: Buffer.alloc(32, 0) })
add('stream-receipt', 'rfc0039-vector', receipt, { nonce: hex(Buffer.alloc(16)), streamId: 1, totalReceived: '500', secret: hex(Buffer.alloc(32)) })

const FRAMES = [
  new SP.ConnectionCloseFrame(SP.ErrorCode.NoError, 'bye'),
  new SP.ConnectionCloseFrame(SP.ErrorCode.ApplicationError, ''),
  new SP.ConnectionNewAddressFrame('test.connector.browser.alice'),
  new SP.ConnectionNewAddressFrame(''),
  new SP.ConnectionAssetDetailsFrame('USD', 9),
  new SP.ConnectionMaxDataFrame(Long.fromString(U64_MAX, true)),
  new SP.ConnectionDataBlockedFrame(12345),
  new SP.ConnectionMaxStreamIdFrame(20),
  new SP.ConnectionStreamIdBlockedFrame(21),
  new SP.StreamCloseFrame(1, SP.ErrorCode.FlowControlError, 'flow'),
  new SP.StreamMoneyFrame(1, 1),
  new SP.StreamMoneyFrame(3, Long.fromNumber(2 ** 53 - 1, true)),
  new SP.StreamMaxMoneyFrame(1, Long.fromString(U64_MAX, true), 0),
  new SP.StreamMaxMoneyFrame(1, 5000, 4000),
  new SP.StreamMoneyBlockedFrame(1, 100000, 99000),
  new SP.StreamDataFrame(1, 0, Buffer.from('hello')),
  new SP.StreamDataFrame(123, 456, Buffer.from('foobar')),
  new SP.StreamMaxDataFrame(1, 65536),
  new SP.StreamDataBlockedFrame(1, 70000),
  new SP.StreamReceiptFrame(1, receipt)
]
const IlpT = SP.IlpPacketType
FRAMES.forEach((f, i) => {
  const p = new SP.Packet(i + 1, IlpT.Prepare, 0, [f])
  add('stream-packet', `${f.name}-${i}`, p._serialize(), packetJson(p))
})
const plainPackets = [
  ['empty-prepare', new SP.Packet(0, IlpT.Prepare, 0, [])],
  ['all-frames', new SP.Packet(7, IlpT.Prepare, 1000, FRAMES)],
  ['fulfill-reply', new SP.Packet(7, IlpT.Fulfill, 1000, [new SP.ConnectionMaxDataFrame(65536), new SP.StreamMaxMoneyFrame(1, Long.fromString(U64_MAX, true), 1000), new SP.StreamMaxDataFrame(1, 65536)])],
  ['reject-reply', new SP.Packet(8, IlpT.Reject, 0, [new SP.StreamMaxMoneyFrame(1, 5000, 5000)])],
  ['big-numbers', new SP.Packet(Long.fromString(U64_MAX, true), IlpT.Prepare, Long.fromString(U64_MAX, true), [new SP.StreamMoneyFrame(1, 1)])]
]
for (const [name, p] of plainPackets) add('stream-packet', name, p._serialize(), packetJson(p))

// Encrypted with the reference's AES-GCM (random nonce), plus fulfillment and condition.
const encPackets = [
  ['money', new SP.Packet(1, IlpT.Prepare, 990, [new SP.StreamMoneyFrame(1, 1)])],
  ['new-address', new SP.Packet(1, IlpT.Prepare, 0, [new SP.ConnectionNewAddressFrame('test.connector.browser.alice'), new SP.ConnectionAssetDetailsFrame('USD', 9), new SP.ConnectionMaxStreamIdFrame(20), new SP.StreamMoneyFrame(1, 1)])],
  ['data', new SP.Packet(2, IlpT.Prepare, 0, [new SP.StreamDataFrame(1, 0, Buffer.from('ilp-stream-web'))])],
  ['fulfill-reply', plainPackets[2][1]],
  ['reject-reply', plainPackets[3][1]]
]
for (const [name, p] of encPackets) {
  const plaintext = p._serialize()
  const data = await p.serializeAndEncrypt(encryptionKey)
  const fulfillment = await SC.generateFulfillment(fulfillmentKey, data)
  const condition = await SC.hash(fulfillment)
  const back = await SP.Packet.decryptAndDeserialize(encryptionKey, data) // self-check
  if (back._serialize().compare(plaintext) !== 0) throw new Error('reference round trip failed: ' + name)
  add('stream-encrypted', name, data, { plaintextHex: hex(plaintext), fulfillment: hex(fulfillment), condition: hex(condition), packet: packetJson(p) })
  if (p.ilpPacketType === IlpT.Prepare) {
    const prep = { amount: '1000', executionCondition: condition, expiresAt: EXPIRES, destination: 'test.connector.receiver.token', data }
    add('stream-ilp-prepare', name, IlpPacket.serializeIlpPrepare(prep), {
      amount: prep.amount, expiresAt: EXPIRES.toISOString(), executionCondition: hex(condition), destination: prep.destination, data: hex(data),
      fulfillment: hex(fulfillment), plaintextHex: hex(plaintext), packet: packetJson(p)
    })
  }
}
// Padded (enablePadding): every ILP data field becomes 32767 bytes.
{
  const p = encPackets[0][1]
  const data = await p.serializeAndEncrypt(encryptionKey, 32767)
  const fulfillment = await SC.generateFulfillment(fulfillmentKey, data)
  const plaintext = await SC.decrypt(encryptionKey, data)
  add('stream-encrypted', 'money-padded', data, { plaintextHex: hex(plaintext), fulfillment: hex(fulfillment), condition: hex(await SC.hash(fulfillment)), packet: packetJson(p) })
}

const versions = {}
for (const n of ['ilp-packet', 'btp-packet', 'ilp-protocol-ildcp', 'ilp-protocol-stream']) versions[n] = require(`${n}/package.json`).version
writeFileSync(out, JSON.stringify({ sharedSecret: hex(SHARED_SECRET), generator: versions, cases }, null, 1) + '\n')
const byKind = {}
for (const c of cases) byKind[c.kind] = (byKind[c.kind] || 0) + 1
console.log(`wrote ${cases.length} cases to ${out}: ${JSON.stringify(byKind)}`)
