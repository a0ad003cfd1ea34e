// Checks packets produced by OUR Rust codecs with the reference npm decoders.
//   node tests/interop/verify-ours.mjs OURS.json
// Input (written by the Rust side):
//   { "sharedSecret": hex32,
//     "encrypted": [ { "hex": encrypted STREAM data, "plaintextHex": hex,
//                      "fulfillment"?: hex32, "condition"?: hex32, "name"?: str } ],
//     "packets":   [ { "kind": K, "hex": hex, "name"?: str } ] }
// Kinds: ilp-prepare ilp-fulfill ilp-reject stream-ilp-prepare ildcp-request ildcp-response
//        btp-message btp-response btp-error btp-transfer stream-packet (plaintext)
//        stream-encrypted (decrypted with sharedSecret) stream-receipt ("secret"?: hex32,
//        then its HMAC is verified too)
// Each encrypted entry must decrypt (reference AES-256-GCM, key from sharedSecret) to
// plaintextHex, and the plaintext must parse as a STREAM packet; fulfillment/condition are
// compared when given. Each packet must parse with the reference decoder and re-encode to
// the same bytes (the reference writes canonical forms; a difference is reported with both
// hex strings). Exit 0 = all good, 1 = mismatch, 2 = usage/input error.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const IlpPacket = require('ilp-packet')
const BtpPacket = require('btp-packet')
const ILDCP = require('ilp-protocol-ildcp')
const SP = require('ilp-protocol-stream/dist/src/packet.js')
const SC = require('ilp-protocol-stream/dist/src/crypto.js')
const { decodeReceipt, verifyReceipt } = require('ilp-protocol-stream/dist/src/util/receipt.js')

const file = process.argv[2]
if (!file) {
  console.error('usage: node tests/interop/verify-ours.mjs OURS.json')
  process.exit(2)
}
let input
try {
  input = JSON.parse(readFileSync(file, 'utf8'))
} catch (err) {
  console.error(`cannot read ${file}: ${err.message}`)
  process.exit(2)
}

const hex = (b) => Buffer.from(b).toString('hex')
const unhex = (s, what) => {
  if (typeof s !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`${what} is not a hex string`)
  return Buffer.from(s, 'hex')
}
const failures = []
let checked = 0
function sameBytes (label, ours, theirs) {
  if (!Buffer.from(ours).equals(Buffer.from(theirs))) {
    throw new Error(`${label} differs\n    ours:      ${hex(ours)}\n    reference: ${hex(theirs)}`)
  }
}

const secret = unhex(input.sharedSecret || '', 'sharedSecret')
if (secret.length !== 32) {
  console.error('sharedSecret must be 32 bytes of hex')
  process.exit(2)
}
const encKey = await SC.generatePskEncryptionKey(secret)
const fulKey = await SC.generateFulfillmentKey(secret)

async function decryptStream (data) {
  let plain
  try {
    plain = await SC.decrypt(encKey, data)
  } catch (err) {
    throw new Error(`reference cannot decrypt it with sharedSecret (${err.message}); expected layout nonce12|tag16|ciphertext`)
  }
  return plain
}

// ---------------------------------------------------------------- encrypted STREAM data
for (const [i, e] of (input.encrypted || []).entries()) {
  const label = `encrypted[${i}]${e.name ? ' ' + e.name : ''}`
  checked++
  try {
    const data = unhex(e.hex, 'hex')
    const plain = await decryptStream(data)
    sameBytes('plaintext', unhex(e.plaintextHex, 'plaintextHex'), plain)
    SP.Packet._deserializeUnencrypted(plain)
    const fulfillment = await SC.generateFulfillment(fulKey, data)
    if (e.fulfillment) sameBytes('fulfillment', unhex(e.fulfillment, 'fulfillment'), fulfillment)
    if (e.condition) sameBytes('condition', unhex(e.condition, 'condition'), await SC.hash(fulfillment))
  } catch (err) {
    failures.push(`${label}: ${err.message}`)
  }
}

// ---------------------------------------------------------------- packets
const BTP_TYPES = {
  'btp-message': BtpPacket.TYPE_MESSAGE,
  'btp-response': BtpPacket.TYPE_RESPONSE,
  'btp-error': BtpPacket.TYPE_ERROR,
  'btp-transfer': BtpPacket.TYPE_TRANSFER
}
const ILDCP_CONDITION = Buffer.from('Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU=', 'base64')

