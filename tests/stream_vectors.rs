//! Byte-exact STREAM, crypto and receipt vectors.
//!
//! Sources (hex copied from `spec/vectors/*.json` of the project digest, each
//! re-checked there against an independent encoder):
//! - `rfc_*`: interledger/rfcs `0029-stream/test-vectors/StreamPacketFixtures.json`
//!   (identical to interledgerjs ilp-protocol-stream `test/fixtures/packets.json`).
//! - `rust_*`: interledger/interledger-rs `crates/interledger-stream/src/packet.rs`
//!   and `crypto.rs`.
//! - `js_*`: interledgerjs ilp-protocol-stream `test/crypto.spec.ts`,
//!   `test/util/receipt.spec.ts`.
//! - `computed_*`: computed by the digest's Python encoder.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::hex;

use hmac::{Hmac, Mac};
use ilp_stream_web::codec::{Decode, Encode, Reader};
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::spsp::base64;
use ilp_stream_web::stream::crypto::{condition, fulfillment, open, seal, Keys};
use ilp_stream_web::stream::{ErrorCode, Frame, FrameType, IlpPacketType, OutgoingPacket, Packet};
use sha2::Sha256;

use Mode::{DecodeOnly, RoundTrip};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    RoundTrip,
    /// Holds a 9-byte VarUInt that saturates; cannot re-encode identically.
    DecodeOnly,
}

