//! Property tests: decode(encode(x)) == x for generated ILP packets, IL-DCP
//! responses, BTP packets, addresses and timestamps.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use ilp_stream_web::btp::{self, BtpError, ContentType, Entries, ProtocolData};
use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{
    Address, AmountTooLarge, ErrorCode, Fulfill, GeneralizedTime, Packet, Prepare, Reject,
    Timestamp, SCHEMES,
};
use proptest::prelude::*;

const SEGMENT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~-";

fn segment() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEGMENT_CHARS), 1..12)
        .prop_map(|b| String::from_utf8(b).unwrap())
}

fn address() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&SCHEMES[..]),
        prop::collection::vec(segment(), 1..5),
    )
        .prop_map(|(scheme, segs)| format!("{scheme}.{}", segs.join(".")))
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0..=Timestamp::MAX.as_millis()).prop_map(|ms| Timestamp::from_millis(ms).unwrap())
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..300)
}

type OwnedEntry = (String, u8, Vec<u8>);

fn entries() -> impl Strategy<Value = Vec<OwnedEntry>> {
    prop::collection::vec(("[a-z_]{0,12}", any::<u8>(), data()), 0..5)
}

fn borrow(list: &[OwnedEntry]) -> Vec<ProtocolData<'_>> {
    list.iter()
        .map(|(name, ty, data)| ProtocolData {
            name,
            content_type: ContentType(*ty),
            data,
        })
        .collect()
}

fn check_ilp(packet: Packet<'_>) {
    let bytes = packet.to_bytes();
    assert_eq!(bytes.len(), packet.encoded_len());
    assert_eq!(Packet::from_bytes(&bytes).unwrap(), packet);
}

fn check_btp(packet: btp::Packet<'_>) {
    let bytes = packet.to_bytes();
    assert_eq!(bytes.len(), packet.encoded_len());
    assert_eq!(btp::Packet::from_bytes(&bytes).unwrap(), packet);
}

proptest! {
    #[test]
    fn addresses_round_trip(s in address()) {
        let a = Address::new(&s).unwrap();
        let bytes = a.to_bytes();
        prop_assert_eq!(Address::decode(&mut ilp_stream_web::codec::Reader::new(&bytes)).unwrap(), a);
        prop_assert_eq!(Address::from_bytes(a.as_bytes()).unwrap(), a);
        prop_assert_eq!(a.segments().collect::<Vec<_>>().join("."), s.clone());
    }

    #[test]
    fn timestamps_round_trip(t in timestamp()) {
        prop_assert_eq!(Timestamp::parse_ilp(&t.to_ilp_bytes()).unwrap(), t);
        let mut buf = String::new();
        let g = GeneralizedTime::from_timestamp(t, &mut buf);
        prop_assert_eq!(GeneralizedTime::parse(g.as_str()).unwrap(), g);
        let mut js = String::new();
        let g = GeneralizedTime::from_timestamp_js(t, &mut js);
        prop_assert_eq!(GeneralizedTime::parse(g.as_str()).unwrap().timestamp(), t);
    }

    #[test]
    fn prepares_round_trip(
        amount in any::<u64>(),
        expires_at in timestamp(),
        execution_condition in any::<[u8; 32]>(),
        destination in address(),
        data in data(),
    ) {
        check_ilp(Packet::Prepare(Prepare {
            amount,
            expires_at,
            execution_condition,
            destination: Address::new(&destination).unwrap(),
            data: &data,
        }));
    }

    #[test]
    fn fulfills_round_trip(fulfillment in any::<[u8; 32]>(), data in data()) {
        check_ilp(Packet::Fulfill(Fulfill { fulfillment, data: &data }));
    }

    #[test]
    fn rejects_round_trip(
        code in any::<[u8; 3]>().prop_map(|c| c.map(|b| b & 0x7f)),
        by in prop::option::of(address()),
        message in data(),
        data in data(),
    ) {
        check_ilp(Packet::Reject(Reject {
            code: ErrorCode(code),
            triggered_by: by.as_deref().map(|a| Address::new(a).unwrap()),
            message: &message,
            data: &data,
        }));
    }

    #[test]
    fn f08_data_round_trips(received in any::<u64>(), maximum in any::<u64>()) {
        let d = AmountTooLarge { received, maximum };
        prop_assert_eq!(AmountTooLarge::from_data(&d.to_bytes()).unwrap(), d);
    }

    #[test]
    fn ildcp_responses_round_trip(
        client in address(),
        asset_scale in any::<u8>(),
        asset_code in ".{0,8}",
    ) {
        let r = ildcp::Response {
            client_address: Address::new(&client).unwrap(),
            asset_scale,
            asset_code: &asset_code,
        };
        let data = r.to_bytes();
        let fulfill = ildcp::Response::fulfill(&data);
        let bytes = fulfill.to_bytes();
        let decoded = Fulfill::from_bytes(&bytes).unwrap();
        prop_assert_eq!(ildcp::Response::from_fulfill(&decoded).unwrap(), r);
    }

    #[test]
    fn btp_packets_round_trip(
        kind in 0u8..4,
        request_id in any::<u32>(),
        amount in any::<u64>(),
        list in entries(),
        code in any::<[u8; 3]>(),
        name in ".{0,12}",
        at in timestamp(),
        data in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let borrowed = borrow(&list);
        let protocol_data = Entries::new(&borrowed);
        let mut buf = String::new();
        let packet = match kind {
            0 => btp::Packet::Response(btp::Response { request_id, protocol_data }),
            1 => btp::Packet::Message(btp::Message { request_id, protocol_data }),
            2 => btp::Packet::Transfer(btp::Transfer { request_id, amount, protocol_data }),
            _ => btp::Packet::Error(BtpError {
                request_id,
                code: btp::ErrorCode(code),
                name: &name,
                triggered_at: GeneralizedTime::from_timestamp(at, &mut buf),
                data: &data,
                protocol_data,
            }),
        };
        check_btp(packet);
    }
}
