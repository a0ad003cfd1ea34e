//! Unit tests of the Sender alone: a hand-driven receiver answers its
//! Prepares, so each test reads as the packets a real path would return.

use super::*;
use crate::codec::Decode;
use crate::ilp::{self, Address, ErrorCode, Fulfill, Reject};
use crate::stream::packet::Packet as StreamPacket;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SECRET: [u8; 32] = [9; 32];
const T: u64 = 1_700_000_000_000;

fn sender(amount_per_second: u64, max_total: Option<u64>) -> Sender {
    let mut s = Sender::new(
        SenderConfig {
            destination: "test.receiver".parse().unwrap(),
            shared_secret: SECRET,
            slippage_ppm: 0,
            packet_expiry_ms: 30_000,
            amount_per_second,
            max_total,
            max_packets: MAX_PACKETS,
        },
        Rng::from_seed([3; 32]),
    );
    s.set_source(Source {
        address: "test.sender".parse().unwrap(),
        asset_code: "USD".into(),
        asset_scale: 6,
    });
    s.set_link(true, T);
    s
}

/// A 1:1 receiver with a cumulative total (`None`: reports no total).
struct Receiver {
    keys: Keys,
    total: u64,
    reports_total: bool,
}

impl Receiver {
    fn new(reports_total: bool) -> Self {
        Self {
            keys: Keys::new(&SECRET),
            total: 0,
            reports_total,
        }
    }

    /// Executes the Prepare: returns the ILP reply bytes.
    fn answer(&mut self, prepare: &[u8]) -> Vec<u8> {
        let Ok(ilp::Packet::Prepare(p)) = ilp::Packet::from_bytes(prepare) else {
            panic!("not a Prepare")
        };
        let plain = crypto::open(&self.keys, p.data).unwrap();
        let request = StreamPacket::from_bytes(&plain).unwrap();
        let fulfillment = crypto::fulfillment(&self.keys, p.data);
        let fulfill = crypto::condition(&fulfillment) == p.execution_condition;
        if fulfill {
            self.total += p.amount;
        }
        let mut frames = Vec::new();
        if self.reports_total {
            frames.push(Frame::StreamMaxMoney {
                stream_id: STREAM_ID,
                receive_max: u64::MAX,
                total_received: self.total,
            });
        }
        let mut reply = Vec::new();
        OutgoingPacket {
            packet_type: if fulfill {
                IlpPacketType::Fulfill
            } else {
                IlpPacketType::Reject
            },
            sequence: request.sequence,
            prepare_amount: p.amount,
            frames: &frames,
        }
        .encode(&mut reply);
        let mut data = Vec::new();
        crypto::seal(&self.keys, [1; 12], &reply, &mut data).unwrap();
        if fulfill {
            Fulfill {
                fulfillment,
                data: &data,
            }
            .to_bytes()
        } else {
            reject(ErrorCode::F99_APPLICATION_ERROR, &data)
        }
    }
}

fn reject(code: ErrorCode, data: &[u8]) -> Vec<u8> {
    ilp::Packet::Reject(Reject {
        code,
        triggered_by: Some(Address::new("test.connector").unwrap()),
        message: b"",
        data,
    })
    .to_bytes()
}

/// Sends and answers everything the sender has to send at `now`.
fn settle(s: &mut Sender, r: &mut Receiver, now: u64) -> u32 {
    let mut n = 0;
    while let Some(out) = s.poll_prepare(now) {
        let reply = r.answer(&out.prepare);
        s.handle_reply(out.sequence, &reply, now);
        n += 1;
        assert!(n < 10_000, "runaway");
    }
    n
}

fn events(s: &mut Sender) -> Vec<SenderEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn lost_money_stays_in_doubt_and_the_receivers_total_resolves_it() {
    let mut s = sender(0, None);
    let mut r = Receiver::new(true);
    let id = s.pay(5_000);
    settle(&mut s, &mut r, T); // probes, then the whole payment in one packet
    assert_eq!(s.total_sent(), 5_000);
    let id2 = s.pay(3_000);
    let out = s.poll_prepare(T).unwrap();
    // The receiver gets it, but the reply is lost with the link.
    r.answer(&out.prepare);
    s.handle_failure(out.sequence, Failure::Lost, T);
    s.set_link(false, T);
    assert_eq!(s.total_in_doubt(), 3_000);
    s.set_link(true, T + 500);
    // The first thing sent is a 0-amount query, and it resolves the doubt.
    let query = s.poll_prepare(T + 500).unwrap();
    assert_eq!(query.amount, 0);
    let reply = r.answer(&query.prepare);
    s.handle_reply(query.sequence, &reply, T + 500);
    assert_eq!(s.total_in_doubt(), 0);
    assert_eq!(s.total_sent(), 8_000);
    assert_eq!(s.total_delivered(), r.total);
    assert!(s.poll_prepare(T + 500).is_none(), "nothing is sent twice");
    let done: Vec<_> = events(&mut s)
        .into_iter()
        .filter_map(|e| match e {
            SenderEvent::PaymentDone(d) => Some(d.id),
            _ => None,
        })
        .collect();
    assert_eq!(done, [id, id2]);
}

