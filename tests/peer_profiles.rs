//! The fake peer's production profiles (`support::peer`), checked on the
//! peer itself: hand-made BTP/ILP/STREAM packets straight into `Peer`, or
//! the existing client run through `Sim` with assertions on the peer's log
//! and the link's accounting only (not on what the client makes of it).
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod support;

use ilp_stream_web::btp;
use ilp_stream_web::codec::{Decode, Encode};
use ilp_stream_web::ildcp;
use ilp_stream_web::ilp::{self, Address, ErrorCode, Prepare, Timestamp};
use ilp_stream_web::receipt::Receipt;
use ilp_stream_web::stream::crypto::{self, Keys};
use ilp_stream_web::stream::{ErrorCode as StreamErrorCode, Frame, IlpPacketType, OutgoingPacket};
use support::peer::{messages, ReceiverProfile, DATA_WINDOW};
use support::{Outcome, Peer, PeerConfig, Sim, RECEIVER, SECRET, T0, TOKEN};

const NONCE: [u8; 16] = [7; 16];
const RECEIPT_SECRET: [u8; 32] = [9; 32];

/// A `Peer` driven directly, one hand-made Prepare at a time.
struct Direct {
    peer: Peer,
    now: u64,
    request_id: u32,
    sequence: u64,
}

/// The peer's answer to one Prepare.
struct Answer {
    delay_ms: u64,
    /// `None` for a Fulfill.
    code: Option<ErrorCode>,
    message: Vec<u8>,
    /// Reject data (F08 etc.), when it is not a STREAM packet.
    data: Vec<u8>,
    /// The decrypted STREAM reply, if any.
    stream: Option<Vec<u8>>,
    /// What the peer told the link this Fulfill settles.
    settles: Option<(u64, u64)>,
}

impl Answer {
    fn frames(&self) -> Vec<Frame<'_>> {
        self.stream.as_ref().map_or_else(Vec::new, |plain| {
            ilp_stream_web::stream::Packet::from_bytes(plain)
                .unwrap()
                .frames()
                .collect()
        })
    }

    fn stream_type(&self) -> Option<IlpPacketType> {
        self.stream.as_ref().map(|plain| {
            ilp_stream_web::stream::Packet::from_bytes(plain)
                .unwrap()
                .packet_type
        })
    }

    fn max_money(&self) -> Vec<(u64, u64, u64)> {
        self.frames()
            .into_iter()
            .filter_map(|f| match f {
                Frame::StreamMaxMoney {
                    stream_id,
                    receive_max,
                    total_received,
                } => Some((stream_id, receive_max, total_received)),
                _ => None,
            })
            .collect()
    }

    fn receipt_total(&self) -> Option<u64> {
        self.frames().into_iter().find_map(|f| match f {
            Frame::StreamReceipt { receipt, .. } => Some(
                Receipt::verify(receipt, &RECEIPT_SECRET)
                    .unwrap()
                    .total_received,
            ),
            _ => None,
        })
    }

    fn fulfilled(&self) -> bool {
        self.code.is_none()
    }

    #[track_caller]
    fn assert_rejected(&self, code: ErrorCode, message: &str) {
        assert_eq!(self.code, Some(code));
        assert_eq!(String::from_utf8_lossy(&self.message), message);
    }
}

const MONEY: Frame<'static> = Frame::StreamMoney {
    stream_id: 1,
    shares: 1,
};
const NEW_ADDRESS: Frame<'static> = Frame::ConnectionNewAddress {
    source_address: "test.conn.client",
};

impl Direct {
    fn new(config: PeerConfig) -> Self {
        let mut peer = Peer::new(config, 7);
        peer.on_connect();
        let (replies, close) = peer.handle(&btp::auth_message(1, Some("alice"), TOKEN), T0);
        assert!(!close);
        assert_eq!(replies.len(), 1);
        Self {
            peer,
            now: T0,
            request_id: 1,
            sequence: 0,
        }
    }

    fn at(&mut self, ms_after_t0: u64) -> &mut Self {
        assert!(T0 + ms_after_t0 >= self.now, "time goes forward");
        self.now = T0 + ms_after_t0;
        self
    }

