//! Robustness: every decoder of the ILP, BTP and IL-DCP layers gets at least
//! 100,000 inputs (random bytes and mutations of valid encodings) from a
//! seeded PRNG. Nothing may panic, and whatever decodes must re-encode to
//! something that decodes to the same value.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use ilp_stream_web::btp::{self, ContentType, Entries, ProtocolData};
use ilp_stream_web::codec::{Decode, Encode, Reader};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{
    Address, AmountTooLarge, ErrorCode, Fulfill, GeneralizedTime, Packet, Prepare, Reject,
    Timestamp,
};

const INPUTS_PER_DECODER: usize = 100_000;

use common::SplitMix64 as Rng;

/// One random change: bit flip, truncation, insertion, deletion, byte
/// overwrite, small add/subtract on a byte (length prefixes), duplication.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    let len = input.len();
    match rng.index(8) {
        0 if len > 0 => {
            let i = rng.index(len);
            input[i] ^= 1 << rng.index(8);
        }
        1 => input.truncate(rng.index(len + 1)),
        2 => {
            let i = rng.index(len + 1);
            let b = rng.byte();
            input.insert(i, b);
        }
        3 if len > 0 => {
            input.remove(rng.index(len));
        }
        4 if len > 0 => {
            let i = rng.index(len);
            input[i] = rng.byte();
        }
        5 if len > 0 => {
            // Length bytes sit near the front; nudge one of the first bytes.
            let i = rng.index(len.min(12));
            let delta = [1u8, 2, 0x7f, 0x80, 0xff, 0xfe][rng.index(6)];
            input[i] = input[i].wrapping_add(delta);
        }
        6 if len > 0 => {
            let start = rng.index(len);
            let end = start + rng.index(len - start + 1);
            let chunk = input[start..end].to_vec();
            let at = rng.index(len + 1);
            input.splice(at..at, chunk);
        }
        _ => {
            let b = rng.byte();
            input.push(b);
        }
    }
}

/// Feeds `INPUTS_PER_DECODER` inputs derived from `seeds` to `check`.
fn drive(
    seed: u64,
    seeds: &[Vec<u8>],
    alphabet: Option<&[u8]>,
    mut check: impl FnMut(&[u8]) -> bool,
) {
    let mut accepted = 0usize;
    let mut rng = Rng(seed);
    for s in seeds {
        assert!(check(s), "seed must decode: {s:02x?}");
    }
    for _ in 0..INPUTS_PER_DECODER {
        let mut input = if rng.index(8) == 0 {
            let n = rng.index(80);
            (0..n)
                .map(|_| match alphabet {
                    Some(a) => a[rng.index(a.len())],
                    None => rng.byte(),
                })
                .collect()
        } else {
            seeds[rng.index(seeds.len())].clone()
        };
        for _ in 0..1 + rng.index(3) {
            mutate(&mut rng, &mut input);
        }
        accepted += usize::from(check(&input));
    }
    // Mutations must reach past the first field, and must also break things.
    assert!(
        accepted > INPUTS_PER_DECODER / 100,
        "only {accepted} decoded"
    );
    assert!(accepted < INPUTS_PER_DECODER, "nothing was rejected");
}

fn ilp_seeds() -> Vec<Vec<u8>> {
    let t = Timestamp::parse_ilp(b"20171223012140549").unwrap();
    let long = vec![0x5a; 200];
    vec![
        Prepare {
            amount: 107,
            expires_at: t,
            execution_condition: [0x74; 32],
            destination: Address::new("example.alice").unwrap(),
            data: b"data",
        }
        .to_bytes(),
        Prepare {
            amount: u64::MAX,
            expires_at: Timestamp::MAX,
            execution_condition: [1; 32],
            destination: Address::new("g.a.b-c.d_e~f").unwrap(),
            data: &long,
        }
        .to_bytes(),
        Fulfill {
            fulfillment: [0xc3; 32],
            data: &long,
        }
        .to_bytes(),
        Reject {
            code: ErrorCode::F08_AMOUNT_TOO_LARGE,
            triggered_by: Some(Address::new("example.connector").unwrap()),
            message: b"amount too large",
            data: &AmountTooLarge {
                received: 1000,
                maximum: 100,
            }
            .to_bytes(),
        }
        .to_bytes(),
        Reject {
            code: ErrorCode::T00_INTERNAL_ERROR,
            triggered_by: None,
            message: b"",
            data: b"",
        }
        .to_bytes(),
        ildcp::request(t).to_bytes(),
    ]
}

#[test]
fn ilp_packet_decoder_survives_mutations() {
    drive(1, &ilp_seeds(), None, |input| {
        let Ok(p) = Packet::from_bytes(input) else {
            return false;
        };
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), p.encoded_len());
        assert_eq!(Packet::from_bytes(&bytes).unwrap(), p, "{input:02x?}");
        true
    });
}