#[test]
fn without_receiver_totals_doubt_is_never_released() {
    let mut s = sender(0, None);
    let mut r = Receiver::new(false);
    s.pay(5_000);
    let mut lost = None;
    while let Some(out) = s.poll_prepare(T) {
        if out.amount == 5_000 {
            lost = Some(out.sequence);
            break;
        }
        let reply = r.answer(&out.prepare);
        s.handle_reply(out.sequence, &reply, T);
    }
    s.handle_failure(lost.unwrap(), Failure::TimedOut, T);
    // Long after the packet expired, its money is still held: a query
    // finds no total, and nothing is paid again.
    for t in [T + 60_000, T + 600_000] {
        settle(&mut s, &mut r, t);
        assert_eq!(s.total_in_doubt(), 5_000);
        assert_eq!(r.total, 0);
    }
    assert_eq!(s.receiver_totals(), ReceiverTotals::Absent);
    let done = events(&mut s).into_iter().find_map(|e| match e {
        SenderEvent::PaymentDone(d) => Some(d.ledger),
        _ => None,
    });
    assert_eq!(done.map(|l| (l.sent, l.in_doubt)), Some((0, 5_000)));
}

#[test]
fn t04_shrinks_the_packet_toward_what_the_credit_allows() {
    let mut s = sender(0, None);
    let mut r = Receiver::new(true);
    s.pay(100_000);
    let mut amounts = Vec::new();
    let mut now = T;
    for _ in 0..200 {
        let Some(out) = s.poll_prepare(now) else {
            now += 100;
            continue;
        };
        if out.amount == 0 || r.total == 0 && amounts.is_empty() && out.amount < 100_000 {
            // probes
            let reply = r.answer(&out.prepare);
            s.handle_reply(out.sequence, &reply, now);
            continue;
        }
        amounts.push(out.amount);
        // A credit line with 30,000 of room refuses bigger packets whole.
        let reply = if r.total + out.amount > 30_000 {
            reject(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, &[])
        } else {
            r.answer(&out.prepare)
        };
        s.handle_reply(out.sequence, &reply, now);
    }
    assert!(amounts.iter().any(|&a| a < 30_000), "{amounts:?}");
    assert!(r.total > 20_000 && r.total <= 30_000, "{}", r.total);
}

#[test]
fn the_trouble_clock_stops_while_the_link_is_down() {
    let mut s = sender(0, None);
    let mut r = Receiver::new(true);
    s.pay(1_000_000);
    let first = settle_probes(&mut s, &mut r).unwrap();
    let mut now = T;
    s.handle_reply(
        first.sequence,
        &reject(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, &[]),
        now,
    );
    let t04 = |s: &mut Sender, now: u64| {
        while let Some(out) = s.poll_prepare(now) {
            s.handle_reply(
                out.sequence,
                &reject(ErrorCode::T04_INSUFFICIENT_LIQUIDITY, &[]),
                now,
            );
        }
    };
    // 10 s of T04 while trying...
    while now < T + 10_000 {
        t04(&mut s, now);
        now += 100;
    }
    // ...then the link is down for a minute: no time counts...
    s.set_link(false, now);
    now += 60_000;
    s.set_link(true, now);
    t04(&mut s, now);
    assert!(!s.is_done(), "gave up for time spent disconnected");
    // ...and 5 more seconds of trying end it.
    let end = now + TROUBLE_TIMEOUT_MS;
    while now <= end && !s.is_done() {
        t04(&mut s, now);
        now += 100;
    }
    assert!(s.is_done());
    let failed = events(&mut s).into_iter().find_map(|e| match e {
        SenderEvent::Failed(e) => Some(e),
        _ => None,
    });
    // The error carries the reject that caused it.
    let Some(SenderError::InsufficientLiquidity(Some(reason))) = failed else {
        panic!("{failed:?}")
    };
    assert_eq!(reason.code, ErrorCode::T04_INSUFFICIENT_LIQUIDITY);
    assert_eq!(reason.triggered_by.unwrap().as_str(), "test.connector");
}

