//! Property tests: every encoder and decoder in the STREAM layer agree.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::receipt::{Receipt, ReceiptError};
use ilp_stream_web::spsp::base64;
use ilp_stream_web::stream::crypto::{open, seal, Keys};
use ilp_stream_web::stream::{ErrorCode, Frame, FrameType, IlpPacketType, OutgoingPacket, Packet};
use proptest::prelude::*;

/// Owned inputs from which any frame can be borrowed.
#[derive(Clone, Debug)]
struct FrameInput {
    kind: u8,
    a: u64,
    b: u64,
    c: u64,
    byte: u8,
    bytes: Vec<u8>,
    text: String,
}

/// Number of frame shapes `FrameInput::frame` builds (15 known + unknown).
const KINDS: u8 = 16;

impl FrameInput {
    fn frame(&self) -> Frame<'_> {
        let (a, b, c) = (self.a, self.b, self.c);
        match self.kind {
            0 => Frame::ConnectionClose {
                code: ErrorCode(self.byte),
                message: &self.bytes,
            },
            1 => Frame::ConnectionNewAddress {
                source_address: &self.text,
            },
            2 => Frame::ConnectionMaxData { max_offset: a },
            3 => Frame::ConnectionDataBlocked { max_offset: a },
            4 => Frame::ConnectionMaxStreamId { max_stream_id: a },
            5 => Frame::ConnectionStreamIdBlocked { max_stream_id: a },
            6 => Frame::ConnectionAssetDetails {
                asset_code: &self.text,
                asset_scale: self.byte,
            },
            7 => Frame::StreamClose {
                stream_id: a,
                code: ErrorCode(self.byte),
                message: &self.bytes,
            },
            8 => Frame::StreamMoney {
                stream_id: a,
                shares: b,
            },
            9 => Frame::StreamMaxMoney {
                stream_id: a,
                receive_max: b,
                total_received: c,
            },
            10 => Frame::StreamMoneyBlocked {
                stream_id: a,
                send_max: b,
                total_sent: c,
            },
            11 => Frame::StreamData {
                stream_id: a,
                offset: b,
                data: &self.bytes,
            },
            12 => Frame::StreamMaxData {
                stream_id: a,
                max_offset: b,
            },
            13 => Frame::StreamDataBlocked {
                stream_id: a,
                max_offset: b,
            },
            14 => Frame::StreamReceipt {
                stream_id: a,
                receipt: &self.bytes,
            },
            _ => {
                // A type byte this crate does not know.
                let mut ty = self.byte;
                while FrameType(ty).is_known() {
                    ty = ty.wrapping_add(0x20);
                }
                Frame::Unknown {
                    frame_type: FrameType(ty),
                    contents: &self.bytes,
                }
            }
        }
    }
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(u64::MAX), 0u64..300, any::<u64>()]
}

fn frame_input() -> impl Strategy<Value = FrameInput> {
    (
        0..KINDS,
        any_u64(),
        any_u64(),
        any_u64(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..300),
        ".{0,40}",
    )
        .prop_map(|(kind, a, b, c, byte, bytes, text)| FrameInput {
            kind,
            a,
            b,
            c,
            byte,
            bytes,
            text,
        })
}

fn packet_type() -> impl Strategy<Value = IlpPacketType> {
    prop_oneof![
        Just(IlpPacketType::Prepare),
        Just(IlpPacketType::Fulfill),
        Just(IlpPacketType::Reject),
    ]
}

proptest! {
    #[test]
    fn every_frame_type_round_trips(input in frame_input()) {
        let frame = input.frame();
        let bytes = frame.to_bytes();
        prop_assert_eq!(bytes.len(), frame.encoded_len());
        let decoded = Frame::from_bytes(&bytes).unwrap();
        prop_assert_eq!(decoded, frame);
        prop_assert_eq!(decoded.to_bytes(), bytes);
    }

    #[test]
    fn packets_round_trip_with_and_without_padding(
        inputs in prop::collection::vec(frame_input(), 0..6),
        ty in packet_type(),
        sequence in any_u64(),
        amount in any_u64(),
        pad in 0usize..64,
    ) {
        let frames: Vec<Frame<'_>> = inputs.iter().map(FrameInput::frame).collect();
        let packet = OutgoingPacket { packet_type: ty, sequence, prepare_amount: amount, frames: &frames };
        let bytes = packet.to_bytes();
        prop_assert_eq!(bytes.len(), packet.encoded_len());
        let mut padded = Vec::new();
        packet.encode_padded(&mut padded, bytes.len() + pad);
        for wire in [&bytes, &padded] {
            let decoded = Packet::from_bytes(wire).unwrap();
            prop_assert_eq!(decoded.packet_type, ty);
            prop_assert_eq!(decoded.sequence, sequence);
            prop_assert_eq!(decoded.prepare_amount, amount);
            prop_assert_eq!(decoded.frames().collect::<Vec<_>>(), frames.clone());
            prop_assert_eq!(decoded.to_bytes(), bytes.clone());
        }
    }

    #[test]
    fn open_undoes_seal(
        secret in any::<[u8; 32]>(),
        nonce in any::<[u8; 12]>(),
        plaintext in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let keys = Keys::new(&secret);
        let mut sealed = Vec::new();
        seal(&keys, nonce, &plaintext, &mut sealed).unwrap();
        prop_assert_eq!(sealed.len(), plaintext.len() + 28);
        prop_assert_eq!(&sealed[..12], &nonce[..]);
        prop_assert_eq!(open(&keys, &sealed).unwrap(), plaintext);
    }

    #[test]
    fn created_receipts_verify_only_under_their_secret(
        nonce in any::<[u8; 16]>(),
        stream_id in any::<u8>(),
        total in any::<u64>(),
        secret in any::<[u8; 32]>(),
        other in any::<[u8; 32]>(),
    ) {
        let bytes = Receipt::create(nonce, stream_id, total, &secret);
        let receipt = Receipt::verify(&bytes, &secret).unwrap();
        prop_assert_eq!((receipt.nonce, receipt.stream_id, receipt.total_received), (nonce, stream_id, total));
        prop_assert_eq!(receipt.to_bytes(), bytes);
        if other != secret {
            prop_assert_eq!(Receipt::verify(&bytes, &other), Err(ReceiptError::BadHmac));
        }
    }

    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let encoded = base64::encode(&bytes);
        prop_assert_eq!(&base64::decode(&encoded).unwrap(), &bytes);
        let url_safe: String = encoded
            .trim_end_matches('=')
            .chars()
            .map(|c| match c { '+' => '-', '/' => '_', c => c })
            .collect();
        prop_assert_eq!(base64::decode(&url_safe).unwrap(), bytes);
    }
}