/// Decodes `hex`, compares every field, re-encodes through both encoders.
fn check(
    hex_str: &str,
    mode: Mode,
    packet_type: IlpPacketType,
    sequence: u64,
    prepare_amount: u64,
    frames: &[Frame<'_>],
) {
    let bytes = hex(hex_str);
    let packet = Packet::from_bytes(&bytes).unwrap();
    assert_eq!(packet.packet_type, packet_type);
    assert_eq!(packet.sequence, sequence);
    assert_eq!(packet.prepare_amount, prepare_amount);
    assert_eq!(packet.frames().collect::<Vec<_>>(), frames);
    assert_eq!(packet.frame_count(), frames.len());
    let outgoing = OutgoingPacket {
        packet_type,
        sequence,
        prepare_amount,
        frames,
    };
    if mode == RoundTrip {
        assert_eq!(outgoing.to_bytes(), bytes, "OutgoingPacket re-encode");
        assert_eq!(packet.to_bytes(), bytes, "Packet re-encode");
        assert_eq!(outgoing.encoded_len(), bytes.len());
    } else {
        // The canonical form decodes to the same values.
        let canonical = outgoing.to_bytes();
        let again = Packet::from_bytes(&canonical).unwrap();
        assert_eq!(again.frames().collect::<Vec<_>>(), frames);
    }
}

/// The RFC 39 receipt carried by `frame:stream_receipt`.
const RECEIPT_V1: [u8; 58] = [
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xf4, 0xc1, 0x22, 0xfa, 0x02, 0x52, 0xde,
    0xbb, 0x67, 0x2d, 0x59, 0x18, 0x23, 0xf7, 0x10, 0xe9, 0x95, 0x16, 0xd6, 0x73, 0x85, 0xcf, 0x39,
    0x7d, 0xa8, 0x7c, 0xc8, 0xf9, 0xe8, 0xc8, 0xbf, 0x51, 0x30,
];

// ---- RFC 29 fixtures (all 53) ----

/// One test per RFC fixture: `name: hex, mode, ILP type, sequence, amount, [frames]`.
macro_rules! fixture {
    ($name:ident: $hex:literal, $mode:ident, $ty:ident, $seq:literal, $amount:literal, [$($frame:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            check($hex, $mode, IlpPacketType::$ty, $seq, $amount, &[$($frame),*]);
        }
    };
}

fixture! { rfc_sequence_0: "010c010001000100", RoundTrip, Prepare, 0, 0, [] }
fixture! { rfc_sequence_max_js: "010c071fffffffffffff01000100", RoundTrip, Prepare, 9007199254740991, 0, [] }
fixture! { rfc_sequence_max_uint_64: "010c08ffffffffffffffff01000100", RoundTrip, Prepare, 18446744073709551615, 0, [] }
fixture! { rfc_type_prepare: "010c010001000100", RoundTrip, Prepare, 0, 0, [] }
fixture! { rfc_type_fulfill: "010d010001000100", RoundTrip, Fulfill, 0, 0, [] }
fixture! { rfc_type_reject: "010e010001000100", RoundTrip, Reject, 0, 0, [] }
fixture! { rfc_amount_0: "010c010001000100", RoundTrip, Prepare, 0, 0, [] }
fixture! { rfc_amount_max_js: "010c0100071fffffffffffff0100", RoundTrip, Prepare, 0, 9007199254740991, [] }
fixture! { rfc_amount_max_uint_64: "010c010008ffffffffffffffff0100", RoundTrip, Prepare, 0, 18446744073709551615, [] }
fixture! { rfc_frame_connection_close: "010c010001000101010601046661696c",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionClose { code: ErrorCode(1), message: b"fail" },
] }
fixture! { rfc_frame_connection_new_address: "010c010001000101020e0d6578616d706c652e616c696365",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionNewAddress { source_address: "example.alice" },
] }
fixture! { rfc_frame_connection_asset_details: "010c010001000101070503414243ff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionAssetDetails { asset_code: "ABC", asset_scale: 255 },
] }
fixture! { rfc_frame_connection_max_data_0: "010c01000100010103020100",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxData { max_offset: 0 },
] }
fixture! { rfc_frame_connection_max_data_max_js: "010c0100010001010308071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxData { max_offset: 9007199254740991 },
] }
fixture! { rfc_frame_connection_max_data_max_uint_64: "010c010001000101030908ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxData { max_offset: 18446744073709551615 },
] }
fixture! { rfc_frame_connection_data_blocked_0: "010c01000100010104020100",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionDataBlocked { max_offset: 0 },
] }
fixture! { rfc_frame_connection_data_blocked_max_js: "010c0100010001010408071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionDataBlocked { max_offset: 9007199254740991 },
] }
fixture! { rfc_frame_connection_data_blocked_max_uint_64: "010c010001000101040908ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionDataBlocked { max_offset: 18446744073709551615 },
] }
fixture! { rfc_frame_connection_max_stream_id_0: "010c01000100010105020100",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxStreamId { max_stream_id: 0 },
] }
fixture! { rfc_frame_connection_max_stream_id_max_js: "010c0100010001010508071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxStreamId { max_stream_id: 9007199254740991 },
] }
fixture! { rfc_frame_connection_max_stream_id_max_uint_64: "010c010001000101050908ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionMaxStreamId { max_stream_id: 18446744073709551615 },
] }
fixture! { rfc_frame_connection_stream_id_blocked_0: "010c01000100010106020100",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionStreamIdBlocked { max_stream_id: 0 },
] }
fixture! { rfc_frame_connection_stream_id_blocked_max_js: "010c0100010001010608071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionStreamIdBlocked { max_stream_id: 9007199254740991 },
] }
fixture! { rfc_frame_connection_stream_id_blocked_max_uint_64: "010c010001000101060908ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::ConnectionStreamIdBlocked { max_stream_id: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_close: "010c0100010001011014017bff10616e206572726f72206d657373616765",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamClose { stream_id: 123, code: ErrorCode(255), message: b"an error message" },
] }
fixture! { rfc_frame_stream_money_0: "010c0100010001011104017b0100",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoney { stream_id: 123, shares: 0 },
] }
fixture! { rfc_frame_stream_money_max_js: "010c010001000101110a017b071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoney { stream_id: 123, shares: 9007199254740991 },
] }
fixture! { rfc_frame_stream_money_max_uint_64: "010c010001000101110b017b08ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoney { stream_id: 123, shares: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_max_money_receive_max_0: "010c0100010001011207017b01000201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 0, total_received: 456 },
] }
fixture! { rfc_frame_stream_max_money_receive_max_max_js: "010c010001000101120d017b071fffffffffffff0201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 9007199254740991, total_received: 456 },
] }
fixture! { rfc_frame_stream_max_money_receive_max_max_uint_64: "010c010001000101120e017b08ffffffffffffffff0201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 18446744073709551615, total_received: 456 },
] }
fixture! { rfc_frame_stream_max_money_total_received_0: "010c0100010001011207017b0201c80100",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 456, total_received: 0 },
] }
fixture! { rfc_frame_stream_max_money_total_received_max_js: "010c010001000101120d017b0201c8071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 456, total_received: 9007199254740991 },
] }
fixture! { rfc_frame_stream_max_money_total_received_max_uint_64: "010c010001000101120e017b0201c808ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 456, total_received: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_money_blocked_send_max_0: "010c0100010001011307017b01000201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 0, total_sent: 456 },
] }
fixture! { rfc_frame_stream_money_blocked_send_max_max_js: "010c010001000101130d017b071fffffffffffff0201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 9007199254740991, total_sent: 456 },
] }
fixture! { rfc_frame_stream_money_blocked_send_max_max_uint_64: "010c010001000101130e017b08ffffffffffffffff0201c8",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 18446744073709551615, total_sent: 456 },
] }
fixture! { rfc_frame_stream_money_blocked_total_sent_0: "010c0100010001011307017b0201c80100",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 456, total_sent: 0 },
] }
fixture! { rfc_frame_stream_money_blocked_total_sent_max_js: "010c010001000101130d017b0201c8071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 456, total_sent: 9007199254740991 },
] }
fixture! { rfc_frame_stream_money_blocked_total_sent_max_uint_64: "010c010001000101130e017b0201c808ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 456, total_sent: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_data: "010c010001000101140c017b0201c806666f6f626172",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamData { stream_id: 123, offset: 456, data: b"foobar" },
] }
fixture! { rfc_frame_stream_data_offset_0: "010c0100010001011405017b010000",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamData { stream_id: 123, offset: 0, data: b"" },
] }
fixture! { rfc_frame_stream_data_offset_max_js: "010c010001000101140b017b071fffffffffffff00",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamData { stream_id: 123, offset: 9007199254740991, data: b"" },
] }
fixture! { rfc_frame_stream_data_offset_max_uint_64: "010c010001000101140c017b08ffffffffffffffff00",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamData { stream_id: 123, offset: 18446744073709551615, data: b"" },
] }
fixture! { rfc_frame_stream_max_data_offset_0: "010c0100010001011504017b0100",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxData { stream_id: 123, max_offset: 0 },
] }
fixture! { rfc_frame_stream_max_data_offset_max_js: "010c010001000101150a017b071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxData { stream_id: 123, max_offset: 9007199254740991 },
] }
fixture! { rfc_frame_stream_max_data_offset_max_uint_64: "010c010001000101150b017b08ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamMaxData { stream_id: 123, max_offset: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_data_blocked_offset_0: "010c0100010001011604017b0100",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamDataBlocked { stream_id: 123, max_offset: 0 },
] }
fixture! { rfc_frame_stream_data_blocked_offset_max_js: "010c010001000101160a017b071fffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamDataBlocked { stream_id: 123, max_offset: 9007199254740991 },
] }
fixture! { rfc_frame_stream_data_blocked_offset_max_uint_64: "010c010001000101160b017b08ffffffffffffffff",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamDataBlocked { stream_id: 123, max_offset: 18446744073709551615 },
] }
fixture! { rfc_frame_stream_receipt: "010c010001000101173d01013a01000000000000000000000000000000000100000000000001f4c122fa0252debb672d591823f710e99516d67385cf397da87cc8f9e8c8bf5130",
    RoundTrip, Prepare, 0, 0, [
    Frame::StreamReceipt { stream_id: 1, receipt: &RECEIPT_V1 },
] }
fixture! { rfc_frame_stream_max_money_receive_max_too_big: "010c010001000101120f017b090100000000000000000201c8",
    DecodeOnly, Prepare, 0, 0, [
    Frame::StreamMaxMoney { stream_id: 123, receive_max: 18446744073709551615, total_received: 456 },
] }
fixture! { rfc_frame_stream_money_blocked_send_max_too_big: "010c010001000101130f017b090100000000000000000201c8",
    DecodeOnly, Prepare, 0, 0, [
    Frame::StreamMoneyBlocked { stream_id: 123, send_max: 18446744073709551615, total_sent: 456 },
] }

