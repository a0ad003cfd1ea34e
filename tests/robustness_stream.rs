//! Robustness: at least 100,000 random and mutated inputs per decoder, from a
//! seeded splitmix64 generator. Every input must be handled without a panic,
//! and every successful decode must re-encode consistently.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::hex;

use ilp_stream_web::codec::oer::put_var_octet_string;
use ilp_stream_web::codec::{Decode, Encode, Reader};
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::spsp::{base64, payment_pointer_to_url, Endpoint, SpspResponse};
use ilp_stream_web::stream::crypto::{open, seal, Keys};
use ilp_stream_web::stream::{Frame, Frames, OutgoingPacket, Packet};

const RUNS: usize = 100_000;

use common::SplitMix64 as SplitMix;

/// One to four random edits of `seed`.
fn mutate(rng: &mut SplitMix, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.index(4) {
        let at = rng.index(out.len() + 1);
        match rng.index(6) {
            0 if at < out.len() => out[at] ^= 1 << rng.index(8),
            1 if at < out.len() => out[at] = rng.byte(),
            2 => out.insert(at, rng.byte()),
            3 if at < out.len() => {
                out.remove(at);
            }
            4 => out.truncate(at),
            _ => {
                // Small numbers and length-ish bytes find edge cases fastest.
                let interesting = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x88, 0x89, 0xff];
                if at < out.len() {
                    out[at] = interesting[rng.index(interesting.len())];
                }
            }
        }
    }
    out
}

/// Valid STREAM packets to mutate (from the vector tests).
fn packet_seeds() -> Vec<Vec<u8>> {
    [
        "010c010001000100",
        "010c08ffffffffffffffff01000100",
        "010c010001000101010601046661696c",
        "010c010001000101070503414243ff",
        "010c010001000101120f017b090100000000000000000201c8",
        "010c010001000101140c017b0201c806666f6f626172",
        "010c0101016301015903010203",
        "010c01010163010111040101010100000000",
        "010c01070201ef0103120601010100010015050101024000110501010203e8",
        "010c01010163010e010501036f6f70020d0c6578616d706c652e626c616803030203e804030207d0050302\
         0bb80603020fa007050358595a091008014c0204626c61681104015801631208010b0203db0201f4130801\
         42024e20021770140b01220223280568656c6c6f1505012302223e160602037802ad9c",
    ]
    .iter()
    .map(|h| hex(&h.replace(char::is_whitespace, "")))
    .collect()
}

fn input(rng: &mut SplitMix, seeds: &[Vec<u8>], max_random: usize) -> Vec<u8> {
    if rng.index(3) == 0 {
        rng.bytes(max_random)
    } else {
        let seed = &seeds[rng.index(seeds.len())];
        mutate(rng, seed)
    }
}

/// The invariant the `stream_packet` fuzz target checks (see that file).
#[path = "../fuzz/src/stream_packet.rs"]
#[allow(unreachable_pub)]
mod stream_packet_invariant;

use stream_packet_invariant::{check_stream_packet, PacketSummary};

fn check_packet(bytes: &[u8]) -> bool {
    check_stream_packet(bytes).is_some()
}

#[test]
fn stream_packet_decoder_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0001);
    let seeds = packet_seeds();
    let mut ok = 0;
    for _ in 0..RUNS {
        ok += usize::from(check_packet(&input(&mut rng, &seeds, 64)));
    }
    assert!(ok > RUNS / 50, "mutations should often stay valid ({ok})");
}

/// `make fuzz` regression: a StreamMaxMoney whose receiveMax is a nine-byte
/// VarUInt (2^64) saturates to `u64::MAX`, which re-encodes in eight bytes,
/// so the canonical re-encoding is one byte shorter than the packet.
const SATURATED_RECEIVE_MAX: &str = "010c 0100 0100 0101 120f 017b 09010000000000000000 0201c8";

