//! The path conditions real peers impose (`shared/spec/peers.md`), through
//! the scenario harness: receivers that report cumulative totals, none, or
//! 0; connectors with a balance limit, a money throughput limit, a packet
//! rate limit; replies lost after the money arrived; stalls. After every
//! step the money invariants hold (`Sim::check_money`), and every test
//! checks the receiver's own count.
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

use ilp_stream_web::client::{Event, State, StopReason};
use support::peer::ReceiverProfile;
use support::{client_config, LinkConfig, PeerConfig, Sim};

const SECOND: u64 = 1_000;

fn run_checked(sim: &mut Sim, ms: u64) {
    let end = sim.now + ms;
    sim.run_until_checked(end, Sim::check_money);
}

/// Pays `amount`, loses the replies of the packets in flight a while in,
/// then cuts the socket; the client reconnects and finishes.
fn cut_mid_pay(receiver: ReceiverProfile, seed: u64) -> Sim {
    let amount = 300_000;
    let peer = PeerConfig {
        receiver,
        hold_ms: 5,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(0, None, seed), peer, seed);
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    sim.run_until_cond(10 * SECOND, |s| s.client.total_sent() > 50_000);
    sim.drop_replies = true;
    run_checked(&mut sim, 200);
    assert!(sim.lost_fulfilled.0 > 0, "no reply was lost");
    sim.disconnect();
    sim.drop_replies = false;
    let done = sim.run_until_cond(60 * SECOND, |s| {
        s.check_money();
        s.payment_done().is_some()
    });
    assert!(done, "pay() never finished: {:?}", sim.error_codes());
    let (sent, delivered, in_doubt) = sim.payment_done().unwrap();
    assert_eq!(sent + in_doubt, amount, "sent + inDoubt is the amount");
    assert_eq!(delivered, sim.client.total_delivered());
    sim.check_receiver(amount, receiver == ReceiverProfile::Cumulative);
    assert!(sim.peer.fulfilled_source >= sent);
    assert!(sim.peer.fulfilled_source <= sent + in_doubt);
    sim
}

#[test]
fn lost_replies_then_a_cut_never_pay_twice_and_a_cumulative_total_resolves_them() {
    for seed in 1..=5 {
        let sim = cut_mid_pay(ReceiverProfile::Cumulative, seed);
        assert_eq!(sim.client.total_in_doubt(), 0, "seed {seed}");
        assert_eq!(sim.client.total_sent(), 300_000, "seed {seed}");
        assert_eq!(sim.peer.fulfilled_source, 300_000, "seed {seed}");
    }
}

#[test]
fn lost_replies_then_a_cut_stay_in_doubt_with_a_stateless_receiver() {
    for seed in 1..=5 {
        let sim = cut_mid_pay(ReceiverProfile::Stateless, seed);
        let lost = sim.lost_fulfilled.0;
        assert_eq!(sim.client.total_in_doubt(), lost, "seed {seed}");
        assert_eq!(sim.peer.fulfilled_source, 300_000, "seed {seed}");
    }
}

#[test]
fn lost_replies_then_a_cut_stay_in_doubt_with_interledger_rs() {
    for seed in 1..=3 {
        let sim = cut_mid_pay(ReceiverProfile::InterledgerRs, seed);
        assert!(sim.client.total_in_doubt() > 0, "seed {seed}");
        assert_eq!(sim.peer.fulfilled_source, 300_000, "seed {seed}");
    }
}