// ---- other packet vectors ----

// interledger-rs packet.rs SERIALIZED ("same as javascript").
#[test]
fn rust_all_fourteen_frames_packet() {
    check(
        "010c01010163010e010501036f6f70020d0c6578616d706c652e626c616803030203e804030207d0050302\
         0bb80603020fa007050358595a091008014c0204626c61681104015801631208010b0203db0201f4130801\
         42024e20021770140b01220223280568656c6c6f1505012302223e160602037802ad9c",
        RoundTrip,
        IlpPacketType::Prepare,
        1,
        99,
        &[
            Frame::ConnectionClose {
                code: ErrorCode::NO_ERROR,
                message: b"oop",
            },
            Frame::ConnectionNewAddress {
                source_address: "example.blah",
            },
            Frame::ConnectionMaxData { max_offset: 1000 },
            Frame::ConnectionDataBlocked { max_offset: 2000 },
            Frame::ConnectionMaxStreamId {
                max_stream_id: 3000,
            },
            Frame::ConnectionStreamIdBlocked {
                max_stream_id: 4000,
            },
            Frame::ConnectionAssetDetails {
                asset_code: "XYZ",
                asset_scale: 9,
            },
            Frame::StreamClose {
                stream_id: 76,
                code: ErrorCode::INTERNAL_ERROR,
                message: b"blah",
            },
            Frame::StreamMoney {
                stream_id: 88,
                shares: 99,
            },
            Frame::StreamMaxMoney {
                stream_id: 11,
                receive_max: 987,
                total_received: 500,
            },
            Frame::StreamMoneyBlocked {
                stream_id: 66,
                send_max: 20000,
                total_sent: 6000,
            },
            Frame::StreamData {
                stream_id: 34,
                offset: 9000,
                data: b"hello",
            },
            Frame::StreamMaxData {
                stream_id: 35,
                max_offset: 8766,
            },
            Frame::StreamDataBlocked {
                stream_id: 888,
                max_offset: 44444,
            },
        ],
    );
}