#[test]
fn saturated_receive_max_packet_keeps_the_invariant() {
    let bytes = hex(SATURATED_RECEIVE_MAX);
    assert_eq!(
        check_stream_packet(&bytes),
        Some(PacketSummary {
            frames: 1,
            saturated: 1
        })
    );
    let packet = Packet::from_bytes(&bytes).unwrap();
    let frames: Vec<Frame<'_>> = packet.frames().collect();
    let canonical = OutgoingPacket {
        packet_type: packet.packet_type,
        sequence: packet.sequence,
        prepare_amount: packet.prepare_amount,
        frames: &frames,
    }
    .to_bytes();
    // Only the frame length and receiveMax change: 0f → 0e, 09 01 00.. → 08 ff..
    assert_eq!(
        canonical,
        hex("010c 0100 0100 0101 120e 017b 08ffffffffffffffff 0201c8")
    );
    assert_eq!(
        packet.to_bytes(),
        bytes,
        "the packet itself keeps its bytes"
    );
}

#[test]
fn saturated_receive_max_and_send_max_read_as_u64_max() {
    let packet = hex(SATURATED_RECEIVE_MAX);
    let frames: Vec<Frame<'_>> = Packet::from_bytes(&packet).unwrap().frames().collect();
    assert_eq!(
        frames,
        [Frame::StreamMaxMoney {
            stream_id: 123,
            receive_max: u64::MAX,
            total_received: 456
        }]
    );
    // The same for StreamMoneyBlocked.sendMax, with a 200-byte magnitude
    // (long length prefix), next to an unsaturated frame.
    let mut blocked = hex("010d 0100 0100 0102 1306 0101 0100 0100");
    let mut contents = hex("0107 81c8 01");
    contents.extend([0; 199]);
    contents.extend(hex("0209c4"));
    blocked.push(0x13);
    put_var_octet_string(&mut blocked, &contents);
    assert_eq!(
        check_stream_packet(&blocked),
        Some(PacketSummary {
            frames: 2,
            saturated: 1
        })
    );
    let frames: Vec<Frame<'_>> = Packet::from_bytes(&blocked).unwrap().frames().collect();
    assert_eq!(
        frames[1],
        Frame::StreamMoneyBlocked {
            stream_id: 7,
            send_max: u64::MAX,
            total_sent: 2500
        }
    );
    // An 8-byte u64::MAX is not saturation: it re-encodes to itself.
    let exact = hex("010c 0100 0100 0101 120e 017b 08ffffffffffffffff 0201c8");
    assert_eq!(
        check_stream_packet(&exact),
        Some(PacketSummary {
            frames: 1,
            saturated: 0
        })
    );
}

#[test]
fn frames_iterator_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0002);
    // Frame lists without the packet header.
    let seeds: Vec<Vec<u8>> = packet_seeds()
        .iter()
        .filter_map(|p| Some(Packet::from_bytes(p).ok()?.frame_bytes().to_vec()))
        .filter(|f| !f.is_empty())
        .collect();
    for _ in 0..RUNS {
        let bytes = input(&mut rng, &seeds, 48);
        let count = [0, 1, 3, 20, u64::MAX][rng.index(5)];
        let mut reader = Reader::new(&bytes);
        let mut seen = 0u64;
        let mut errored = false;
        for item in Frames::new(Reader::new(&bytes), count) {
            assert!(!errored, "nothing may follow an error");
            // The same frame, read by hand, must cover exactly the bytes the
            // iterator consumed.
            let before = reader.remaining();
            let by_hand = Frame::decode(&mut reader);
            assert_eq!(item, by_hand);
            seen += 1;
            match item {
                Ok(frame) => {
                    let used = before - reader.remaining();
                    let encoded = frame.to_bytes();
                    assert_eq!(Frame::from_bytes(&encoded).unwrap(), frame);
                    let saturated = matches!(
                        frame,
                        Frame::StreamMaxMoney {
                            receive_max: u64::MAX,
                            ..
                        } | Frame::StreamMoneyBlocked {
                            send_max: u64::MAX,
                            ..
                        }
                    );
                    if !saturated {
                        assert_eq!(encoded.len(), used);
                    }
                }
                Err(_) => errored = true,
            }
        }
        assert!(seen <= count);
    }
}

#[test]
fn open_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0003);
    let keys = Keys::new(&[0x42; 32]);
    let mut seeds = Vec::new();
    for len in [0usize, 1, 15, 16, 17, 40] {
        let mut sealed = Vec::new();
        seal(&keys, [len as u8; 12], &vec![7; len], &mut sealed).unwrap();
        seeds.push(sealed);
    }
    let mut opened = 0;
    for _ in 0..RUNS {
        let bytes = input(&mut rng, &seeds, 60);
        if let Ok(plaintext) = open(&keys, &bytes) {
            // Only unmodified seeds authenticate.
            assert!(seeds.contains(&bytes));
            assert_eq!(plaintext.len() + 28, bytes.len());
            opened += 1;
        }
    }
    assert!(opened > 0, "unmutated seeds come up now and then");
}