    /// Sends one ILP packet in a BTP Message; returns the peer's answer.
    fn send_ilp(&mut self, ilp_bytes: &[u8]) -> Answer {
        self.request_id += 1;
        let message = btp::ilp_message(self.request_id, ilp_bytes);
        let (mut replies, close) = self.peer.handle(&message, self.now);
        assert!(!close);
        assert_eq!(replies.len(), 1, "one reply per Prepare");
        let reply = replies.pop().unwrap();
        let btp::Packet::Response(_) = btp::Packet::from_bytes(&reply.bytes).unwrap() else {
            panic!("not a BTP Response");
        };
        let packet = btp::Packet::from_bytes(&reply.bytes).unwrap();
        let ilp_reply = packet.ilp().expect("ilp entry");
        let keys = Keys::new(&SECRET);
        let (code, message, data) = match ilp::Packet::from_bytes(ilp_reply).unwrap() {
            ilp::Packet::Fulfill(f) => (None, Vec::new(), f.data.to_vec()),
            ilp::Packet::Reject(r) => (Some(r.code), r.message.to_vec(), r.data.to_vec()),
            ilp::Packet::Prepare(_) => panic!("a Prepare in reply"),
        };
        let stream = crypto::open(&keys, &data).ok();
        Answer {
            delay_ms: reply.delay_ms,
            code,
            message,
            data: if stream.is_some() { Vec::new() } else { data },
            stream,
            settles: reply.fulfilled,
        }
    }

    /// A STREAM Prepare of `amount` asking for at least `min`, with
    /// `frames`; `authentic: false` makes it unfulfillable (a probe).
    fn prepare_with(
        &mut self,
        packet_type: IlpPacketType,
        amount: u64,
        min: u64,
        frames: &[Frame<'_>],
        authentic: bool,
    ) -> Answer {
        self.sequence += 1;
        let keys = Keys::new(&SECRET);
        let mut plain = Vec::new();
        OutgoingPacket {
            packet_type,
            sequence: self.sequence,
            prepare_amount: min,
            frames,
        }
        .encode(&mut plain);
        let mut sealed = Vec::new();
        let mut nonce = [0; 12];
        nonce[..8].copy_from_slice(&self.sequence.to_be_bytes());
        crypto::seal(&keys, nonce, &plain, &mut sealed).unwrap();
        let condition = if authentic {
            crypto::condition(&crypto::fulfillment(&keys, &sealed))
        } else {
            [0xee; 32]
        };
        self.send_raw(amount, condition, &sealed)
    }

    fn send_raw(&mut self, amount: u64, condition: [u8; 32], data: &[u8]) -> Answer {
        let prepare = Prepare {
            amount,
            expires_at: Timestamp::from_millis(self.now + 30_000).unwrap(),
            execution_condition: condition,
            destination: Address::new(RECEIVER).unwrap(),
            data,
        };
        self.send_ilp(&prepare.to_bytes())
    }

    fn pay(&mut self, amount: u64) -> Answer {
        self.prepare_with(IlpPacketType::Prepare, amount, 0, &[MONEY], true)
    }

    fn probe(&mut self, amount: u64) -> Answer {
        self.prepare_with(IlpPacketType::Prepare, amount, 0, &[MONEY], false)
    }

    fn ildcp(&mut self) -> Answer {
        let expires = Timestamp::from_millis(self.now + 60_000).unwrap();
        self.send_ilp(&ildcp::request(expires).to_bytes())
    }

    fn last_message(&self) -> &'static str {
        self.peer.log.last().unwrap().message
    }
}

fn no_max_packet() -> PeerConfig {
    PeerConfig {
        max_packet: None,
        ..PeerConfig::default()
    }
}

#[test]
fn default_is_the_cumulative_receiver_without_connector_buckets() {
    let config = PeerConfig::default();
    assert_eq!(config.receiver, ReceiverProfile::Cumulative);
    assert_eq!(config.balance_max, None);
    assert_eq!(config.throughput, None);
    assert_eq!(config.rate_limit, None);
    assert_eq!(config.max_packet, Some(1_000));
}

