//! Byte-exact BTP vectors: decode, check fields, re-encode, compare bytes.
//! Hex is copied from the digest's `vectors/btp.json`; each test names the
//! vector's original source.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::hex;

use ilp_stream_web::btp::{
    auth_message, ilp_message, ilp_response, ContentType, ErrorCode, Packet, PacketType,
    ProtocolData,
};
use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::ilp;

fn round_trip(bytes: &[u8]) -> Packet<'_> {
    let p = Packet::from_bytes(bytes).unwrap();
    assert_eq!(p.encoded_len(), bytes.len());
    assert_eq!(p.to_bytes(), bytes);
    p
}

type Entry = (String, u8, Vec<u8>);

fn entries(p: &Packet<'_>) -> Vec<Entry> {
    p.protocol_data()
        .iter()
        .map(|e| (e.name.to_owned(), e.content_type.0, e.data.to_vec()))
        .collect()
}

fn expected(list: &[(&str, u8, &[u8])]) -> Vec<Entry> {
    list.iter()
        .map(|(n, t, d)| ((*n).to_owned(), *t, d.to_vec()))
        .collect()
}

// interledgerjs/btp-packet test/index.spec.ts protocolData:
// ilp(0,''), foo(0,'bar'), beep(1,'boop'), json(2,'{}')
const JS_ENTRIES: &str =
    "010403696c70000003666f6f000362617204626565700104626f6f70046a736f6e02027b7d";

fn js_entries() -> Vec<Entry> {
    expected(&[
        ("ilp", 0, b""),
        ("foo", 0, b"bar"),
        ("beep", 1, b"boop"),
        ("json", 2, b"{}"),
    ])
}

#[test]
fn decodes_js_response_and_message_vectors() {
    // interledgerjs/btp-packet test/index.spec.ts (requestId=1)
    for (ty, expected_type) in [("01", PacketType::Response), ("06", PacketType::Message)] {
        let bytes = hex(&format!("{ty}0000000125{JS_ENTRIES}"));
        let p = round_trip(&bytes);
        assert_eq!(p.packet_type(), expected_type);
        assert_eq!(p.request_id(), 1);
        assert_eq!(entries(&p), js_entries());
        assert_eq!(p.ilp(), Some(&b""[..]));
    }
}

#[test]
fn decodes_js_transfer_vector() {
    // interledgerjs/btp-packet test/index.spec.ts (requestId=1, amount 100)
    let bytes = hex(&format!("07000000012d0000000000000064{JS_ENTRIES}"));
    let p = round_trip(&bytes);
    let Packet::Transfer(t) = p else {
        panic!("not a transfer")
    };
    assert_eq!(t.request_id, 1);
    assert_eq!(t.amount, 100);
    assert_eq!(entries(&p), js_entries());
}

#[test]
fn decodes_js_error_vector_keeping_three_fraction_digits() {
    // interledgerjs/btp-packet test/index.spec.ts (code L13, name errorName,
    // triggeredAt 20170828183200.000Z as JS writes it, data 'boo')
    let bytes = hex(&format!("02000000014a4c3133096572726f724e616d651332303137303832383138333230302e3030305a03626f6f{JS_ENTRIES}"));
    let p = round_trip(&bytes);
    let Packet::Error(e) = p else {
        panic!("not an error")
    };
    assert_eq!(e.request_id, 1);
    assert_eq!(e.code, ErrorCode(*b"L13"));
    assert_eq!(e.name, "errorName");
    assert_eq!(e.triggered_at.as_str(), "20170828183200.000Z");
    assert_eq!(
        &e.triggered_at.timestamp().to_ilp_bytes(),
        b"20170828183200000"
    );
    assert_eq!(e.data, b"boo");
    assert_eq!(entries(&p), js_entries());
}

#[test]
fn decodes_rust_message_vector() {
    // interledger/interledger-rs crates/interledger-btp/src/packet.rs tests
    let bytes = hex("060000000217010204746573740002ffff0474657874010568656c6c6f");
    let p = round_trip(&bytes);
    assert_eq!(p.packet_type(), PacketType::Message);
    assert_eq!(p.request_id(), 2);
    assert_eq!(
        entries(&p),
        expected(&[("test", 0, &[0xff, 0xff]), ("text", 1, b"hello")])
    );
    assert_eq!(p.ilp(), None);
}