// interledger-rs packet.rs SERIALIZED_UNKNOWN_FRAME_PACKET.
#[test]
fn rust_unknown_frame_packet_is_kept_and_skipped() {
    check(
        "010c0101016301015903010203",
        RoundTrip,
        IlpPacketType::Prepare,
        1,
        99,
        &[Frame::Unknown {
            frame_type: FrameType(0x59),
            contents: &[1, 2, 3],
        }],
    );
}

// Computed (digest padding_example): junk after the last frame is ignored.
#[test]
fn computed_junk_after_frames_is_ignored() {
    let bytes = hex("010c01010163010111040101010100000000");
    let packet = Packet::from_bytes(&bytes).unwrap();
    assert_eq!(
        packet.frames().collect::<Vec<_>>(),
        [Frame::StreamMoney {
            stream_id: 1,
            shares: 1
        }]
    );
    assert_eq!(packet.to_bytes(), &bytes[..14]);
}

// ---- crypto ----

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

// js crypto.spec.ts: keys for the secret "foo". The derived keys are private,
// so they are checked through what they do.
#[test]
fn js_key_derivation_for_foo() {
    let keys = Keys::from_secret_bytes(b"foo");
    let fulfillment_key = hex("961f27189089a2cbdf51e3da534bb1c572b78cdbd5d98fb98afb75187d4cba1b");
    assert_eq!(
        fulfillment(&keys, b"data").to_vec(),
        hmac_sha256(&fulfillment_key, b"data")
    );
    // Sealed with the keys from "foo", opened with the vector's raw key.
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
    let encryption_key = hex("cdf386314fee63e10e50213ab4ddd6844efb6c5fcdea94b4c123a63201003040");
    let mut sealed = Vec::new();
    seal(&keys, [9; 12], b"plaintext", &mut sealed).unwrap();
    let cipher = Aes256Gcm::new_from_slice(&encryption_key).unwrap();
    let mut body = sealed[28..].to_vec();
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&sealed[..12]),
            &[],
            &mut body,
            Tag::from_slice(&sealed[12..28]),
        )
        .unwrap();
    assert_eq!(body, b"plaintext");
}

