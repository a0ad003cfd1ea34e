//! Byte-exact ILP, IL-DCP and OER vectors: decode, check every field,
//! re-encode, compare bytes. Hex is copied from the digest's
//! `vectors/ilp-packets.json` and `vectors/oer.json`; each test names the
//! vector's original source.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::hex;

use ilp_stream_web::codec::{Decode, DecodeErrorKind, Encode, Reader};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{
    Address, AmountTooLarge, ErrorClass, ErrorCode, GeneralizedTime, Packet, Prepare, Timestamp,
    TimestampError,
};

/// Decodes `bytes` as an ILP packet and checks that it re-encodes to the same bytes.
fn round_trip(bytes: &[u8]) -> Packet<'_> {
    let p = Packet::from_bytes(bytes).unwrap();
    assert_eq!(p.encoded_len(), bytes.len());
    assert_eq!(p.to_bytes(), bytes);
    p
}

/// 2017-12-23T01:21:40.549Z as milliseconds since the epoch.
const JS_PREPARE_EXPIRY_MS: u64 = 1_513_992_100_549;

// 257 bytes of data shared by the interledger-rs fixtures.
const RUST_DATA: &str = "6c99f6a969473028ef46e09b471581c915b6d5496329c1e3a1c2748d7422a7bdcc798e286cabe3197cccfc213e930b8dba57c7abdf2d1f3b2511689de4f0eff441f53da0feffd23249a355b26c3bd0256d5122e7ccdf159fd6cb083dd73cb29397967871becd04890492119c5e3e6b024be35de26466f60c16d90a21054fb13800120cfb85b0df76e50aacd68526fd043026d3d02010c671987a1f6501b5085f0d7d5897624be5862f98c01df65792970181a87d0f3c586a0ca6bd89dc372c45eef5b38a6307b16f1d7d31e8d92e5982c9dd2986eaad581f212d43da9c5cb7b948fc18914be90219709d0c26d3b5f4ad879d8494bb3aebfe612ec54041e4a380f0";

#[test]
fn decodes_js_prepare_vector() {
    // interledgerjs/ilp-packet test/data/ilp_prepare/valid/example01.json
    let bytes = hex("0c68000000000000006b323031373132323330313231343035343974e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de10d6578616d706c652e616c696365205db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0");
    let Packet::Prepare(p) = round_trip(&bytes) else {
        panic!("not a prepare")
    };
    assert_eq!(p.amount, 107);
    assert_eq!(p.expires_at.as_millis(), JS_PREPARE_EXPIRY_MS);
    assert_eq!(&p.expires_at.to_ilp_bytes(), b"20171223012140549");
    assert_eq!(
        p.execution_condition[..],
        hex("74e1136dc71c9e5f283bec83461cbf1261c4014f72d48f8dd65453a0b84e7de1")
    );
    assert_eq!(p.destination.as_str(), "example.alice");
    assert_eq!(
        p.data,
        hex("5db343fdc41898f6df4202329139dc242dd0f558a811b46b28918fdab37c6cb0")
    );
    assert_eq!(Prepare::from_bytes(&bytes).unwrap(), p);
}

#[test]
fn decodes_js_fulfill_vector() {
    // interledgerjs/ilp-packet test/data/ilp_fulfill/valid/example01.json
    let bytes = hex("0d41c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e41665020673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600");
    let Packet::Fulfill(f) = round_trip(&bytes) else {
        panic!("not a fulfill")
    };
    assert_eq!(
        f.fulfillment[..],
        hex("c3866b48749ccf113b2e15c25d2407fbfc14476fe7296bb1bf1bcd9e6e416650")
    );
    assert_eq!(
        f.data,
        hex("673febd78a33b28e1c0db14c9a06251a05fa831ed4ed91ebcd150e7249c2e600")
    );
}

#[test]
fn decodes_js_reject_vector() {
    // interledgerjs/ilp-packet test/data/ilp_reject/valid/example01.json
    let bytes = hex("0e414630310e6578616d706c652e75732e626f62276d697373696e672064657374696e6174696f6e2e206c65646765723d6578616d706c652e75732e06000000041041");
    let Packet::Reject(r) = round_trip(&bytes) else {
        panic!("not a reject")
    };
    assert_eq!(r.code, ErrorCode::F01_INVALID_PACKET);
    assert_eq!(r.triggered_by.unwrap().as_str(), "example.us.bob");
    assert_eq!(r.message, b"missing destination. ledger=example.us.");
    assert_eq!(r.data, hex("000000041041"));
}