#[test]
fn a_cut_before_anything_reached_the_receiver_frees_the_money_after_expiry() {
    // Packets lost on the way (never executed) come back to the budget
    // only once they can no longer be executed, as the receiver's total
    // then proves.
    let mut config = client_config(0, None, 3);
    config.tuning.packet_expiry_ms = 5 * SECOND;
    let peer = PeerConfig {
        hold_ms: 300,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(config, peer, 3);
    let amount = 20_000;
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    sim.run_until_cond(10 * SECOND, |s| s.client.total_sent() >= 2_000);
    sim.link.loss_ppm = 1_000_000; // what is on the link now is lost
    sim.run_for(1);
    sim.link.loss_ppm = 0;
    sim.disconnect();
    assert!(sim.client.total_in_doubt() > 0);
    let done = sim.run_until_cond(30 * SECOND, |s| {
        s.check_money();
        s.payment_done().is_some()
    });
    assert!(done, "{:?}", sim.error_codes());
    assert_eq!(sim.payment_done(), Some((amount, amount, 0)));
    sim.check_receiver(amount, true);
}

#[test]
fn a_money_throughput_limit_slows_a_payment_down_but_it_finishes() {
    // 100,000 per second; a payment of about five seconds of it.
    let peer = PeerConfig {
        max_packet: None,
        throughput: Some((100_000, SECOND)),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(0, None, 4), peer, 4);
    let amount = 500_000;
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    let start = sim.now;
    let done = sim.run_until_cond(60 * SECOND, |s| {
        s.check_money();
        s.payment_done().is_some()
    });
    assert!(done, "{:?}", sim.error_codes());
    let took = sim.now - start;
    assert!(sim.error_codes().is_empty());
    assert_eq!(sim.payment_done(), Some((amount, amount, 0)));
    sim.check_receiver(amount, true);
    // The bucket starts full: at least four more seconds' worth to refill.
    assert!((3_500..20_000).contains(&took), "took {took} ms");
}

#[test]
fn a_paced_stream_above_the_throughput_keeps_going_at_what_the_path_carries() {
    let peer = PeerConfig {
        throughput: Some((20_000, SECOND)),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(100_000, None, 5), peer, 5);
    run_checked(&mut sim, 30 * SECOND);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    assert_eq!(sim.client.state(), State::Streaming);
    let received = sim.peer.total_received;
    // ~20,000 per second for 30 s (the bucket starts full).
    assert!(
        (500_000..=640_000).contains(&received),
        "received {received}"
    );
    let throttled = sim.events.iter().find_map(|(_, e)| match e {
        Event::Throttled {
            throttled: true,
            achieved_per_second,
        } => Some(*achieved_per_second),
        _ => None,
    });
    let achieved = throttled.expect("no throttled event");
    // What the path carries (20,000/s; more while the full bucket drains),
    // well below the 100,000/s asked.
    assert!(
        (10_000..=60_000).contains(&achieved),
        "achieved {achieved}/s"
    );
    assert!(sim.client.sender().is_throttled());
    // Pause: nothing more arrives once in-flight packets settle.
    sim.act(|c, now| c.pause(now)).unwrap();
    run_checked(&mut sim, SECOND);
    let at_pause = sim.peer.total_received;
    run_checked(&mut sim, 10 * SECOND);
    assert_eq!(sim.peer.total_received, at_pause, "money after pause()");
    // Resume: no burst of budget owed from the throttled time.
    sim.act(|c, now| c.resume(now)).unwrap();
    run_checked(&mut sim, 2 * SECOND);
    assert!(sim.peer.total_received - at_pause <= 2 * 20_000 + 20_000);
    sim.check_receiver(u64::MAX, true);
}

#[test]
fn a_balance_limit_without_a_max_packet_delivers_the_credit_then_fails() {
    let peer = PeerConfig {
        max_packet: None,
        balance_max: Some(50_000),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(0, None, 6), peer, 6);
    sim.act(|c, now| c.pay(200_000, now)).unwrap();
    run_checked(&mut sim, 5 * SECOND);
    assert!(sim.error_codes().is_empty(), "gave up too soon");
    let received = sim.peer.total_received;
    assert!((45_000..=50_000).contains(&received), "received {received}");
    run_checked(&mut sim, 40 * SECOND);
    assert_eq!(sim.error_codes(), ["insufficient-liquidity"]);
    // The error carries the connector's reject: code, message, who.
    let error = sim.events.iter().find_map(|(_, e)| match e {
        Event::Error(e) => Some(e.clone()),
        _ => None,
    });
    let reject = error.as_ref().and_then(|e| e.reject()).expect("a reject");
    assert_eq!(reject.code.0, *b"T04");
    assert_eq!(reject.message, support::peer::messages::BALANCE);
    assert_eq!(
        reject.triggered_by.as_ref().map(|a| a.as_str()),
        Some(support::peer::CONNECTOR)
    );
    assert!(error.unwrap().retryable());
    assert!(sim.peer.total_received <= 50_000);
    sim.check_receiver(50_000, true);
    sim.check_settled();
}

#[test]
fn a_packet_rate_limit_slows_the_stream_but_it_keeps_paying() {
    let peer = PeerConfig {
        max_packet: Some(100),
        rate_limit: Some((50, SECOND)),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(10_000, None, 7), peer, 7);
    run_checked(&mut sim, 30 * SECOND);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    let received = sim.peer.total_received;
    // At most 50 packets of 100 a second get through.
    assert!(
        (60_000..=160_000).contains(&received),
        "received {received}"
    );
}

#[test]
fn pause_stops_paced_sending_at_once() {
    let mut sim = Sim::with(100_000, PeerConfig::default());
    run_checked(&mut sim, 3 * SECOND);
    let sent_before = sim.peer.log.len();
    sim.act(|c, now| c.pause(now)).unwrap();
    let in_flight = sim.client.sender().in_flight();
    run_checked(&mut sim, 5 * SECOND);
    assert!(
        sim.peer.log.len() - sent_before <= in_flight,
        "packets sent after pause()"
    );
}

#[test]
fn a_coarse_receiver_gets_packets_that_each_deliver_a_unit() {
    // Scale 9 to scale 6: 1,000 source units per receiver unit.
    let peer = PeerConfig {
        rate: (1, 1_000),
        max_packet: None,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(500, None, 8), peer, 8);
    run_checked(&mut sim, 3 * SECOND);
    assert!(sim.started(), "start() must not wait for the first packet");
    run_checked(&mut sim, 60 * SECOND);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    let received = sim.peer.total_received;
    // 500 per second for ~63 s is ~31 units; each packet delivers >= 1.
    assert!((25..=32).contains(&received), "received {received}");
    assert!(sim.peer.paying().all(|r| r.arrived >= 1));
    sim.check_receiver(u64::MAX, true);
}

#[test]
fn a_rate_that_cannot_deliver_a_unit_within_a_minute_fails_at_once() {
    for (rate, amount_per_second, min) in
        [((1, 1_000), 1, 17), ((1, 1_000_000_000), 1_000, 16_835_017)]
    {
        let peer = PeerConfig {
            rate,
            max_packet: None,
            ..PeerConfig::default()
        };
        let mut sim = Sim::with_config(client_config(amount_per_second, None, 9), peer, 9);
        run_checked(&mut sim, 5 * SECOND);
        assert_eq!(sim.error_codes(), ["rate-too-low"]);
        let message = sim
            .events
            .iter()
            .find_map(|(_, e)| match e {
                Event::Error(e) => Some(e.to_string()),
                _ => None,
            })
            .unwrap();
        assert!(message.contains(&format!("at least {min}")), "{message}");
        assert_eq!(sim.peer.total_received, 0);
        assert!(sim.peer.paying().next().is_none(), "paid for nothing");
    }
}

#[test]
fn a_full_receiver_window_is_waited_on_and_raising_it_lets_money_flow() {
    let peer = PeerConfig {
        receive_max: Some(10_000),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(20_000, peer);
    run_checked(&mut sim, 3 * SECOND);
    assert!((9_000..=10_000).contains(&sim.peer.total_received));
    run_checked(&mut sim, 5 * SECOND);
    assert!(
        sim.error_codes().is_empty(),
        "did not wait for the receiver"
    );
    sim.peer.config.receive_max = Some(30_000);
    run_checked(&mut sim, 3 * SECOND);
    assert!(sim.peer.total_received > 10_000, "never asked again");
    assert!(sim.peer.total_received <= 30_000);
    assert!(sim.error_codes().is_empty());
}

#[test]
fn a_stalled_link_is_reconnected_not_the_stream_ended() {
    let mut config = client_config(10_000, None, 10);
    config.tuning.request_timeout_ms = 2 * SECOND;
    config.tuning.packet_expiry_ms = 1_500;
    let mut sim = Sim::with_config(config, PeerConfig::default(), 10);
    run_checked(&mut sim, 3 * SECOND);
    let connects = sim.connects;
    // The connector stops answering packets for a while (it still
    // accepts the socket): every request times out.
    sim.peer.config.hold_ms = 3_600 * SECOND;
    run_checked(&mut sim, 3 * SECOND);
    sim.peer.config.hold_ms = 0;
    run_checked(&mut sim, 10 * SECOND);
    assert!(sim.connects > connects, "a stall must reconnect");
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    assert_eq!(sim.client.state(), State::Streaming);
    let before = sim.peer.total_received;
    run_checked(&mut sim, 2 * SECOND);
    assert!(sim.peer.total_received > before, "paying again");
}

#[test]
fn stalls_on_every_reconnect_end_with_timeout() {
    let mut config = client_config(10_000, None, 11);
    config.tuning.request_timeout_ms = 2 * SECOND;
    config.tuning.packet_expiry_ms = 1_500;
    let mut sim = Sim::with_config(config, PeerConfig::default(), 11);
    run_checked(&mut sim, 3 * SECOND);
    sim.peer.config.hold_ms = 3_600 * SECOND;
    run_checked(&mut sim, 120 * SECOND);
    assert_eq!(sim.error_codes(), ["timeout"]);
}

#[test]
fn the_connection_closes_cleanly_before_its_packet_limit() {
    let mut config = client_config(100_000, None, 12);
    config.tuning.max_packets = 60;
    let mut sim = Sim::with_config(config, PeerConfig::default(), 12);
    run_checked(&mut sim, 10 * SECOND);
    assert_eq!(sim.error_codes(), ["packet-limit"]);
    assert!(sim.peer.connection_closed, "the receiver was told");
    assert!(sim
        .peer
        .log
        .iter()
        .all(|r| r.sequence.is_none_or(|s| s < 60)));
    let Some(Event::Stopped {
        reason,
        total_delivered,
        ..
    }) = sim.stopped()
    else {
        panic!("not stopped")
    };
    assert_eq!(*reason, StopReason::Error);
    assert_eq!(*total_delivered, sim.peer.total_received);
}

#[test]
fn a_capped_stream_counts_money_in_doubt_against_max_total() {
    for receiver in [ReceiverProfile::Cumulative, ReceiverProfile::Stateless] {
        let max = 50_000;
        let peer = PeerConfig {
            receiver,
            hold_ms: 30,
            ..PeerConfig::default()
        };
        let mut sim = Sim::with_config(client_config(20_000, Some(max), 13), peer, 13);
        run_checked(&mut sim, 1_500);
        sim.drop_replies = true;
        run_checked(&mut sim, 100);
        sim.disconnect();
        sim.drop_replies = false;
        // Money lost on the link is freed once it expired (30 s).
        run_checked(&mut sim, 45 * SECOND);
        assert!(sim.stopped().is_some(), "{receiver:?}: never stopped");
        sim.check_receiver(max, receiver == ReceiverProfile::Cumulative);
        let totals = sim.client.sender().totals();
        assert!(totals.sent + totals.in_doubt <= max);
    }
}

#[test]
fn a_connector_that_never_answers_fails_within_the_connect_timeout() {
    let mut config = client_config(1_000, None, 14);
    config.tuning.connect_timeout_ms = 3 * SECOND;
    // The socket opens, but nothing ever comes back (auth unanswered).
    let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 14);
    sim.drop_replies = true;
    sim.run_for(10 * SECOND);
    assert_eq!(sim.error_codes(), ["btp-connect-failed"]);
    let (at, message) = sim
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Error(e) => Some((*t, e.to_string())),
            _ => None,
        })
        .unwrap();
    assert_eq!(at - support::T0, 3 * SECOND, "at the connect timeout");
    assert!(
        message.contains("within 3000 ms (connectTimeout)"),
        "{message}"
    );
}

