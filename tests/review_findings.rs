//! Review findings: sequences of events that break a money promise.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[allow(unused_imports)]
mod support;

use ilp_stream_web::client::Event;
use support::{client_config, PeerConfig, Sim};

const SECOND: u64 = 1_000;

/// Several packets are executed while their replies are lost, at a rate
/// that fell a little (within the slippage) since the sender last learnt
/// it: each delivers a bit less than `expected`. The reconnect query sees
/// all of them in the total, but `doubt::resolve` (before expiry) takes only
/// the first as delivered (it absorbs all the missing units) and leaves the
/// others undecided; after expiry the total shows nothing "missing", so
/// they are released as never delivered and the payment sends them again.
#[test]
fn a_small_rate_drop_makes_resolve_release_delivered_packets_and_pay_twice() {
    let amount = 20_000;
    let peer = PeerConfig {
        hold_ms: 100,
        ..PeerConfig::default()
    };
    let mut config = client_config(0, None, 7);
    config.tuning.packet_expiry_ms = 5 * SECOND;
    let mut sim = Sim::with_config(config, peer, 7);
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    sim.run_until_cond(10 * SECOND, |s| s.client.total_sent() >= 3_000);
    // The rate falls by 0.5% (inside the 1% slippage) and every reply is lost.
    sim.peer.config.rate = (995, 1_000);
    sim.drop_replies = true;
    sim.run_for(60);
    let lost = sim.lost_fulfilled;
    sim.disconnect();
    sim.drop_replies = false;
    eprintln!("lost {lost:?}, in doubt {}", sim.client.total_in_doubt());
    sim.run_until_cond(60 * SECOND, |s| s.payment_done().is_some());
    eprintln!(
        "done {:?} peer {}",
        sim.payment_done(),
        sim.peer.fulfilled_source
    );
    assert!(
        sim.peer.fulfilled_source <= amount,
        "pay({amount}) but the receiver got {} source units",
        sim.peer.fulfilled_source
    );
    sim.check_money();
}

/// Same rate throughout; only the packet sizes differ. Two payments put a
/// 500 packet and then a 1 000 packet in flight; the connector refuses the
/// 500 (T04: never executed) and the 1 000 is executed, and both replies
/// are lost with the socket. The reconnect query shows 1 000 missing:
/// `resolve` takes the *older* 500 packet as delivered (500 <= 1 000, and it
/// absorbs all 1 000 units), leaving the 1 000 packet undecided; after
/// expiry nothing is missing any more, so the packet that really arrived is
/// released and the second payment sends its 1 000 again.
#[test]
fn resolve_matches_the_wrong_packet_and_a_payment_is_paid_twice() {
    let peer = PeerConfig {
        hold_ms: 100,
        ..PeerConfig::default()
    };
    let mut config = client_config(0, None, 11);
    config.tuning.packet_expiry_ms = 5 * SECOND;
    let mut sim = Sim::with_config(config, peer, 11);
    assert!(sim.run_until_cond(10 * SECOND, |s| s.client.sender().is_rate_known()));
    sim.run_for(200);
    sim.drop_replies = true;
    sim.peer.config.t04_next = 1;
    sim.act(|c, now| c.pay(500, now)).unwrap();
    sim.act(|c, now| c.pay(1_000, now)).unwrap();
    sim.run_for(60);
    assert_eq!(sim.peer.fulfilled_source, 1_000, "the 1 000 packet arrived");
    sim.disconnect();
    sim.drop_replies = false;
    assert_eq!(sim.client.total_in_doubt(), 1_500);
    let both_done = |s: &Sim| {
        s.events
            .iter()
            .filter(|(_, e)| matches!(e, Event::PaymentDone { .. }))
            .count()
            == 2
    };
    sim.run_until_cond(60 * SECOND, both_done);
    sim.run_for(10 * SECOND);
    assert!(
        sim.peer.fulfilled_source <= 1_500,
        "pay(500) + pay(1000) but the receiver got {} source units",
        sim.peer.fulfilled_source
    );
    sim.check_money();
}

/// A cumulative receiver; replies are lost and the socket cut, so money is
/// in doubt. The connector refuses the reconnect's 0-amount query with T05
/// (its packet rate limit: a Reject with no STREAM data). `on_query_answer`
/// takes "no total in the answer" as "this receiver reports none" and
/// clears `query_due` for good, even though the totals are already known to
/// be `Cumulative`: the doubt is never looked up again, the payment finishes
/// with money in doubt, and `total_delivered` stays below the receiver's
/// total although it reports cumulative totals.
#[test]
fn a_connector_reject_of_the_query_stops_doubt_resolution_for_a_cumulative_receiver() {
    let amount = 50_000;
    let peer = PeerConfig {
        hold_ms: 5,
        ..PeerConfig::default()
    };
    let mut config = client_config(0, None, 13);
    config.tuning.packet_expiry_ms = 5 * SECOND;
    let mut sim = Sim::with_config(config, peer, 13);
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    sim.run_until_cond(10 * SECOND, |s| s.client.total_sent() > 10_000);
    assert_eq!(
        sim.client.sender().receiver_totals(),
        ilp_stream_web::stream::connection::sender::doubt::ReceiverTotals::Cumulative
    );
    sim.drop_replies = true;
    sim.run_for(100);
    sim.disconnect();
    sim.drop_replies = false;
    assert!(sim.client.total_in_doubt() > 0);
    // One packet token: IL-DCP after the reconnect takes it, the query gets T05.
    sim.peer.config.rate_limit = Some((1, 600 * SECOND));
    let refused = sim.run_until_cond(10 * SECOND, |s| {
        s.peer.log.iter().any(|r| {
            r.amount == 0
                && r.outcome
                    == support::Outcome::Rejected(ilp_stream_web::ilp::ErrorCode::T05_RATE_LIMITED)
        })
    });
    assert!(refused, "the query was not refused");
    sim.peer.config.rate_limit = None;
    sim.run_until_cond(60 * SECOND, |s| s.payment_done().is_some());
    sim.run_for(30 * SECOND);
    eprintln!("done {:?}", sim.payment_done());
    assert_eq!(sim.client.total_in_doubt(), 0, "doubt never resolved");
    sim.check_receiver(amount, true);
}