#[test]
fn decodes_rust_prepare_vector_with_long_lengths() {
    // interledger/interledger-rs crates/interledger-packet/src/fixtures.rs PREPARE_BYTES
    let bytes = hex(&format!("0c82014b000000000000006b3230313830363037323034383432343833117b434f1a54e9044f4f54923b2cff9e4a6d420ae281d5025d7bb040c4b4c04a0d6578616d706c652e616c696365820101{RUST_DATA}"));
    let Packet::Prepare(p) = round_trip(&bytes) else {
        panic!("not a prepare")
    };
    assert_eq!(p.amount, 107);
    assert_eq!(&p.expires_at.to_ilp_bytes(), b"20180607204842483");
    assert_eq!(
        p.execution_condition[..],
        hex("117b434f1a54e9044f4f54923b2cff9e4a6d420ae281d5025d7bb040c4b4c04a")
    );
    assert_eq!(p.destination.as_str(), "example.alice");
    assert_eq!(p.data, hex(RUST_DATA));
    assert_eq!(p.data.len(), 257);
}

#[test]
fn decodes_rust_fulfill_vector() {
    // interledger-rs crates/interledger-packet/src/fixtures.rs FULFILL_BYTES
    let bytes = hex(&format!(
        "0d820124117b434f1a54e9044f4f54923b2cff9e4a6d420ae281d5025d7bb040c4b4c04a820101{RUST_DATA}"
    ));
    let Packet::Fulfill(f) = round_trip(&bytes) else {
        panic!("not a fulfill")
    };
    assert_eq!(
        f.fulfillment[..],
        hex("117b434f1a54e9044f4f54923b2cff9e4a6d420ae281d5025d7bb040c4b4c04a")
    );
    assert_eq!(f.data, hex(RUST_DATA));
}

#[test]
fn decodes_rust_reject_vector() {
    // interledger-rs crates/interledger-packet/src/fixtures.rs REJECT_BYTES
    let bytes = hex(&format!(
        "0e820124463939116578616d706c652e636f6e6e6563746f720a536f6d65206572726f72820101{RUST_DATA}"
    ));
    let Packet::Reject(r) = round_trip(&bytes) else {
        panic!("not a reject")
    };
    assert_eq!(r.code, ErrorCode::F99_APPLICATION_ERROR);
    assert_eq!(r.code.class(), ErrorClass::Final);
    assert_eq!(r.triggered_by.unwrap().as_str(), "example.connector");
    assert_eq!(r.message, b"Some error");
    assert_eq!(r.data, hex(RUST_DATA));
}

#[test]
fn decodes_f08_data_vector() {
    // interledgerjs/interledgerjs packages/ilp-packet/test/error.spec.ts
    // (AmountTooLargeError receivedAmount=255 maximumAmount=65535)
    let bytes = hex("00000000000000ff000000000000ffff");
    let d = AmountTooLarge::from_data(&bytes).unwrap();
    assert_eq!(
        d,
        AmountTooLarge {
            received: 255,
            maximum: 65535
        }
    );
    assert_eq!(d.to_bytes(), bytes);
}

#[test]
fn decodes_computed_f08_rejects() {
    // Computed by the digest's author (ilp-packets.json f08_reject_a / f08_reject_b).
    let cases = [
        ("0e27463038116578616d706c652e636f6e6e6563746f72001000000000000000ff000000000000ffff", "example.connector", &b""[..], 255, 65535),
        ("0e344630380e746573742e636f6e6e6563746f7210616d6f756e7420746f6f206c617267651000000000000003e80000000000000064", "test.connector", b"amount too large", 1000, 100),
    ];
    for (h, by, message, received, maximum) in cases {
        let bytes = hex(h);
        let Packet::Reject(r) = round_trip(&bytes) else {
            panic!("not a reject")
        };
        assert_eq!(r.code, ErrorCode::F08_AMOUNT_TOO_LARGE);
        assert_eq!(r.triggered_by.unwrap().as_str(), by);
        assert_eq!(r.message, message);
        let d = AmountTooLarge::from_data(r.data).unwrap();
        assert_eq!((d.received, d.maximum), (received, maximum));
    }
}

#[test]
fn decodes_ildcp_request_vector() {
    // interledgerjs/interledgerjs packages/ilp-protocol-ildcp/test/index.spec.ts
    // (clock fixed at 2015-06-16T00:00:00Z, expiry +60 s)
    let bytes = hex("0c460000000000000000323031353036313630303031303030303066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f29250b706565722e636f6e66696700");
    let Packet::Prepare(p) = round_trip(&bytes) else {
        panic!("not a prepare")
    };
    assert!(ildcp::is_request(&p));
    assert_eq!(p.expires_at.as_millis(), 1_434_412_800_000 + 60_000);
    let built = ildcp::request(Timestamp::from_millis(1_434_412_860_000).unwrap());
    assert_eq!(built.to_bytes(), bytes);
}