#[test]
fn cumulative_replies_carry_receive_max_and_the_running_total() {
    let mut d = Direct::new(PeerConfig {
        receive_max: Some(10_000),
        ..PeerConfig::default()
    });
    let first = d.prepare_with(IlpPacketType::Prepare, 100, 0, &[NEW_ADDRESS, MONEY], true);
    assert!(first.fulfilled());
    assert_eq!(
        first.frames(),
        [
            Frame::ConnectionMaxData {
                max_offset: DATA_WINDOW
            },
            Frame::StreamMaxMoney {
                stream_id: 1,
                receive_max: 10_000,
                total_received: 100
            },
            Frame::StreamMaxData {
                stream_id: 1,
                max_offset: DATA_WINDOW
            },
            Frame::ConnectionAssetDetails {
                asset_code: "USD",
                asset_scale: 6
            },
        ]
    );
    assert_eq!(d.pay(250).max_money(), [(1, 10_000, 350)]);
    let probe = d.probe(500);
    probe.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    assert_eq!(probe.max_money(), [(1, 10_000, 350)]);
    assert_eq!((d.peer.total_received, d.peer.fulfilled_source), (350, 350));
}

#[test]
fn stateless_never_sends_stream_max_money_and_ignores_receive_max() {
    let mut d = Direct::new(PeerConfig {
        receiver: ReceiverProfile::Stateless,
        receive_max: Some(50),
        receipts: Some((NONCE, RECEIPT_SECRET)),
        ..PeerConfig::default()
    });
    let first = d.prepare_with(IlpPacketType::Prepare, 100, 0, &[NEW_ADDRESS, MONEY], true);
    assert!(first.fulfilled(), "receive_max is not enforced");
    assert_eq!(first.settles, Some((100, 100)));
    assert_eq!(
        first.frames()[0],
        Frame::ConnectionAssetDetails {
            asset_code: "USD",
            asset_scale: 6
        }
    );
    assert_eq!(first.frames().len(), 2, "asset details and a receipt only");
    assert_eq!(first.receipt_total(), Some(100));
    let second = d.pay(200);
    assert!(second.fulfilled());
    assert_eq!(second.max_money(), []);
    assert_eq!(
        second.receipt_total(),
        Some(300),
        "receipts stay cumulative"
    );
    // A probe: F99 with an authentic but empty STREAM Reject.
    let probe = d.probe(1_000);
    probe.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    assert_eq!(probe.stream_type(), Some(IlpPacketType::Reject));
    assert_eq!(probe.frames(), []);
    // Below the minimum: F99, nothing counted.
    let short = d.prepare_with(IlpPacketType::Prepare, 100, 101, &[MONEY], true);
    short.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    // Zero amounts without money frames are fulfilled.
    let zero = d.prepare_with(IlpPacketType::Prepare, 0, 0, &[], true);
    assert!(zero.fulfilled());
    assert_eq!(zero.frames(), []);
    // Data is dropped by a stateless receiver.
    let data = Frame::StreamData {
        stream_id: 1,
        offset: 0,
        data: b"hello",
    };
    assert!(d
        .prepare_with(IlpPacketType::Prepare, 10, 0, &[MONEY, data], true)
        .fulfilled());
    assert!(d.peer.data.is_empty());
    assert_eq!(d.peer.total_received, 310);
    assert_eq!(d.peer.fulfilled_source, 310);
    assert!(
        d.peer.total_received > 50,
        "ground truth counts past receive_max"
    );
}

#[test]
fn stateless_echoes_close_and_refuses_bad_packets_without_stream_data() {
    let mut d = Direct::new(PeerConfig {
        receiver: ReceiverProfile::Stateless,
        ..PeerConfig::default()
    });
    let close = Frame::ConnectionClose {
        code: StreamErrorCode::NO_ERROR,
        message: b"bye",
    };
    let echo = d.prepare_with(IlpPacketType::Prepare, 10, 0, &[MONEY, close], true);
    echo.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    assert_eq!(
        echo.frames(),
        [Frame::ConnectionClose {
            code: StreamErrorCode::NO_ERROR,
            message: b""
        }]
    );
    assert!(d.peer.connection_closed);
    let wrong_type = d.prepare_with(IlpPacketType::Fulfill, 10, 0, &[MONEY], true);
    wrong_type.assert_rejected(ErrorCode::F00_BAD_REQUEST, "");
    assert!(wrong_type.stream.is_none() && wrong_type.data.is_empty());
    let garbage = d.send_raw(10, [1; 32], b"not a sealed STREAM packet at all");
    garbage.assert_rejected(ErrorCode::F06_UNEXPECTED_PAYMENT, "");
    assert!(garbage.stream.is_none() && garbage.data.is_empty());
    assert_eq!(d.peer.total_received, 0);
}