#[test]
fn btp_packet_decoder_survives_mutations() {
    let mut seeds = vec![
        btp::auth_message(123, Some("bob"), "secret"),
        btp::auth_message(1, None, ""),
        btp::ilp_message(456, &ilp_seeds()[0]),
        btp::ilp_response(456, &ilp_seeds()[2]),
    ];
    let entries = [
        ProtocolData {
            name: "ilp",
            content_type: ContentType::OCTET_STREAM,
            data: b"",
        },
        ProtocolData {
            name: "json",
            content_type: ContentType::JSON,
            data: b"{}",
        },
    ];
    let mut buf = String::new();
    let at = GeneralizedTime::from_timestamp(
        Timestamp::parse_ilp(b"20171224161432279").unwrap(),
        &mut buf,
    );
    seeds.push(
        btp::Packet::Transfer(btp::Transfer {
            request_id: 1,
            amount: 100,
            protocol_data: Entries::new(&entries),
        })
        .to_bytes(),
    );
    seeds.push(
        btp::Packet::Error(btp::BtpError {
            request_id: 501,
            code: btp::ErrorCode::T00_UNREACHABLE,
            name: "UnreachableError",
            triggered_at: at,
            data: b"oops",
            protocol_data: Entries::new(&entries),
        })
        .to_bytes(),
    );
    drive(2, &seeds, None, |input| {
        let Ok(p) = btp::Packet::from_bytes(input) else {
            return false;
        };
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), p.encoded_len());
        assert_eq!(btp::Packet::from_bytes(&bytes).unwrap(), p, "{input:02x?}");
        true
    });
}

#[test]
fn ildcp_response_decoder_survives_mutations() {
    let seeds: Vec<Vec<u8>> = [
        ("example.client", 13, "XAM"),
        ("g.x", 0, ""),
        ("test3.a.b.c", 255, "€"),
    ]
    .iter()
    .map(|&(a, s, c)| {
        ildcp::Response {
            client_address: Address::new(a).unwrap(),
            asset_scale: s,
            asset_code: c,
        }
        .to_bytes()
    })
    .collect();
    drive(3, &seeds, None, |input| {
        let Ok(r) = ildcp::Response::from_bytes(input) else {
            return false;
        };
        let bytes = r.to_bytes();
        assert_eq!(bytes.len(), r.encoded_len());
        assert_eq!(ildcp::Response::from_bytes(&bytes).unwrap(), r);
        let f = ildcp::Response::fulfill(&bytes);
        assert_eq!(ildcp::Response::from_fulfill(&f).unwrap(), r);
        true
    });
}

#[test]
fn address_validator_survives_mutations() {
    let seeds: Vec<Vec<u8>> = [
        "example.top.middle.lower",
        "g.a",
        "peer.config",
        "test1.A-b_c~d.9",
        "private.x.y",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let alphabet = b"gtest123.._-~aZ9 /\x00\xff";
    drive(4, &seeds, Some(alphabet), |input| {
        // The same bytes read as a VarOctetString-prefixed address.
        if let Ok(a) = Address::decode(&mut Reader::new(input)) {
            assert_eq!(Address::from_bytes(a.as_bytes()).unwrap(), a);
        }
        let Ok(a) = Address::from_bytes(input) else {
            return false;
        };
        assert_eq!(a.as_bytes(), input);
        assert!(a.segments().count() >= 2);
        let bytes = a.to_bytes();
        assert_eq!(Address::decode(&mut Reader::new(&bytes)).unwrap(), a);
        true
    });
}

#[test]
fn timestamp_parsers_survive_mutations() {
    let seeds: Vec<Vec<u8>> = [
        "20171224161432279",
        "20000229235959999",
        "19700101000000000",
        "99991231235959999",
        "20171224161432.279Z",
        "20171224161432.2Z",
        "20171225000000Z",
        "20161231235960Z",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let alphabet = b"01234567899.Z";
    drive(5, &seeds, Some(alphabet), |input| {
        let ilp = Timestamp::parse_ilp(input);
        if let Ok(t) = ilp {
            assert_eq!(&t.to_ilp_bytes()[..], input, "ILP form is unique");
        }
        let generalized = std::str::from_utf8(input)
            .ok()
            .and_then(|text| GeneralizedTime::parse(text).ok());
        if let Some(g) = generalized {
            let mut buf = String::new();
            let canonical = GeneralizedTime::from_timestamp(g.timestamp(), &mut buf);
            let again = GeneralizedTime::parse(canonical.as_str()).unwrap();
            assert_eq!(again.timestamp(), g.timestamp());
        }
        ilp.is_ok() || generalized.is_some()
    });
}

#[test]
fn f08_data_decoder_survives_mutations() {
    let seeds = vec![
        AmountTooLarge {
            received: 255,
            maximum: 65535,
        }
        .to_bytes(),
        AmountTooLarge {
            received: u64::MAX,
            maximum: 0,
        }
        .to_bytes(),
    ];
    drive(6, &seeds, None, |input| {
        let Ok(d) = AmountTooLarge::from_data(input) else {
            return false;
        };
        assert_eq!(input.len(), 16);
        assert_eq!(d.to_bytes(), input);
        true
    });
}