#[test]
fn decodes_ildcp_response_vector() {
    // interledgerjs/interledgerjs packages/ilp-protocol-ildcp/test/index.spec.ts
    let bytes = hex("0d350000000000000000000000000000000000000000000000000000000000000000140e6578616d706c652e636c69656e740d0358414d");
    let Packet::Fulfill(f) = round_trip(&bytes) else {
        panic!("not a fulfill")
    };
    assert!(ildcp::is_response(&f));
    let r = ildcp::Response::from_fulfill(&f).unwrap();
    assert_eq!(r.client_address.as_str(), "example.client");
    assert_eq!(r.asset_scale, 13);
    assert_eq!(r.asset_code, "XAM");
    assert_eq!(r.to_bytes(), f.data);
    assert_eq!(ildcp::Response::fulfill(f.data).to_bytes(), bytes);
}

#[test]
fn ildcp_constants_match_the_vectors() {
    // ilp-packets.json ildcp_constants (interledgerjs ilp-protocol-ildcp).
    assert_eq!(
        ildcp::CONDITION[..],
        hex("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
    );
    assert_eq!(ildcp::FULFILLMENT, [0; 32]);
    assert_eq!(ildcp::DESTINATION.as_str(), "peer.config");
}

#[test]
fn decodes_ilp_timestamp_vectors() {
    // interledger/rfcs 0030-notes-on-oer-encoding; interledger-rs oer.rs tests (oer.json)
    for (h, text, ms) in [
        (
            "3230313731323234313631343332323739",
            "20171224161432279",
            1_514_132_072_279u64,
        ),
        (
            "3230313731323234313631343332323030",
            "20171224161432200",
            1_514_132_072_200,
        ),
        (
            "3230313731323235303030303030303030",
            "20171225000000000",
            1_514_160_000_000,
        ),
    ] {
        let bytes = hex(h);
        assert_eq!(bytes, text.as_bytes());
        let t = Timestamp::parse_ilp(&bytes).unwrap();
        assert_eq!(t.as_millis(), ms, "{text}");
        assert_eq!(t.to_ilp_bytes()[..], bytes[..]);
    }
}

#[test]
fn rejects_invalid_ilp_timestamps() {
    // Must-reject examples from the digest §1.2 (RFC 27 / RFC 30).
    for (text, err) in [
        ("20171324161432200", TimestampError::MonthOutOfRange),
        ("20171224240000000", TimestampError::HourOutOfRange),
        ("20171224215300", TimestampError::WrongLength),
        ("20161231235960852", TimestampError::SecondOutOfRange),
    ] {
        assert_eq!(Timestamp::parse_ilp(text.as_bytes()), Err(err), "{text}");
    }
}

#[test]
fn decodes_generalized_time_vectors() {
    // interledger/rfcs 0030; interledger-rs oer.rs tests (oer.json generalized_time_varlen_btp)
    for (h, text) in [
        (
            "1332303137313232343136313433322e3237395a",
            "20171224161432.279Z",
        ),
        ("1132303137313232343136313433322e325a", "20171224161432.2Z"),
        ("0f32303137313232353030303030305a", "20171225000000Z"),
    ] {
        let bytes = hex(h);
        let mut r = Reader::new(&bytes);
        let s = std::str::from_utf8(r.var_octet_string("t").unwrap()).unwrap();
        assert!(r.is_empty());
        let g = GeneralizedTime::parse(s).unwrap();
        assert_eq!(g.as_str(), text);
        // The canonical writer reproduces each of these (they are canonical).
        let mut buf = String::new();
        assert_eq!(
            GeneralizedTime::from_timestamp(g.timestamp(), &mut buf).as_str(),
            text
        );
    }
}

#[test]
fn decodes_address_vector() {
    // interledger/rfcs 0030; interledger-rs oer.rs tests (oer.json ilp_address_varoct)
    let bytes = hex("186578616d706c652e746f702e6d6964646c652e6c6f776572");
    assert!(
        Address::from_bytes(&bytes).is_err(),
        "the length prefix is not part of the address"
    );
    let a = Address::decode(&mut Reader::new(&bytes)).unwrap();
    assert_eq!(a.as_str(), "example.top.middle.lower");
    assert_eq!(a.to_bytes(), bytes);
}

#[test]
fn rejects_must_reject_length_determinants_inside_packets() {
    // oer.json length_determinant_must_reject (RFC 30): 81 00, 81 7f, 80 as an envelope length.
    for prefix in ["8100", "817f", "80"] {
        let bytes = hex(&format!("0d{prefix}"));
        let err = Packet::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NonCanonical, "{prefix}");
    }
}