async function checkPacket (kind, buf, entry) {
  switch (kind) {
    case 'ilp-prepare':
    case 'stream-ilp-prepare': {
      const p = IlpPacket.deserializeIlpPrepare(buf)
      sameBytes('re-encoded ILP Prepare', buf, IlpPacket.serializeIlpPrepare(p))
      if (kind === 'stream-ilp-prepare') {
        const plain = await decryptStream(p.data)
        SP.Packet._deserializeUnencrypted(plain)
        const fulfillment = await SC.generateFulfillment(fulKey, p.data)
        sameBytes('executionCondition vs SHA-256(HMAC(fulfillment_key, data))', p.executionCondition, await SC.hash(fulfillment))
      }
      return
    }
    case 'ilp-fulfill': {
      const f = IlpPacket.deserializeIlpFulfill(buf)
      sameBytes('re-encoded ILP Fulfill', buf, IlpPacket.serializeIlpFulfill(f))
      return
    }
    case 'ilp-reject': {
      const r = IlpPacket.deserializeIlpReject(buf)
      sameBytes('re-encoded ILP Reject', buf, IlpPacket.serializeIlpReject(r))
      if (r.code === 'F08' && r.data.length > 0 && r.data.length !== 16) {
        throw new Error(`F08 data must be 16 bytes (receivedAmount, maximumAmount UInt64), got ${r.data.length}`)
      }
      return
    }
    case 'ildcp-request': {
      // Not ILDCP.deserializeIldcpRequest: it also rejects expired packets, and test
      // fixtures have fixed expiry dates.
      const p = IlpPacket.deserializeIlpPrepare(buf)
      if (p.destination !== 'peer.config') throw new Error(`destination ${p.destination} != peer.config`)
      sameBytes('IL-DCP condition', p.executionCondition, ILDCP_CONDITION)
      sameBytes('re-encoded IL-DCP request', buf, IlpPacket.serializeIlpPrepare(p))
      return
    }
    case 'ildcp-response': {
      const r = ILDCP.deserializeIldcpResponse(buf)
      sameBytes('re-encoded IL-DCP response', buf, ILDCP.serializeIldcpResponse(r))
      return
    }
    case 'btp-message':
    case 'btp-response':
    case 'btp-error':
    case 'btp-transfer': {
      const b = BtpPacket.deserialize(buf)
      if (b.type !== BTP_TYPES[kind]) throw new Error(`BTP type ${b.type} (${BtpPacket.typeToString(b.type)}) but kind ${kind}`)
      // Note: the reference always writes GeneralizedTime with milliseconds (…ss.fffZ).
      sameBytes('re-encoded BTP packet', buf, BtpPacket.serialize(b))
      return
    }
    case 'stream-packet': {
      const p = SP.Packet._deserializeUnencrypted(buf)
      // The reference drops unknown frames and ignores trailing junk. Zero padding after
      // the last frame is allowed (RFC 0029); anything else must re-encode identically.
      const re = p._serialize()
      const rest = buf.subarray(re.length)
      if (buf.subarray(0, re.length).equals(re) && rest.every(b => b === 0)) return
      sameBytes('re-encoded STREAM packet', buf, re)
      return
    }
    case 'stream-encrypted': {
      SP.Packet._deserializeUnencrypted(await decryptStream(buf))
      return
    }
    case 'stream-receipt': {
      const r = decodeReceipt(buf)
      if (r.version !== 1) throw new Error(`receipt version ${r.version}`)
      // With the receipt secret given, the HMAC is checked too.
      if (entry.secret) verifyReceipt(buf, unhex(entry.secret, 'secret'))
      return
    }
    default:
      throw new Error(`unknown kind "${kind}"`)
  }
}

for (const [i, p] of (input.packets || []).entries()) {
  const label = `packets[${i}] ${p.kind}${p.name ? ' ' + p.name : ''}`
  checked++
  try {
    await checkPacket(p.kind, unhex(p.hex, 'hex'), p)
  } catch (err) {
    failures.push(`${label}: ${err.message}`)
  }
}

if (checked === 0) {
  console.error(`${file}: nothing to check (no "encrypted" or "packets" entries)`)
  process.exit(2)
}
if (failures.length) {
  console.error(`verify-ours: ${failures.length} of ${checked} checks FAILED against the reference libraries:`)
  for (const f of failures) console.error('  - ' + f)
  process.exit(1)
}
console.log(`verify-ours: ${(input.encrypted || []).length} encrypted entries and ${(input.packets || []).length} packets checked`)
console.log(`verify-ours: ${checked} passed, 0 failed`)