#[test]
fn a_reconnect_that_never_comes_up_is_retried_not_fatal() {
    let mut config = client_config(10_000, None, 15);
    config.tuning.connect_timeout_ms = 2 * SECOND;
    let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 15);
    run_checked(&mut sim, 2 * SECOND);
    sim.drop_replies = true;
    sim.disconnect();
    run_checked(&mut sim, 5 * SECOND);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    let connects = sim.connects;
    assert!(connects >= 3, "reconnect attempts: {connects}");
    sim.drop_replies = false;
    run_checked(&mut sim, 20 * SECOND);
    assert_eq!(sim.client.state(), State::Streaming);
}

#[test]
fn stats_tell_how_the_stream_is_doing() {
    // 20 ms each way and a 5 ms hold: a round trip of about 45 ms.
    let peer = PeerConfig {
        hold_ms: 5,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with_config(client_config(100_000, None, 16), peer, 16);
    run_checked(&mut sim, 5 * SECOND);
    let stats = sim.client.stats();
    let rtt = stats.rtt_ms.expect("an RTT");
    assert!((40..=60).contains(&rtt), "rtt {rtt} ms");
    let fulfilled = sim
        .peer
        .log
        .iter()
        .filter(|r| r.outcome == support::Outcome::Fulfilled)
        .count() as u64;
    // Replies still on their way are not counted yet.
    assert!(stats.packets_fulfilled <= fulfilled);
    assert!(fulfilled - stats.packets_fulfilled <= stats.packets_in_flight as u64);
    // The rate probes came back F99.
    let f99 = stats
        .packets_rejected
        .iter()
        .find(|(c, _)| c.0 == *b"F99")
        .map(|(_, n)| *n);
    assert!(f99.is_some_and(|n| n >= 1), "{:?}", stats.packets_rejected);
    let ((lo_n, lo_d), (hi_n, hi_d)) = stats.rate.expect("a rate");
    // 1:1 lies in [lower, upper).
    assert!(lo_n <= lo_d && u128::from(hi_d) < hi_n, "{:?}", stats.rate);
    assert_eq!(stats.max_packet_amount, Some(1_000));
    assert_eq!(stats.reconnects, 0);
    sim.disconnect();
    run_checked(&mut sim, 3 * SECOND);
    assert_eq!(sim.client.stats().reconnects, 1);
}