/// Answers the probes; returns the first paying packet (the poll that
/// learns the rate already builds it), if the budget allows one.
fn settle_probes(s: &mut Sender, r: &mut Receiver) -> Option<Outgoing> {
    loop {
        let out = s.poll_prepare(T)?;
        if s.is_rate_known() {
            return Some(out);
        }
        let reply = r.answer(&out.prepare);
        s.handle_reply(out.sequence, &reply, T);
    }
}

#[test]
fn pause_stops_paced_packets_at_once_and_resume_owes_nothing() {
    let mut s = sender(10_000, None);
    let mut r = Receiver::new(true);
    let first = settle_probes(&mut s, &mut r).unwrap();
    let reply = r.answer(&first.prepare);
    s.handle_reply(first.sequence, &reply, T);
    let mut now = T;
    for _ in 0..20 {
        settle(&mut s, &mut r, now);
        now += 100;
    }
    let paid = r.total;
    assert!((18_000..=24_000).contains(&paid), "{paid}");
    s.pause(now);
    for _ in 0..50 {
        assert_eq!(settle(&mut s, &mut r, now), 0, "sent while paused");
        now += 100;
    }
    s.resume(now);
    settle(&mut s, &mut r, now);
    assert!(
        r.total - paid <= 2_000,
        "burst after resume: {}",
        r.total - paid
    );
}

#[test]
fn max_total_counts_money_in_doubt() {
    let mut s = sender(0, Some(10_000));
    let mut r = Receiver::new(false);
    s.pay(50_000);
    let out = settle_probes(&mut s, &mut r).unwrap();
    assert_eq!(out.amount, 10_000);
    r.answer(&out.prepare);
    s.handle_failure(out.sequence, Failure::Lost, T);
    settle(&mut s, &mut r, T + 100_000); // a query finds no total
    assert!(s.poll_prepare(T + 200_000).is_none());
    assert!(events(&mut s).contains(&SenderEvent::CapReached));
    assert_eq!(r.total, 10_000);
}

#[test]
fn btp_errors_are_their_own_cause_and_not_in_doubt() {
    let failure = Failure::BtpError {
        code: *b"F00",
        name: "NotAcceptedError".into(),
    };
    let mut s = sender(0, None);
    let mut r = Receiver::new(true);
    s.pay(1_000_000);
    let first = settle_probes(&mut s, &mut r).unwrap();
    let mut now = T;
    s.handle_failure(first.sequence, failure.clone(), now);
    assert_eq!(s.total_in_doubt(), 0, "a BTP error means not forwarded");
    while !s.is_done() && now < T + 60_000 {
        now += 100;
        while let Some(out) = s.poll_prepare(now) {
            s.handle_failure(out.sequence, failure.clone(), now);
        }
    }
    let failed = events(&mut s).into_iter().find_map(|e| match e {
        SenderEvent::Failed(e) => Some(e),
        _ => None,
    });
    let failed = failed.expect("gave up");
    assert!(
        failed
            .to_string()
            .contains("BTP error F00 NotAcceptedError"),
        "{failed}"
    );
    assert!(
        now - T >= TROUBLE_TIMEOUT_MS,
        "gave up after {} ms",
        now - T
    );
    assert_eq!(r.total, 0);
}

#[test]
fn a_reply_without_ilp_data_leaves_its_money_in_doubt() {
    let mut s = sender(0, None);
    let mut r = Receiver::new(true);
    s.pay(1_000_000);
    let first = settle_probes(&mut s, &mut r).unwrap();
    r.answer(&first.prepare); // it may well have been executed
    s.handle_failure(first.sequence, Failure::NoIlpData, T);
    assert_eq!(s.total_in_doubt(), 1_000_000);
    for t in [T + 1_000, T + 120_000] {
        while let Some(out) = s.poll_prepare(t) {
            assert_eq!(out.amount, 0, "money sent again");
            let reply = r.answer(&out.prepare);
            s.handle_reply(out.sequence, &reply, t);
        }
    }
    // The receiver's total resolved it: paid once.
    assert_eq!(s.total_sent(), 1_000_000);
    assert_eq!(s.total_in_doubt(), 0);
    assert_eq!(r.total, 1_000_000);
}