#[test]
fn stateless_close_at_declines_every_later_paying_packet() {
    let mut d = Direct::new(PeerConfig {
        receiver: ReceiverProfile::Stateless,
        close_at: Some(150),
        ..PeerConfig::default()
    });
    assert!(d.pay(100).fulfilled());
    let crossing = d.pay(100);
    assert!(crossing.fulfilled());
    assert_eq!(
        crossing.frames(),
        [],
        "the crossing Fulfill carries no close"
    );
    for _ in 0..2 {
        let declined = d.pay(100);
        declined.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
        assert_eq!(
            declined.frames(),
            [Frame::ConnectionClose {
                code: StreamErrorCode::NO_ERROR,
                message: b""
            }]
        );
    }
    assert!(d
        .prepare_with(IlpPacketType::Prepare, 0, 0, &[], true)
        .fulfilled());
    assert_eq!(d.peer.total_received, 200);
}

#[test]
fn interledger_rs_reports_unlimited_max_and_zero_total() {
    let mut d = Direct::new(PeerConfig {
        receiver: ReceiverProfile::InterledgerRs,
        receive_max: Some(50),
        receipts: Some((NONCE, RECEIPT_SECRET)),
        close_at: Some(1),
        ..PeerConfig::default()
    });
    let first = d.prepare_with(IlpPacketType::Prepare, 100, 0, &[NEW_ADDRESS, MONEY], true);
    assert!(first.fulfilled());
    assert_eq!(
        first.frames(),
        [
            Frame::ConnectionAssetDetails {
                asset_code: "USD",
                asset_scale: 6
            },
            Frame::StreamMaxMoney {
                stream_id: 1,
                receive_max: u64::MAX,
                total_received: 0
            },
        ],
        "no receipt, no close, no data windows"
    );
    let second = d.pay(100);
    assert!(second.fulfilled());
    assert_eq!(second.max_money(), [(1, u64::MAX, 0)]);
    let probe = d.probe(100);
    probe.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    assert_eq!(probe.max_money(), [(1, u64::MAX, 0)]);
    // No money frame, no StreamMaxMoney.
    let bare = d.prepare_with(IlpPacketType::Prepare, 0, 0, &[], true);
    assert!(bare.fulfilled());
    assert_eq!(bare.frames(), []);
    let garbage = d.send_raw(10, [1; 32], b"not a sealed STREAM packet at all");
    garbage.assert_rejected(ErrorCode::F06_UNEXPECTED_PAYMENT, "Could not decrypt data");
    assert_eq!(d.peer.total_received, 200, "the peer still counts");
    assert_eq!(d.peer.fulfilled_source, 200);
}

#[test]
fn balance_maximum_counts_fulfilled_and_in_flight_and_refuses_whole_packets() {
    let mut d = Direct::new(PeerConfig {
        balance_max: Some(1_000),
        hold_ms: 100,
        ..no_max_packet()
    });
    let first = d.pay(600);
    assert!(first.fulfilled());
    assert_eq!(first.delay_ms, 100);
    // 400 left: a larger Prepare is refused whole, at once.
    let refused = d.at(10).pay(500);
    refused.assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::BALANCE);
    assert_eq!(refused.delay_ms, 0);
    assert!(refused.stream.is_none() && refused.data.is_empty());
    assert_eq!(d.last_message(), messages::BALANCE);
    assert!(d.pay(400).fulfilled());
    // Full; nothing ever settles.
    d.at(60_000)
        .pay(1)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::BALANCE);
    assert_eq!(d.peer.fulfilled_source, 1_000);
}