#[test]
fn receipt_decoder_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0004);
    let seeds = vec![
        Receipt::create([0; 16], 1, 500, &[0; 32]).to_vec(),
        Receipt::create([9; 16], 255, u64::MAX, &[1; 32]).to_vec(),
    ];
    for _ in 0..RUNS {
        let bytes = input(&mut rng, &seeds, 70);
        if let Ok(receipt) = Receipt::decode(&bytes) {
            assert_eq!(receipt.to_bytes().as_slice(), bytes.as_slice());
            let verified = Receipt::verify(&bytes, &[0; 32]);
            assert!(verified.is_err() || verified == Ok(receipt));
        }
    }
}

/// A random string over `alphabet`, or a mutation of a seed.
fn text(rng: &mut SplitMix, seeds: &[&str], alphabet: &[char], max_len: usize) -> String {
    if rng.index(3) == 0 {
        let len = rng.index(max_len + 1);
        (0..len)
            .map(|_| alphabet[rng.index(alphabet.len())])
            .collect()
    } else {
        let mut chars: Vec<char> = seeds[rng.index(seeds.len())].chars().collect();
        for _ in 0..=rng.index(3) {
            let at = rng.index(chars.len() + 1);
            let c = alphabet[rng.index(alphabet.len())];
            match rng.index(3) {
                0 if at < chars.len() => chars[at] = c,
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.insert(at, c),
            }
        }
        chars.into_iter().collect()
    }
}

#[test]
fn base64_decoder_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0005);
    let alphabet: Vec<char> = "ABCXYZabcxyz0189+/-_=!. \u{e9}".chars().collect();
    let seeds = [
        "6jR5iNIVRvqeasJeCty6C+YB5X9FhSOUPCL/5nha5Vs=",
        "6jR5iNIVRvqeasJeCty6C-YB5X9FhSOUPCL_5nha5Vs",
        "Zm9vYg==",
        "",
    ];
    let mut secrets = 0;
    for _ in 0..RUNS {
        let s = text(&mut rng, &seeds, &alphabet, 48);
        if let Ok(bytes) = base64::decode(&s) {
            assert_eq!(base64::decode(&base64::encode(&bytes)).unwrap(), bytes);
            assert!(bytes.len() <= s.len() * 3 / 4);
        }
        if let Ok(r) = SpspResponse::from_fields("g.example", &s, None) {
            assert_eq!(base64::decode(&s).unwrap(), r.shared_secret);
            secrets += 1;
        }
    }
    assert!(secrets > 0);
}

#[test]
fn payment_pointer_parser_survives_random_and_mutated_input() {
    let mut rng = SplitMix(0x5eed_0006);
    let alphabet: Vec<char> = "$abc.-_/:@?#%[]1 \t\u{0}\u{e9}hHtTpPsS".chars().collect();
    let seeds = [
        "$example.com",
        "$example.com/",
        "$wallet.example/alice",
        "https://example.com:8443/p?x=1",
        "http://localhost:3000/spsp",
        "http://[::1]:8080",
    ];
    for _ in 0..RUNS {
        let s = text(&mut rng, &seeds, &alphabet, 32);
        if let Ok(url) = payment_pointer_to_url(&s) {
            assert!(url.starts_with("https://"));
            // A resolved pointer is itself an acceptable endpoint URL.
            let endpoint = Endpoint::parse(&url).unwrap();
            assert_eq!(endpoint.url(), url);
            assert_eq!(Endpoint::parse(&s).unwrap().url(), url);
        }
        if let Ok(endpoint) = Endpoint::parse(&s) {
            let lower = endpoint.url().to_ascii_lowercase();
            assert!(lower.starts_with("https://") || lower.starts_with("http://"));
            assert!(!endpoint.url().chars().any(char::is_whitespace));
        }
        let _ = SpspResponse::from_fields(
            &s,
            "6jR5iNIVRvqeasJeCty6C+YB5X9FhSOUPCL/5nha5Vs=",
            Some(true),
        );
    }
}
