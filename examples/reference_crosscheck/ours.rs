//! Packets encoded by our codecs, for `tests/interop/verify-ours.mjs` to
//! decode with the reference libraries.

use serde_json::{json, Value};

use ilp_stream_web::btp::{self, BtpError, ContentType, Entries, ProtocolData};
use ilp_stream_web::codec::Encode;
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{
    Address, AmountTooLarge, ErrorCode, Fulfill, GeneralizedTime, Prepare, Reject, Timestamp,
};
use ilp_stream_web::rand::Rng;
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::stream::{
    self, ErrorCode as Close, Frame, IlpPacketType, Keys, OutgoingPacket,
};

use crate::util::hex;

/// 2030-01-02T03:04:05.678Z, the reference generator's expiry.
const EXPIRES_MS: u64 = 1_893_553_445_678;

fn addr(s: &'static str) -> Result<Address<'static>, String> {
    Address::new(s).map_err(|e| format!("{s}: {e}"))
}

fn packet(kind: &str, name: &str, bytes: &[u8]) -> Value {
    json!({ "kind": kind, "name": name, "hex": hex(bytes) })
}

fn stream_packet(ty: IlpPacketType, sequence: u64, amount: u64, frames: &[Frame<'_>]) -> Vec<u8> {
    let p = OutgoingPacket {
        packet_type: ty,
        sequence,
        prepare_amount: amount,
        frames,
    };
    p.to_bytes()
}

/// Seals `plaintext` with a fresh nonce: the sealed data and its entry.
fn seal(
    keys: &Keys,
    rng: &mut Rng,
    name: &str,
    plaintext: &[u8],
) -> Result<(Vec<u8>, Value), String> {
    let mut data = Vec::new();
    stream::seal(keys, rng.array(), plaintext, &mut data).map_err(|e| e.to_string())?;
    let fulfillment = stream::fulfillment(keys, &data);
    let entry = json!({
        "name": name,
        "hex": hex(&data),
        "plaintextHex": hex(plaintext),
        "fulfillment": hex(&fulfillment),
        "condition": hex(&stream::condition(&fulfillment)),
    });
    Ok((data, entry))
}

/// The `{ sharedSecret, encrypted, packets }` document.
pub(crate) fn build(secret: &[u8; 32], rng: &mut Rng) -> Result<Value, String> {
    let keys = Keys::new(secret);
    let expires = Timestamp::from_millis(EXPIRES_MS).ok_or("expiry out of range")?;
    let mut packets = Vec::new();
    let mut encrypted = Vec::new();

    // ---------------------------------------------------------------- STREAM
    let receipt = Receipt::create([7; 16], 1, 500, &[9; 32]);
    // With its secret, so that the reference verifies the HMAC too.
    packets.push(json!({
        "kind": "stream-receipt", "name": "ours", "hex": hex(&receipt), "secret": hex(&[9; 32]),
    }));
    let frames = [
        Frame::ConnectionClose {
            code: Close::NO_ERROR,
            message: b"bye",
        },
        Frame::ConnectionNewAddress {
            source_address: "test.connector.browser.alice",
        },
        Frame::ConnectionMaxData {
            max_offset: u64::MAX,
        },
        Frame::ConnectionDataBlocked { max_offset: 12345 },
        Frame::ConnectionMaxStreamId { max_stream_id: 20 },
        Frame::ConnectionStreamIdBlocked { max_stream_id: 21 },
        Frame::ConnectionAssetDetails {
            asset_code: "USD",
            asset_scale: 9,
        },
        Frame::StreamClose {
            stream_id: 1,
            code: Close::APPLICATION_ERROR,
            message: b"",
        },
        Frame::StreamMoney {
            stream_id: 1,
            shares: 1,
        },
        Frame::StreamMaxMoney {
            stream_id: 1,
            receive_max: u64::MAX,
            total_received: 0,
        },
        Frame::StreamMoneyBlocked {
            stream_id: 1,
            send_max: 100_000,
            total_sent: 99_000,
        },
        Frame::StreamData {
            stream_id: 123,
            offset: 456,
            data: b"foobar",
        },
        Frame::StreamMaxData {
            stream_id: 1,
            max_offset: 65536,
        },
        Frame::StreamDataBlocked {
            stream_id: 1,
            max_offset: 70_000,
        },
        Frame::StreamReceipt {
            stream_id: 1,
            receipt: &receipt,
        },
    ];
    for (i, f) in (1u64..).zip(&frames) {
        let name = f.frame_type().name().unwrap_or("Unknown");
        let bytes = stream_packet(IlpPacketType::Prepare, i, 0, core::slice::from_ref(f));
        packets.push(packet("stream-packet", name, &bytes));
    }
    let all = stream_packet(IlpPacketType::Prepare, 7, 1000, &frames);
    packets.push(packet("stream-packet", "all-frames", &all));
    let big = stream_packet(IlpPacketType::Prepare, u64::MAX, u64::MAX, &frames[8..9]);
    packets.push(packet("stream-packet", "big-numbers", &big));

    let prepare_frames = [
        Frame::StreamMoney {
            stream_id: 1,
            shares: 1,
        },
        Frame::ConnectionNewAddress {
            source_address: "test.connector.browser.alice",
        },
        Frame::ConnectionAssetDetails {
            asset_code: "USD",
            asset_scale: 9,
        },
    ];
    let fulfill_frames = [
        Frame::ConnectionMaxData { max_offset: 65536 },
        Frame::StreamMaxMoney {
            stream_id: 1,
            receive_max: u64::MAX,
            total_received: 990,
        },
    ];
    let reject_frames = [Frame::StreamMaxMoney {
        stream_id: 1,
        receive_max: 5000,
        total_received: 5000,
    }];
    let plaintexts = [
        (
            "prepare-money-address-asset",
            stream_packet(IlpPacketType::Prepare, 1, 990, &prepare_frames),
        ),
        (
            "fulfill-reply",
            stream_packet(IlpPacketType::Fulfill, 1, 990, &fulfill_frames),
        ),
        (
            "reject-reply",
            stream_packet(IlpPacketType::Reject, 2, 0, &reject_frames),
        ),
        (
            "close",
            stream_packet(IlpPacketType::Prepare, 3, 0, &frames[..1]),
        ),
        ("all-frames", all),
    ];
    let mut stream_data = Vec::new();
    for (name, plain) in &plaintexts {
        let (data, entry) = seal(&keys, rng, name, plain)?;
        encrypted.push(entry);
        packets.push(packet("stream-encrypted", name, &data));
        stream_data.push(data);
    }
    // Padded as with enablePadding: the sealed data fills an ILP data field.
    let mut padded = Vec::new();
    OutgoingPacket {
        packet_type: IlpPacketType::Prepare,
        sequence: 4,
        prepare_amount: 1,
        frames: &prepare_frames,
    }
    .encode_padded(&mut padded, stream::MAX_PLAINTEXT_LEN);
    let (_, entry) = seal(&keys, rng, "padded", &padded)?;
    encrypted.push(entry);

    let destination = addr("test.connector.receiver.token")?;
    let data = stream_data.first().ok_or("no sealed data")?;
    let prepare = Prepare {
        amount: 1000,
        expires_at: expires,
        execution_condition: stream::condition(&stream::fulfillment(&keys, data)),
        destination,
        data,
    };
    packets.push(packet("stream-ilp-prepare", "money", &prepare.to_bytes()));

    // ---------------------------------------------------------------- ILP
    let prepares = [
        ("basic", 107, addr("example.alice")?, &b"hello world"[..]),
        ("u64-max", u64::MAX, addr("g.x")?, &[0xab; 300][..]),
        ("empty", 0, addr("test.connector.receiver.abc~_-")?, &[][..]),
    ];
    for (name, amount, destination, data) in prepares {
        let p = Prepare {
            amount,
            expires_at: expires,
            execution_condition: [0x11; 32],
            destination,
            data,
        };
        packets.push(packet("ilp-prepare", name, &p.to_bytes()));
    }
    let fulfill = Fulfill {
        fulfillment: [0x11; 32],
        data: b"thank you",
    };
    packets.push(packet("ilp-fulfill", "basic", &fulfill.to_bytes()));
    packets.push(packet(
        "ilp-fulfill",
        "empty",
        &Fulfill {
            fulfillment: [0; 32],
            data: &[],
        }
        .to_bytes(),
    ));
    let f08 = AmountTooLarge {
        received: 1500,
        maximum: 1000,
    }
    .to_bytes();
    let rejects = [
        (
            "F08",
            ErrorCode::F08_AMOUNT_TOO_LARGE,
            Some(addr("test.connector")?),
            &b"packet size too large"[..],
            &f08[..],
        ),
        (
            "F99",
            ErrorCode(*b"F99"),
            Some(addr("test.receiver")?),
            &b"application error"[..],
            &[1, 2, 3][..],
        ),
        (
            "T04-no-triggered-by",
            ErrorCode::T04_INSUFFICIENT_LIQUIDITY,
            None,
            &b""[..],
            &[][..],
        ),
    ];
    for (name, code, triggered_by, message, data) in rejects {
        let r = Reject {
            code,
            triggered_by,
            message,
            data,
        };
        packets.push(packet("ilp-reject", name, &r.to_bytes()));
    }

    // ---------------------------------------------------------------- IL-DCP
    packets.push(packet(
        "ildcp-request",
        "basic",
        &ildcp::request(expires).to_bytes(),
    ));
    for (address, scale, code) in [
        ("test.connector.browser.alice", 9, "USD"),
        ("example.client", 255, "€UR"),
    ] {
        let data = ildcp::Response {
            client_address: addr(address)?,
            asset_scale: scale,
            asset_code: code,
        }
        .to_bytes();
        packets.push(packet(
            "ildcp-response",
            address,
            &ildcp::Response::fulfill(&data).to_bytes(),
        ));
    }

    // ---------------------------------------------------------------- BTP
    packets.push(packet(
        "btp-message",
        "auth",
        &btp::auth_message(123, Some("alice"), "alice-secret"),
    ));
    packets.push(packet(
        "btp-message",
        "auth-no-username",
        &btp::auth_message(1, None, ""),
    ));
    packets.push(packet(
        "btp-message",
        "ilp-prepare",
        &btp::ilp_message(0xffff_fffe, &prepare.to_bytes()),
    ));
    packets.push(packet(
        "btp-response",
        "ilp-fulfill",
        &btp::ilp_response(7, &fulfill.to_bytes()),
    ));
    let response = btp::Packet::Response(btp::Response {
        request_id: 123,
        protocol_data: Entries::EMPTY,
    });
    packets.push(packet("btp-response", "empty", &response.to_bytes()));
    let mut time = String::new();
    for (name, ms) in [("millis", EXPIRES_MS), ("whole-second", 1_535_684_004_000)] {
        let at = Timestamp::from_millis(ms).ok_or("time out of range")?;
        let error = btp::Packet::Error(BtpError {
            request_id: 501,
            code: btp::ErrorCode::F00_NOT_ACCEPTED,
            name: "NotAcceptedError",
            triggered_at: GeneralizedTime::from_timestamp_js(at, &mut time),
            data: b"incorrect token",
            protocol_data: Entries::EMPTY,
        });
        packets.push(packet("btp-error", name, &error.to_bytes()));
    }
    let entries = [
        ProtocolData {
            name: "foo",
            content_type: ContentType::OCTET_STREAM,
            data: b"bar",
        },
        ProtocolData {
            name: "beep",
            content_type: ContentType::TEXT_PLAIN_UTF8,
            data: b"boop",
        },
        ProtocolData {
            name: "json",
            content_type: ContentType::JSON,
            data: b"{}",
        },
    ];
    let transfer = btp::Packet::Transfer(btp::Transfer {
        request_id: 1,
        amount: 100,
        protocol_data: Entries::new(&entries),
    });
    packets.push(packet("btp-transfer", "basic", &transfer.to_bytes()));

    Ok(json!({ "sharedSecret": hex(secret), "encrypted": encrypted, "packets": packets }))
}