#[test]
fn balance_maximum_takes_probes_in_and_refunds_rejects() {
    let mut d = Direct::new(PeerConfig {
        balance_max: Some(1_000),
        hold_ms: 100,
        ..no_max_packet()
    });
    // A probe larger than the account comes back T04, not F99.
    d.probe(5_000)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::BALANCE);
    // A probe that fits is in flight until its reply leaves...
    let probe = d.probe(900);
    probe.assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    d.at(50)
        .pay(200)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::BALANCE);
    // ...then refunded.
    assert!(d.at(100).pay(200).fulfilled());
    assert_eq!(d.peer.fulfilled_source, 200);
}

#[test]
fn throughput_bucket_refills_with_virtual_time_and_probes_take_tokens() {
    let mut d = Direct::new(PeerConfig {
        throughput: Some((1_000, 1_000)),
        hold_ms: 50,
        ..no_max_packet()
    });
    assert!(d.pay(600).fulfilled());
    let refused = d.pay(600);
    refused.assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::THROUGHPUT);
    assert_eq!(refused.delay_ms, 0);
    assert_eq!(d.last_message(), messages::THROUGHPUT);
    // 400 left + 200 ms × 1 per ms.
    assert!(d.at(200).pay(600).fulfilled());
    d.pay(1)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::THROUGHPUT);
    // Capacity is one period's amount, however long the pause.
    d.at(100_000)
        .pay(1_001)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::THROUGHPUT);
    // A probe takes its amount on the way in.
    d.probe(1_000)
        .assert_rejected(ErrorCode::F99_APPLICATION_ERROR, "");
    d.pay(1)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::THROUGHPUT);
    assert_eq!(d.peer.fulfilled_source, 1_200);
}

#[test]
fn throughput_tokens_are_taken_before_the_balance_refuses() {
    let mut d = Direct::new(PeerConfig {
        throughput: Some((1_000, 1_000)),
        balance_max: Some(100),
        ..no_max_packet()
    });
    d.pay(500)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::BALANCE);
    d.pay(600)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::THROUGHPUT);
    assert!(d.pay(100).fulfilled());
}

#[test]
fn rate_limit_counts_every_prepare_and_refills_continuously() {
    let mut d = Direct::new(PeerConfig {
        rate_limit: Some((3, 1_000)),
        hold_ms: 100,
        ..PeerConfig::default()
    });
    assert!(d.ildcp().fulfilled(), "IL-DCP takes a token too");
    assert!(d
        .prepare_with(IlpPacketType::Prepare, 0, 0, &[], true)
        .fulfilled());
    assert!(d.pay(10).fulfilled());
    let limited = d.pay(10);
    limited.assert_rejected(ErrorCode::T05_RATE_LIMITED, messages::RATE_LIMIT);
    assert_eq!(limited.delay_ms, 0);
    assert_eq!(d.last_message(), messages::RATE_LIMIT);
    assert_eq!(
        d.peer.log.last().unwrap().outcome,
        Outcome::Rejected(ErrorCode::T05_RATE_LIMITED)
    );
    d.ildcp()
        .assert_rejected(ErrorCode::T05_RATE_LIMITED, messages::RATE_LIMIT);
    // 3 per 1000 ms: 333 ms is not quite one token, 334 ms is.
    d.at(333)
        .pay(10)
        .assert_rejected(ErrorCode::T05_RATE_LIMITED, messages::RATE_LIMIT);
    assert!(d.at(334).pay(10).fulfilled());
    d.pay(10)
        .assert_rejected(ErrorCode::T05_RATE_LIMITED, messages::RATE_LIMIT);
    assert_eq!(d.peer.fulfilled_source, 20);
}

/// Sum of `(source, arrived)` of paying Prepares the peer fulfilled that
/// match `pick`.
fn fulfilled_where(sim: &Sim, pick: impl Fn(u64) -> bool) -> (u64, u64, usize) {
    sim.peer
        .paying()
        .filter(|r| r.outcome == Outcome::Fulfilled && pick(r.at))
        .fold((0, 0, 0), |(s, a, n), r| {
            (s + r.amount, a + r.arrived, n + 1)
        })
}