// js crypto.spec.ts: condition of the all-zero fulfillment.
#[test]
fn js_condition_of_zero_fulfillment() {
    assert_eq!(
        condition(&[0; 32]).to_vec(),
        hex("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
    );
}

// js crypto.spec.ts: decrypts a known ciphertext under HMAC("secret", ...).
#[test]
fn js_known_ciphertext_decrypts() {
    let keys = Keys::from_secret_bytes(b"secret");
    let data = hex("6355225e90c0d46c00bfe87de4212febb3b8f4c380250ae760440cace16c6efeabae51");
    assert_eq!(open(&keys, &data).unwrap(), b"foo bar");
}

// interledger-rs crypto.rs encrypt_decrypt_test + fulfillment_and_condition.
#[test]
fn rust_fixed_nonce_encryption_and_fulfillment() {
    let secret: [u8; 32] = hex("7edb755d76f8f9d314d3416eed50fdb35192e543e7315c7ffee6906667a69624")
        .try_into()
        .unwrap();
    let keys = Keys::new(&secret);
    let nonce: [u8; 12] = hex("77f8d5ea3fc8e08cd4de699f").try_into().unwrap();
    let mut sealed = Vec::new();
    seal(&keys, nonce, &hex("63000cff4d1f"), &mut sealed).unwrap();
    let expected = hex("77f8d5ea3fc8e08cd4de699f f6cb429b97ac44184ce85a0aed92bd49 f8c4b16c73df");
    assert_eq!(sealed, expected);
    assert_eq!(open(&keys, &sealed).unwrap(), hex("63000cff4d1f"));
    let f = fulfillment(&keys, &sealed);
    assert_eq!(
        f.to_vec(),
        hex("18063849e5ec58e3527098319849b6b7c607e97c77410d44366c78c13be26b27")
    );
    assert_eq!(
        condition(&f).to_vec(),
        hex("8c1e5999a50fbe1afb92f0a39485cac876f45b5499c8fb8268aa14e5b50b90bb")
    );
}

/// The `data` field of an ILP Prepare, read by hand (the ILP codec lives in
/// another module): type, length, amount(8), expiry(17), condition(32),
/// destination, data.
fn prepare_parts(prepare: &[u8]) -> ([u8; 32], String, Vec<u8>) {
    let mut r = Reader::new(prepare);
    assert_eq!(r.u8("type").unwrap(), 12);
    let mut body = r.var_octet_reader("envelope").unwrap();
    body.take(8 + 17, "amount, expiry").unwrap();
    let condition = body.take_array::<32>("condition").unwrap();
    let destination = body.var_octet_string("destination").unwrap();
    let data = body.var_octet_string("data").unwrap();
    (
        condition,
        String::from_utf8(destination.to_vec()).unwrap(),
        data.to_vec(),
    )
}

// Computed: StreamMoney(1,1) Prepare sealed with nonce 00..0b, and the ILP
// Prepare carrying it.
#[test]
fn computed_encrypted_stream_prepare() {
    let secret: [u8; 32] = hex("7edb755d76f8f9d314d3416eed50fdb35192e543e7315c7ffee6906667a69624")
        .try_into()
        .unwrap();
    let keys = Keys::new(&secret);
    let frames = [Frame::StreamMoney {
        stream_id: 1,
        shares: 1,
    }];
    let plaintext = OutgoingPacket {
        packet_type: IlpPacketType::Prepare,
        sequence: 1,
        prepare_amount: 99,
        frames: &frames,
    }
    .to_bytes();
    assert_eq!(plaintext, hex("010c010101630101110401010101"));
    let nonce: [u8; 12] = core::array::from_fn(|i| i as u8);
    let mut sealed = Vec::new();
    seal(&keys, nonce, &plaintext, &mut sealed).unwrap();
    assert_eq!(
        sealed,
        hex("000102030405060708090a0b35afeca05164ce9efdd82d7c6c5839581a82e861c2572a5eade6c4c85c4f")
    );
    let f = fulfillment(&keys, &sealed);
    assert_eq!(
        f.to_vec(),
        hex("accad5061514d2a3c5296a53461e03c7e32cbdc1c08cb34f99844640aaa383d3")
    );
    let prepare = hex(
        "0c790000000000000064323033303031303130303030303030303073257ff7a24f942cd877a30cece345f5\
         3508daf2051715c4a403b191dc4083c8146578616d706c652e72656365697665722e6162632a0001020304\
         05060708090a0b35afeca05164ce9efdd82d7c6c5839581a82e861c2572a5eade6c4c85c4f",
    );
    let (cond, destination, data) = prepare_parts(&prepare);
    assert_eq!(destination, "example.receiver.abc");
    assert_eq!(data, sealed);
    assert_eq!(cond, condition(&f));
}

// interledger-rs server.rs fulfills_packets_sent_to_javascript_receiver:
// a real Prepare generated by JS ilp-protocol-stream in 2019.
#[test]
fn js_generated_prepare_decrypts_and_fulfills() {
    let secret: [u8; 32] = hex("b7d09d2e16e6f83c55b60e42fcd7c2b8ed49624a1df73c59b383dbe2e8690309")
        .try_into()
        .unwrap();
    let keys = Keys::new(&secret);
    let prepare = hex(
        "0c819900000000000001f43230313931303238323134313533383338f31a96346c613011947f39a0f1f4e5\
         73c2fc3e7e53797672b01d2898e90c9a0723746573742e70656572422e4e6a584430754a504275477a3536\
         53426d4933755836682d3b6cc484c0d4e9282275d4b37c6ae18f35b497ddbfcbce6d9305b9451b4395c315\
         8aa75e05bf27582a237109ec6ca0129d840da7abd96826c8147d0d",
    );
    let (cond, destination, data) = prepare_parts(&prepare);
    assert_eq!(destination, "test.peerB.NjXD0uJPBuGz56SBmI3uX6h-");
    let f = fulfillment(&keys, &data);
    assert_eq!(
        f.to_vec(),
        hex("a3e45782fb678a420470409cedf27f03b5a1d8998ffeaeee4b38fa75219aea21")
    );
    assert_eq!(condition(&f), cond);
    let plaintext = open(&keys, &data).unwrap();
    assert_eq!(
        plaintext,
        hex("010c01070201ef0103120601010100010015050101024000110501010203e8")
    );
    check(
        "010c01070201ef0103120601010100010015050101024000110501010203e8",
        RoundTrip,
        IlpPacketType::Prepare,
        7,
        495,
        &[
            Frame::StreamMaxMoney {
                stream_id: 1,
                receive_max: 0,
                total_received: 0,
            },
            Frame::StreamMaxData {
                stream_id: 1,
                max_offset: 16384,
            },
            Frame::StreamMoney {
                stream_id: 1,
                shares: 1000,
            },
        ],
    );
}

// ---- receipts ----

// js receipt.spec.ts (also the RFC 29 frame:stream_receipt fixture).
#[test]
fn js_receipt_vector() {
    assert_eq!(Receipt::create([0; 16], 1, 500, &[0; 32]), RECEIPT_V1);
    let r = Receipt::verify(&RECEIPT_V1, &[0; 32]).unwrap();
    assert_eq!((r.stream_id, r.total_received), (1, 500));
    assert_eq!(
        base64::encode(&RECEIPT_V1),
        "AQAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAfTBIvoCUt67Zy1ZGCP3EOmVFtZzhc85fah8yPnoyL9RMA=="
    );
    assert_eq!(
        base64::decode(
            "AQAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAfTBIvoCUt67Zy1ZGCP3EOmVFtZzhc85fah8yPnoyL9RMA=="
        )
        .unwrap(),
        RECEIPT_V1
    );
}

// Computed: receipt_v1_b.
#[test]
fn computed_second_receipt_vector() {
    let nonce: [u8; 16] = core::array::from_fn(|i| i as u8);
    let secret: [u8; 32] = core::array::from_fn(|i| 0x20 + i as u8);
    let bytes = Receipt::create(nonce, 1, 12345, &secret);
    assert_eq!(
        bytes.to_vec(),
        hex("01000102030405060708090a0b0c0d0e0f010000000000003039f95eeed03516c4e36065cc765e1c63d82f6dd9a90f0d338a1e56db9e35a26e8f")
    );
    assert_eq!(
        base64::encode(&bytes),
        "AQABAgMEBQYHCAkKCwwNDg8BAAAAAAAAMDn5Xu7QNRbE42BlzHZeHGPYL23ZqQ8NM4oeVtueNaJujw=="
    );
    assert!(Receipt::verify(&bytes, &secret).is_ok());
    assert!(Receipt::verify(&bytes, &[0; 32]).is_err());
}

// RFC 29 frame:stream_receipt: the receipt inside the frame verifies.
#[test]
fn receipt_inside_stream_receipt_frame_verifies() {
    let bytes = hex("010c010001000101173d01013a01000000000000000000000000000000000100000000000001f4c122fa0252debb672d591823f710e99516d67385cf397da87cc8f9e8c8bf5130");
    let packet = Packet::from_bytes(&bytes).unwrap();
    let Some(Frame::StreamReceipt { stream_id, receipt }) = packet.frames().next() else {
        panic!("expected a StreamReceipt frame");
    };
    assert_eq!(stream_id, 1);
    assert_eq!(
        Receipt::verify(receipt, &[0; 32]).unwrap().total_received,
        500
    );
}

// WICG webmonetization docs/api.md: the example receipt is a 65-byte
// placeholder, not a receipt.
#[test]
fn wm_docs_placeholder_receipt_is_refused() {
    let bytes = base64::decode(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAPoAAAAAF5h2Mk=",
    )
    .unwrap();
    assert_eq!(bytes.len(), 65);
    assert!(Receipt::decode(&bytes).is_err());
}