#[test]
fn decodes_rust_response_vector() {
    // interledger/interledger-rs crates/interledger-btp/src/packet.rs tests
    let bytes = hex("01000000811b010113736f6d65206f746865722070726f746f636f6c0003aaaaaa");
    let p = round_trip(&bytes);
    assert_eq!(p.packet_type(), PacketType::Response);
    assert_eq!(p.request_id(), 129);
    assert_eq!(
        entries(&p),
        expected(&[("some other protocol", 0, &[0xaa, 0xaa, 0xaa])])
    );
}

#[test]
fn decodes_rust_error_vector() {
    // interledger/interledger-rs crates/interledger-btp/src/packet.rs tests
    let bytes = hex("02000001f52f54303010556e726561636861626c654572726f721332303138303833313032353332342e3839395a046f6f70730100");
    let p = round_trip(&bytes);
    let Packet::Error(e) = p else {
        panic!("not an error")
    };
    assert_eq!(e.request_id, 501);
    assert_eq!(e.code, ErrorCode::T00_UNREACHABLE);
    assert_eq!(e.name, "UnreachableError");
    assert_eq!(e.triggered_at.as_str(), "20180831025324.899Z");
    assert_eq!(e.data, b"oops");
    assert!(e.protocol_data.is_empty());
}

#[test]
fn builds_js_style_auth_message() {
    // Computed from interledgerjs/interledgerjs packages/ilp-plugin-btp/test/index.test.js
    // authData (requestId 123, username bob, token secret).
    let bytes = hex("060000007b2f0103046175746800000d617574685f757365726e616d650103626f620a617574685f746f6b656e0106736563726574");
    assert_eq!(auth_message(123, Some("bob"), "secret"), bytes);
    let p = round_trip(&bytes);
    assert_eq!(
        entries(&p),
        expected(&[
            ("auth", 0, b""),
            ("auth_username", 1, b"bob"),
            ("auth_token", 1, b"secret")
        ])
    );
}

#[test]
fn builds_rust_style_auth_message() {
    // Computed from interledger-rs crates/interledger-btp/src/client.rs
    // (auth + auth_token only, requestId 1).
    let bytes = hex("06000000011c0102046175746800000a617574685f746f6b656e0106736563726574");
    assert_eq!(auth_message(1, None, "secret"), bytes);
    round_trip(&bytes);
}

#[test]
fn decodes_auth_response() {
    // Computed (btp.json auth_response): empty protocol data is `01 00`.
    let bytes = hex("010000007b020100");
    let p = round_trip(&bytes);
    assert_eq!(p.packet_type(), PacketType::Response);
    assert_eq!(p.request_id(), 123);
    assert!(p.protocol_data().is_empty());
}

#[test]
fn builds_message_with_ilp_prepare() {
    // Computed (btp.json message_with_ilp_prepare): requestId 456 carrying the
    // interledgerjs/ilp-packet example01 Prepare.
    let prepare = hex("0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0");
    let bytes = hex("06000001c872010103696c70006a0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0");
    assert_eq!(ilp_message(456, &prepare), bytes);
    let p = round_trip(&bytes);
    let inner = ilp::Packet::from_bytes(p.ilp().unwrap()).unwrap();
    assert!(matches!(inner, ilp::Packet::Prepare(pr) if pr.amount == 107));
}

#[test]
fn builds_response_with_ilp_fulfill() {
    // Computed (btp.json response_with_ilp_fulfill): requestId 456 carrying the
    // interledgerjs/ilp-packet example01 Fulfill.
    let fulfill = hex("0d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e41665020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600");
    let bytes = hex("01000001c84b010103696c7000430d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e41665020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600");
    assert_eq!(ilp_response(456, &fulfill), bytes);
    let p = round_trip(&bytes);
    assert_eq!(p.ilp(), Some(&fulfill[..]));
    let first = p.protocol_data().first().unwrap();
    assert_eq!(
        first,
        ProtocolData {
            name: "ilp",
            content_type: ContentType::OCTET_STREAM,
            data: &fulfill
        }
    );
}

#[test]
fn rejects_bad_btp_inputs() {
    // Unknown type (3 = BTP/1 Prepare), truncated contents, trailing bytes inside contents.
    for h in ["0300000001020100", "01000000010501", "0100000001030100ff"] {
        assert!(Packet::from_bytes(&hex(h)).is_err(), "{h}");
    }
}