#[test]
fn dropped_replies_still_deliver_money_to_the_receiver() {
    let mut sim = Sim::with(100_000, PeerConfig::default());
    assert!(sim.run_until_cond(5_000, Sim::started));
    sim.run_for(2_000);
    assert_eq!(sim.lost_fulfilled, (0, 0));
    let cut = sim.now;
    let received_before = sim.peer.total_received;
    sim.drop_replies = true;
    sim.run_for(1_000);
    assert!(
        sim.peer.total_received > received_before,
        "the peer kept executing Prepares"
    );
    sim.disconnect();
    sim.run_for(5_000);
    // Every Fulfill that had not reached the client by `cut` is lost:
    // one-way latency 20 ms, no hold.
    let latency = sim.link.latency_ms;
    let (source, arrived, count) = fulfilled_where(&sim, |at| at + latency > cut);
    assert!(count > 0);
    assert_eq!(sim.lost_fulfilled, (source, arrived));
    assert!(sim.lost_messages >= u32::try_from(count).unwrap());
}

#[test]
fn prepares_held_in_the_connector_are_executed_after_the_socket_is_cut() {
    let hold = 300;
    let mut sim = Sim::with(
        100_000,
        PeerConfig {
            hold_ms: hold,
            ..PeerConfig::default()
        },
    );
    assert!(sim.run_until_cond(5_000, Sim::started));
    sim.run_for(2_000);
    let cut = sim.now;
    let latency = sim.link.latency_ms;
    // Prepares the peer has executed but whose Fulfill has not reached the
    // client yet (held, or on the way back).
    let held = fulfilled_where(&sim, |at| at + hold + latency > cut);
    assert!(held.2 > 0, "nothing held at the cut");
    let fulfilled_before = sim.peer.fulfilled_source;
    sim.disconnect();
    assert_eq!(
        sim.peer.fulfilled_source, fulfilled_before,
        "held Prepares were already executed; nothing is undone"
    );
    assert_eq!(sim.lost_fulfilled, (held.0, held.1));
    // Whatever the client does next, those stay lost and counted.
    sim.run_for(3_000);
    assert!(sim.lost_fulfilled.0 >= held.0);
    assert!(sim.peer.fulfilled_source >= fulfilled_before);
}

#[test]
fn connector_buckets_hold_under_the_real_client() {
    let run = |peer: PeerConfig| {
        let mut sim = Sim::with(100_000, peer);
        sim.run_for(10_000);
        sim
    };
    let elapsed = 10_000;
    // Money bandwidth: at most one period's amount plus the refill.
    let sim = run(PeerConfig {
        throughput: Some((10_000, 1_000)),
        ..PeerConfig::default()
    });
    assert!(sim.peer.fulfilled_source <= 10_000 + 10 * elapsed);
    assert!(sim
        .peer
        .log
        .iter()
        .any(|r| r.message == messages::THROUGHPUT));
    // Packets: at most one period's count plus the refill (IL-DCP included).
    let sim = run(PeerConfig {
        rate_limit: Some((20, 1_000)),
        ..PeerConfig::default()
    });
    let passed = sim
        .peer
        .log
        .iter()
        .filter(|r| r.message != messages::RATE_LIMIT)
        .count() as u64
        + u64::from(sim.peer.ildcp_requests);
    assert!(passed <= 20 + 20 * elapsed / 1_000, "{passed} passed");
    assert!(sim
        .peer
        .log
        .iter()
        .any(|r| r.message == messages::RATE_LIMIT));
    // Balance: never more than the maximum, ever.
    let sim = run(PeerConfig {
        balance_max: Some(20_000),
        ..PeerConfig::default()
    });
    assert!(sim.peer.fulfilled_source <= 20_000);
    assert!(sim.peer.log.iter().any(|r| r.message == messages::BALANCE));
}

#[test]
fn credit_counts_a_held_fulfilled_packet_once() {
    let mut d = Direct::new(PeerConfig {
        credit: Some(1_000),
        hold_ms: 100,
        ..no_max_packet()
    });
    assert!(d.pay(600).fulfilled());
    // Its Fulfill is still held: 600 used, 400 left.
    assert!(d.at(10).pay(400).fulfilled());
    d.pay(1)
        .assert_rejected(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, messages::CONNECTOR);
}
