//! Scenario tests: a `Client` paying a fake connector + STREAM receiver over
//! a seeded virtual link with a virtual clock (`support::Sim`).
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod support;

use ilp_stream_web::client::{Event, State, StopReason};
use support::peer::ReceiverProfile;
use support::{client_config, LinkConfig, Outcome, PeerConfig, Sim, T0};

const SECOND: u64 = 1_000;

fn stopped_totals(sim: &Sim) -> (StopReason, u64, u64) {
    match sim.stopped() {
        Some(Event::Stopped {
            reason,
            total_sent,
            total_delivered,
            ..
        }) => (*reason, *total_sent, *total_delivered),
        other => panic!("no Stopped event: {other:?}; events: {:?}", sim.events),
    }
}

/// When the first `Started` event came out.
fn started_at(sim: &Sim) -> u64 {
    sim.events
        .iter()
        .find(|(_, e)| matches!(e, Event::Started { .. }))
        .map(|(t, _)| *t)
        .expect("never started")
}

#[test]
fn pays_at_the_configured_rate() {
    let rate = 100_000;
    let packet = 1_000;
    let mut sim = Sim::with(rate, PeerConfig::default());
    sim.run_until(T0 + 10 * SECOND);
    let start = started_at(&sim);
    assert!(start < T0 + SECOND, "took {} ms to start", start - T0);
    let sent = sim.client.total_sent();
    let t = 10 * SECOND;
    let startup = start - T0;
    let low = rate * (t - startup) / SECOND - packet;
    let high = rate * t / SECOND + packet;
    assert!(
        (low..=high).contains(&sent),
        "sent {sent}, expected {low}..={high}"
    );
    // Let the last packets settle; totals then agree exactly.
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    sim.check_settled();
    // Started first, then progress, at most 10 per second.
    let kinds: Vec<_> = sim
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Started { .. } | Event::Progress { .. }))
        .collect();
    assert!(matches!(kinds[0].1, Event::Started { .. }));
    let progress: Vec<u64> = kinds[1..]
        .iter()
        .map(|(t, e)| {
            assert!(matches!(e, Event::Progress { .. }), "second Started: {e:?}");
            *t
        })
        .collect();
    assert!(
        progress.len() > 20,
        "only {} progress events",
        progress.len()
    );
    for w in progress.windows(2) {
        assert!(
            w[1] - w[0] >= 100,
            "progress events {} ms apart",
            w[1] - w[0]
        );
    }
}

/// Source units the application allowed by `now`: the paced budget can
/// never exceed `rate × elapsed` (it only grows while active) plus one
/// packet (the pacer runs one packet ahead), plus every discrete payment.
fn allowed(sim: &Sim, rate: u64, packet: u64, paid: u64) -> u64 {
    rate * (sim.now - T0) / SECOND + packet + paid
}

#[test]
fn accounting_invariant_holds_every_step() {
    let rate = 50_000;
    let peer = PeerConfig {
        rate: (3, 2),
        max_packet: Some(700),
        hold_ms: 30,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(rate, peer);
    let mut paid = 0;
    let check = |sim: &Sim, paid: u64| {
        sim.check_money();
        let committed = sim.client.total_sent() + sim.client.sender().in_flight_amount();
        assert!(
            committed <= allowed(sim, rate, 700, paid),
            "{committed} > allowed"
        );
    };
    sim.run_until_checked(T0 + 2 * SECOND, |s| check(s, paid));
    sim.act(|c, now| c.pay(12_345, now)).unwrap();
    paid += 12_345;
    sim.run_until_checked(T0 + 3 * SECOND, |s| check(s, paid));
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_until_checked(T0 + 5 * SECOND, |s| check(s, paid));
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_until_checked(T0 + 7 * SECOND, |s| check(s, paid));
    sim.act(|c, now| c.stop(now));
    sim.run_until_checked(T0 + 15 * SECOND, |s| check(s, paid));
    sim.check_settled();
    let (reason, sent, delivered) = stopped_totals(&sim);
    assert_eq!(reason, StopReason::Stopped);
    assert_eq!(sent, sim.client.total_sent());
    assert_eq!(delivered, sim.client.total_delivered());
    assert_eq!(delivered, sim.peer.total_received);
    assert!(sent > 200_000, "sent only {sent}");
    // Every paying packet delivered at least its minimum.
    for r in sim.peer.paying() {
        if r.outcome == Outcome::Fulfilled {
            assert!(r.arrived >= r.min_destination.unwrap());
        }
    }
}

fn run_to_max_packet(f08_data: bool) {
    let peer = PeerConfig {
        max_packet: Some(777),
        f08_data,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 5 * SECOND);
    assert_eq!(sim.client.sender().max_packet_amount(), Some(777));
    let paying: Vec<_> = sim.peer.paying().collect();
    assert!(paying.len() > 100);
    for r in &paying {
        if r.outcome == Outcome::Fulfilled {
            assert!(r.amount <= 777);
        }
    }
    // Once found, the path's maximum is used and never exceeded again.
    let first_paid = paying
        .iter()
        .position(|r| r.outcome == Outcome::Fulfilled)
        .unwrap();
    if f08_data {
        // The F08 data told the exact limit: no paying packet is refused.
        assert!(paying[first_paid..]
            .iter()
            .all(|r| r.outcome == Outcome::Fulfilled));
    }
    let full = paying.iter().filter(|r| r.amount == 777).count();
    // (Pacing splits the budget, so some packets carry a remainder.)
    assert!(full * 2 >= paying.len(), "{full} of {} full", paying.len());
    let f08 = Outcome::Rejected(ilp_stream_web::ilp::ErrorCode::F08_AMOUNT_TOO_LARGE);
    let too_large: Vec<u64> = sim
        .peer
        .log
        .iter()
        .filter(|r| r.outcome == f08)
        .map(|r| r.at)
        .collect();
    if f08_data {
        assert!(too_large.len() <= 5, "{} F08 rejects", too_large.len());
    }
    // The search converges: no F08 after the first seconds.
    let last = too_large.iter().max().unwrap();
    assert!(*last < T0 + 2 * SECOND, "F08 at {} ms", last - T0);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
}

#[test]
fn discovers_max_packet_amount_from_f08() {
    run_to_max_packet(true);
}

#[test]
fn discovers_max_packet_amount_from_f08_without_data() {
    run_to_max_packet(false);
}

#[test]
fn rate_probes_name_the_stream_but_never_pay() {
    // So a receiver opens the stream (and starts anything it does for a new
    // stream) during the probe, not on the first paying packet.
    let mut sim = Sim::with(100_000, PeerConfig::default());
    sim.run_until(T0 + 2 * SECOND);
    let first_paying = sim.peer.paying().next().map(|r| r.at).unwrap();
    let probes: Vec<_> = sim
        .peer
        .log
        .iter()
        // Those the receiver decrypted (not the connector's F08s).
        .filter(|r| r.at < first_paying && r.sequence.is_some())
        .collect();
    assert!(!probes.is_empty(), "probes before the first paying packet");
    for p in &probes {
        assert!(p.names_stream, "{p:?}");
        assert!(!p.paying, "{p:?}");
        assert!(!matches!(p.outcome, Outcome::Fulfilled), "{p:?}");
    }
}

#[test]
fn learns_exchange_rate_and_sets_min_destination() {
    let peer = PeerConfig {
        rate: (1, 2),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 3 * SECOND);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    sim.check_settled();
    let paying: Vec<_> = sim.peer.paying().collect();
    assert!(paying.len() > 100);
    for r in &paying {
        let min = r.min_destination.unwrap();
        // floor(amount × 1/2 × 99/100): the rate less 1% slippage.
        assert!(min >= r.amount * 99 / 200, "{r:?}");
        assert!(min > 0);
        assert_eq!(r.outcome, Outcome::Fulfilled, "{r:?}");
    }
    assert_eq!(sim.client.total_delivered(), sim.client.total_sent() / 2);
    let started = sim
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::Started {
                asset_code,
                asset_scale,
                receiver_asset_code,
                receiver_asset_scale,
                destination_account,
            } => Some((
                asset_code.clone(),
                *asset_scale,
                receiver_asset_code.clone(),
                *receiver_asset_scale,
                destination_account.clone(),
            )),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        started,
        (
            "XRP".into(),
            9,
            Some("USD".into()),
            Some(6),
            support::RECEIVER.into()
        )
    );
}

#[test]
fn rate_too_low_fails_with_code() {
    let peer = PeerConfig {
        rate: (1, 10_000),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 30 * SECOND);
    assert_eq!(sim.error_codes(), ["rate-too-low"]);
    assert_eq!(stopped_totals(&sim), (StopReason::Error, 0, 0));
    assert_eq!(sim.client.state(), State::Failed);
    assert_eq!(sim.peer.total_received, 0);
    assert_eq!(sim.peer.paying().count(), 0, "no money was risked");
}

fn pay_exactly(rate: (u64, u64)) {
    let peer = PeerConfig {
        rate,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(0, peer);
    let id = sim.act(|c, now| c.pay(5_000_000, now)).unwrap();
    let done = sim.run_until_cond(60 * SECOND, |s| {
        s.events
            .iter()
            .any(|(_, e)| matches!(e, Event::PaymentDone { .. } | Event::Error(_)))
    });
    assert!(done, "payment did not finish");
    let (got_id, sent, delivered) = sim
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::PaymentDone {
                id,
                sent,
                delivered,
                ..
            } => Some((*id, *sent, *delivered)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{:?}", sim.events));
    assert_eq!((got_id, sent), (id, 5_000_000));
    sim.run_for(SECOND);
    sim.check_settled();
    assert_eq!(sim.client.total_sent(), 5_000_000);
    assert_eq!(sim.peer.total_received, delivered);
    assert_eq!(sim.client.total_delivered(), delivered);
}

#[test]
fn pay_arrives_exactly() {
    pay_exactly((1, 1));
}

#[test]
fn pay_arrives_exactly_through_an_uneven_rate() {
    pay_exactly((3, 7));
}

#[test]
fn pause_stops_money_and_resume_restarts() {
    let rate = 100_000;
    let mut sim = Sim::with(rate, PeerConfig::default());
    sim.run_until(T0 + 3 * SECOND);
    sim.act(|c, now| c.pause(now)).unwrap();
    assert_eq!(sim.client.state(), State::Paused);
    let paused_at = sim.now;
    sim.run_for(SECOND);
    let sent = sim.client.total_sent();
    let seen = sim.peer.paying().count();
    sim.run_for(5 * SECOND);
    assert_eq!(sim.client.total_sent(), sent);
    assert_eq!(sim.peer.paying().count(), seen, "packets after pause");
    assert!(sim.peer.paying().all(|r| r.at <= paused_at + 20));
    sim.act(|c, now| c.resume(now)).unwrap();
    assert_eq!(sim.client.state(), State::Streaming);
    sim.run_for(2 * SECOND);
    let grew = sim.client.total_sent() - sent;
    assert!(
        (rate * 2 - rate / 4..=rate * 2 + 1_000).contains(&grew),
        "grew {grew} in 2 s"
    );
}

#[test]
fn paused_time_adds_no_budget() {
    let rate = 100_000;
    let mut sim = Sim::with(rate, PeerConfig::default());
    sim.run_until(T0 + 2 * SECOND);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(30 * SECOND);
    let sent = sim.client.total_sent();
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_for(SECOND);
    let grew = sim.client.total_sent() - sent;
    // One second of rate, plus what was earned but unsent at the pause.
    assert!(grew <= rate + rate / 5 + 1_000, "grew {grew} in 1 s");
    assert!(grew >= rate / 2, "grew only {grew}");
}

#[test]
fn throttled_timers_catch_up_at_most_a_few_seconds() {
    let rate = 100_000;
    let mut sim = Sim::with(rate, PeerConfig::default());
    sim.run_until(T0 + 3 * SECOND);
    let sent = sim.client.total_sent();
    sim.freeze_for(60 * SECOND);
    sim.run_for(60 * SECOND - 1);
    assert_eq!(sim.client.total_sent(), sent, "frozen, yet it moved");
    sim.run_for(SECOND + 1);
    let grew = sim.client.total_sent() - sent;
    // At most 3 s of catch-up, the second after, the tick in progress when
    // the page froze, and a packet.
    assert!(
        grew <= rate * 3 + rate + rate / 5 + 1_000,
        "grew {grew} over 61 s"
    );
    assert!(grew >= rate * 3, "grew only {grew}: catch-up lost");
    // Answers that waited in the socket during the freeze were counted.
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    sim.check_settled();
    assert_eq!(sim.lost_fulfilled, (0, 0));
}

#[test]
fn stop_settles_in_flight_then_closes() {
    let peer = PeerConfig {
        hold_ms: 200,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 2 * SECOND);
    assert!(sim.client.sender().in_flight() > 0);
    sim.act(|c, now| c.stop(now));
    let stopped = sim.run_until_cond(10 * SECOND, |s| s.stopped().is_some());
    assert!(stopped);
    let (reason, sent, delivered) = stopped_totals(&sim);
    assert_eq!(reason, StopReason::Stopped);
    assert_eq!(sim.client.state(), State::Stopped);
    assert!(
        sim.peer.connection_closed,
        "receiver never saw ConnectionClose"
    );
    sim.check_settled();
    assert_eq!(
        sent, sim.peer.fulfilled_source,
        "in-flight packets were not settled"
    );
    assert_eq!(delivered, sim.peer.total_received);
    assert_eq!(sim.sends_after_stop, 0);
    let (sends, log) = (sim.sends, sim.peer.log.len());
    sim.run_for(30 * SECOND);
    assert_eq!(
        (sim.sends, sim.peer.log.len()),
        (sends, log),
        "sent after stop"
    );
    assert!(sim.error_codes().is_empty());
}

#[test]
fn max_total_stops_with_reason_max_total() {
    let mut sim = Sim::new(
        client_config(100_000, Some(250_000), 3),
        PeerConfig::default(),
        LinkConfig::default(),
        3,
    );
    sim.run_until(T0 + 10 * SECOND);
    assert_eq!(
        stopped_totals(&sim),
        (StopReason::MaxTotal, 250_000, 250_000)
    );
    assert_eq!(sim.peer.total_received, 250_000);
    assert!(sim.peer.connection_closed);
    assert_eq!(sim.client.state(), State::Stopped);
}

#[test]
fn receiver_cap_gives_receiver_limit() {
    let peer = PeerConfig {
        receive_max: Some(50_000),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    // The window fills within a second; the receiver gets a while to raise it.
    sim.run_until(T0 + 8 * SECOND);
    assert!(sim.error_codes().is_empty(), "gave up without waiting");
    sim.run_until(T0 + 25 * SECOND);
    assert_eq!(sim.error_codes(), ["receiver-limit"]);
    let (reason, _, delivered) = stopped_totals(&sim);
    assert_eq!(reason, StopReason::Error);
    assert!(
        (49_000..=50_000).contains(&sim.peer.total_received),
        "{}",
        sim.peer.total_received
    );
    assert_eq!(delivered, sim.peer.total_received);
    sim.check_settled();
}

#[test]
fn wrong_token_gives_btp_auth_failed() {
    let peer = PeerConfig {
        token: "another-token".into(),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 60 * SECOND);
    assert_eq!(sim.error_codes(), ["btp-auth-failed"]);
    assert_eq!(sim.client.state(), State::Failed);
    assert_eq!(sim.connects, 1, "retried with refused credentials");
    assert_eq!(sim.peer.ildcp_requests, 0);
    assert!(sim.peer.log.is_empty());
}

#[test]
fn refused_socket_gives_btp_connect_failed() {
    let link = LinkConfig {
        refuse_connects: true,
        ..LinkConfig::default()
    };
    let mut sim = Sim::new(
        client_config(100_000, None, 4),
        PeerConfig::default(),
        link,
        4,
    );
    sim.run_until(T0 + 60 * SECOND);
    assert_eq!(sim.error_codes(), ["btp-connect-failed"]);
    assert_eq!(sim.client.state(), State::Failed);
    assert_eq!(sim.connects, 1);
    assert_eq!(stopped_totals(&sim), (StopReason::Error, 0, 0));
}

#[test]
fn reconnects_after_drop_and_totals_agree() {
    let peer = PeerConfig {
        hold_ms: 100,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 3 * SECOND);
    let before = sim
        .peer
        .log
        .iter()
        .filter_map(|r| r.sequence)
        .max()
        .unwrap();
    let log_len = sim.peer.log.len();
    sim.disconnect();
    assert_eq!(sim.client.state(), State::Connecting);
    sim.run_for(10 * SECOND);
    assert_eq!(sim.connects, 2);
    assert_eq!(sim.peer.auth_attempts, 2, "must authenticate again");
    assert_eq!(sim.client.state(), State::Streaming);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    // The same STREAM connection continues: sequences keep increasing.
    let after: Vec<u64> = sim.peer.log[log_len..]
        .iter()
        .filter_map(|r| r.sequence)
        .collect();
    assert!(after.len() > 100);
    assert!(after.iter().all(|&s| s > before));
    assert!(after.windows(2).all(|w| w[0] < w[1]));
    assert!(
        sim.lost_fulfilled.0 > 0,
        "expected fulfills in flight at the drop"
    );
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    // Fulfills lost with the socket were recovered from the receiver's own
    // total once nothing else was in flight: both sides agree exactly.
    sim.check_settled();
    assert_eq!(sim.client.total_sent(), sim.peer.fulfilled_source);
    assert_eq!(sim.client.total_delivered(), sim.peer.total_received);
}

#[test]
fn drop_during_reauthentication_retries() {
    let mut sim = Sim::with(100_000, PeerConfig::default());
    sim.run_until(T0 + 2 * SECOND);
    sim.disconnect();
    // Wait for the reconnect to open, then drop it again during auth.
    let reopened = sim.run_until_cond(10 * SECOND, |s| s.peer.auth_attempts == 2);
    assert!(reopened);
    sim.disconnect();
    sim.run_for(20 * SECOND);
    assert!(sim.error_codes().is_empty(), "{:?}", sim.error_codes());
    assert_eq!(sim.client.state(), State::Streaming);
    assert_eq!(sim.connects, 3);
}

#[test]
fn gives_up_after_repeated_disconnects() {
    let mut sim = Sim::with(100_000, PeerConfig::default());
    sim.run_until(T0 + 2 * SECOND);
    sim.link.refuse_connects = true;
    sim.disconnect();
    sim.run_for(120 * SECOND);
    assert_eq!(sim.error_codes(), ["disconnected"]);
    assert_eq!(sim.client.state(), State::Failed);
    let attempts = ilp_stream_web::client::MAX_RECONNECT_ATTEMPTS;
    assert_eq!(sim.connects, 1 + attempts);
    // Back-off: each wait is longer than the one before (up to the cap).
    let waits: Vec<u64> = sim.connect_times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        waits[1..].windows(2).all(|w| w[1] >= w[0] || w[1] >= 6_000),
        "{waits:?}"
    );
    let (_, sent, delivered) = stopped_totals(&sim);
    assert_eq!(
        (sent, delivered),
        (sim.client.total_sent(), sim.client.total_delivered())
    );
}

#[test]
fn t04_shrinks_window_and_persistent_t04_gives_insufficient_liquidity() {
    let peer = PeerConfig {
        liquidity: Some(3_000),
        hold_ms: 100,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(200_000, peer);
    sim.run_until(T0 + 5 * SECOND);
    let t04 = Outcome::Rejected(ilp_stream_web::ilp::ErrorCode::T04_INSUFFICIENT_LIQUIDITY);
    assert!(sim.peer.log.iter().any(|r| r.outcome == t04));
    assert!(
        sim.client.sender().window() <= 4,
        "window {}",
        sim.client.sender().window()
    );
    let sent = sim.client.total_sent();
    sim.run_for(2 * SECOND);
    assert!(sim.client.total_sent() > sent, "stalled after T04");
    assert!(sim.error_codes().is_empty());
    // Now the connector's credit runs out for good.
    let credit = sim.peer.fulfilled_source + 5_000;
    sim.peer.config.credit = Some(credit);
    sim.run_for(60 * SECOND);
    assert_eq!(sim.error_codes(), ["insufficient-liquidity"]);
    assert!(sim.client.total_sent() <= credit);
    sim.check_settled();
}

#[test]
fn t05_backs_off() {
    let mut sim = Sim::with(100_000, PeerConfig::default());
    sim.run_until(T0 + 2 * SECOND);
    let from = sim.peer.log.len();
    sim.peer.config.t05_next = 9;
    sim.run_for(15 * SECOND);
    let t05 = Outcome::Rejected(ilp_stream_web::ilp::ErrorCode::T05_RATE_LIMITED);
    let log = &sim.peer.log[from..];
    let first = log.iter().position(|r| r.outcome == t05).unwrap();
    let resumed = first
        + log[first..]
            .iter()
            .position(|r| r.outcome == Outcome::Fulfilled)
            .unwrap();
    assert!(log[first..resumed].iter().all(|r| r.outcome == t05));
    // Packets already in flight when the first T05 arrived are refused
    // together; after that one packet at a time, each after a delay twice
    // as long as the one before.
    let gaps: Vec<u64> = log[first..=resumed]
        .windows(2)
        .map(|w| w[1].at - w[0].at)
        .filter(|&g| g >= 100)
        .collect();
    assert!(gaps.len() >= 4, "{gaps:?}");
    assert!(gaps.windows(2).all(|w| w[1] >= w[0] * 3 / 2), "{gaps:?}");
    assert!(gaps.last().unwrap() >= &800, "{gaps:?}");
    assert!(sim.error_codes().is_empty());
    assert!(log[resumed..].len() > 50, "did not recover");
}

#[test]
fn send_data_is_acknowledged() {
    let mut sim = Sim::with(0, PeerConfig::default());
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let offset = sim.act(|c, _| c.send_data(&bytes)).unwrap();
    assert_eq!(offset, 20_000);
    let more = sim.act(|c, _| c.send_data(b"tail")).unwrap();
    assert_eq!(more, 20_004);
    sim.run_for(5 * SECOND);
    let acks: Vec<u64> = sim
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::DataAcknowledged { offset } => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(acks.last(), Some(&20_004));
    assert!(acks.windows(2).all(|w| w[0] < w[1]));
    let mut expected = bytes;
    expected.extend_from_slice(b"tail");
    assert_eq!(sim.peer.data, expected);
    assert_eq!(sim.peer.data_conflicts, 0);
    assert_eq!(sim.peer.total_received, 0, "rate 0 sends no money");
}

#[test]
fn token_never_appears_in_debug_output() {
    let secret_debug = format!("{:?}", support::SECRET);
    let secret_hex: String = support::SECRET.iter().map(|b| format!("{b:02x}")).collect();
    for token in [support::TOKEN, "another-token"] {
        let peer = PeerConfig {
            token: token.into(),
            receipts: Some(([1; 16], [2; 32])),
            ..PeerConfig::default()
        };
        let mut sim = Sim::with(100_000, peer);
        sim.run_until(T0 + 2 * SECOND);
        let mut text = format!("{:?}\n{:?}\n", sim.client, sim.client.sender());
        text += &format!("{:?}\n", client_config(1, None, 1));
        for (_, e) in &sim.events {
            text += &format!("{e:?}\n");
            if let Event::Error(err) = e {
                text += &format!("{err}\n");
            }
        }
        assert!(!text.contains(support::TOKEN), "{text}");
        assert!(!text.contains(&secret_debug[1..40]), "{text}");
        assert!(!text.contains(&secret_hex[..16]), "{text}");
    }
}

#[test]
fn receipts_reach_progress_events() {
    let nonce = [9; 16];
    let secret = [3; 32];
    let peer = PeerConfig {
        receipts: Some((nonce, secret)),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 2 * SECOND);
    let (total, receipt) = sim
        .events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            Event::Progress {
                total_delivered,
                receipt,
                ..
            } => Some((*total_delivered, receipt.clone())),
            _ => None,
        })
        .unwrap();
    let receipt = ilp_stream_web::receipt::Receipt::verify(&receipt.unwrap(), &secret).unwrap();
    assert_eq!(receipt.nonce, nonce);
    assert_eq!(receipt.total_received, total);
}

fn lossy_run(seed: u64) {
    let peer = PeerConfig {
        hold_ms: 10,
        ..PeerConfig::default()
    };
    let mut sim = Sim::new(
        client_config(50_000, None, seed),
        peer,
        LinkConfig::default(),
        seed,
    );
    assert!(sim.run_until_cond(5 * SECOND, Sim::started));
    sim.link = LinkConfig {
        latency_ms: 30,
        // Each lost message holds a window slot until its 35 s timeout; at
        // much higher loss the window fills (see the report).
        loss_ppm: 1_000,
        duplicate_ppm: 50_000,
        reorder_ppm: 100_000,
        refuse_connects: false,
    };
    let end = sim.now + 30 * SECOND;
    sim.run_until_checked(end, Sim::check_money);
    assert!(sim.lost_messages > 0, "seed {seed}: nothing was lost");
    sim.link.loss_ppm = 0;
    assert!(
        sim.error_codes().is_empty(),
        "seed {seed}: {:?}",
        sim.error_codes()
    );
    sim.act(|c, now| c.pause(now)).unwrap();
    // Lost packets time out after 35 s.
    sim.run_for(40 * SECOND);
    sim.check_money();
    sim.check_settled();
    assert!(
        sim.error_codes().is_empty(),
        "seed {seed}: {:?}",
        sim.error_codes()
    );
    assert!(
        sim.client.total_sent() > 1_000_000,
        "seed {seed}: {}",
        sim.client.total_sent()
    );
}

#[test]
fn lossy_link_never_double_counts() {
    for seed in [11, 12, 13] {
        lossy_run(seed);
    }
}

/// One random operation of `client_ops`.
fn random_op(sim: &mut Sim, rng: &mut support::SplitMix64, paid: &mut u64) {
    match rng.below(10) {
        0 => {
            let amount = rng.below(30_000);
            if sim.act(|c, now| c.pay(amount, now)).is_ok() {
                *paid += amount;
            }
        }
        1 => {
            let _ = sim.act(|c, now| c.pause(now));
        }
        2 => {
            let _ = sim.act(|c, now| c.resume(now));
        }
        3 => sim.disconnect(),
        4 if rng.below(4) == 0 => sim.act(|c, now| c.stop(now)),
        5 => {
            let n = usize::try_from(rng.below(3_000)).unwrap();
            let _ = sim.act(|c, _| c.send_data(&vec![7; n]));
        }
        // Replies lost after the packets reached the receiver.
        6 => sim.drop_replies = !sim.drop_replies,
        _ => {}
    }
}

#[test]
fn client_ops() {
    for seed in 0..64u64 {
        let mut rng = support::SplitMix64(seed);
        let rate = [0, 10_000, 100_000][usize::try_from(rng.below(3)).unwrap()];
        let peer = PeerConfig {
            rate: [(1, 1), (3, 2), (1, 3)][usize::try_from(rng.below(3)).unwrap()],
            max_packet: [None, Some(500), Some(1_000)][usize::try_from(rng.below(3)).unwrap()],
            f08_data: rng.below(2) == 0,
            hold_ms: rng.below(50),
            receiver: [
                ReceiverProfile::Cumulative,
                ReceiverProfile::Stateless,
                ReceiverProfile::InterledgerRs,
            ][usize::try_from(rng.below(3)).unwrap()],
            balance_max: (rng.below(4) == 0).then(|| rng.below(400_000)),
            throughput: (rng.below(4) == 0).then(|| (1_000 + rng.below(100_000), SECOND)),
            rate_limit: (rng.below(4) == 0).then(|| (5 + rng.below(100), SECOND)),
            ..PeerConfig::default()
        };
        let link = LinkConfig {
            latency_ms: 1 + rng.below(40),
            ..LinkConfig::default()
        };
        let max_total = (rng.below(3) == 0).then(|| rng.below(500_000));
        // The pacer runs at most one quantum ahead of rate × elapsed: a
        // tick's budget (200 ms), or the path's largest packet once known.
        let ahead = rate / 5;
        let mut sim = Sim::new(client_config(rate, max_total, seed), peer, link, seed);
        let mut paid = 0;
        for _ in 0..20 {
            random_op(&mut sim, &mut rng, &mut paid);
            let end = sim.now + rng.below(2_000);
            let cap = max_total.unwrap_or(u64::MAX);
            sim.run_until_checked(end, |s| {
                s.check_money();
                let committed = s.client.total_sent() + s.client.sender().in_flight_amount();
                assert!(
                    committed <= allowed(s, rate, ahead, paid).min(cap),
                    "seed {seed}: committed {committed} > allowed {}",
                    allowed(s, rate, ahead, paid).min(cap)
                );
            });
            assert_eq!(sim.sends_after_stop, 0, "seed {seed}");
        }
        sim.drop_replies = false;
        sim.act(|c, now| c.stop(now));
        sim.run_for(40 * SECOND);
        let (_, sent, delivered) = stopped_totals(&sim);
        assert_eq!(
            (sent, delivered),
            (sim.client.total_sent(), sim.client.total_delivered()),
            "seed {seed}"
        );
        sim.check_settled();
        let done: u64 = sim
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::PaymentDone { sent, .. } => Some(*sent),
                _ => None,
            })
            .sum();
        assert!(done <= sent, "seed {seed}: payments {done} > sent {sent}");
    }
}

#[test]
fn a_remainder_too_small_to_deliver_still_finishes() {
    // At 1:2 a single unit delivers nothing: the last packets must be
    // sized so no undeliverable remainder is left behind.
    let peer = PeerConfig {
        rate: (1, 2),
        ..PeerConfig::default()
    };
    let mut sim = Sim::new(
        client_config(100_000, Some(2_001), 5),
        peer.clone(),
        LinkConfig::default(),
        5,
    );
    sim.run_until(T0 + 10 * SECOND);
    let (reason, sent, delivered) = stopped_totals(&sim);
    assert_eq!(reason, StopReason::MaxTotal);
    assert!((2_000..=2_001).contains(&sent), "sent {sent}");
    assert_eq!(delivered, sim.peer.total_received);

    let mut sim = Sim::with(0, peer);
    let id = sim.act(|c, now| c.pay(1_001, now)).unwrap();
    let done = sim.run_until_cond(30 * SECOND, |s| {
        s.events
            .iter()
            .any(|(_, e)| matches!(e, Event::PaymentDone { id: i, sent: 1_001, .. } if *i == id))
    });
    assert!(done, "payment of 1001 did not finish: {:?}", sim.events);
    assert_eq!(sim.client.total_delivered(), sim.peer.total_received);
}

#[test]
fn a_close_inside_a_fulfill_counts_the_packet_then_stops() {
    let peer = PeerConfig {
        close_at: Some(30_000),
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(100_000, peer);
    sim.run_until(T0 + 5 * SECOND);
    let (reason, sent, delivered) = stopped_totals(&sim);
    assert_eq!(reason, StopReason::ReceiverClosed);
    assert_eq!(sim.client.state(), State::Stopped);
    assert_eq!(
        (sent, delivered),
        (sim.client.total_sent(), sim.client.total_delivered())
    );
    assert_eq!(
        delivered, sim.peer.total_received,
        "the closing packet's money is counted"
    );
    assert!(
        sim.error_codes().is_empty(),
        "a normal close is not an error: {:?}",
        sim.error_codes()
    );
    // Nothing after Stopped.
    let stop_index = sim
        .events
        .iter()
        .position(|(_, e)| matches!(e, Event::Stopped { .. }))
        .unwrap();
    assert_eq!(
        stop_index,
        sim.events.len() - 1,
        "{:?}",
        &sim.events[stop_index..]
    );
}

#[test]
fn money_in_flight_at_a_drop_is_not_spent_again_before_it_expires() {
    // A connector may still execute a packet whose answer was lost with the
    // socket, until the packet expires: its amount must not be re-sent
    // before then, or a capped payment could be paid twice.
    let peer = PeerConfig {
        hold_ms: 300,
        ..PeerConfig::default()
    };
    let mut sim = Sim::with(0, peer);
    let amount = 20_000;
    sim.act(|c, now| c.pay(amount, now)).unwrap();
    sim.run_until_cond(10 * SECOND, |s| s.client.sender().in_flight_amount() > 0);
    sim.disconnect();
    let dropped_at = sim.now;
    let check = |s: &Sim| {
        let committed = s.client.total_sent() + s.client.sender().in_flight_amount();
        assert!(committed <= amount, "{committed} committed of {amount}");
    };
    sim.run_until_checked(dropped_at + 20 * SECOND, check);
    assert_eq!(sim.client.state(), State::Streaming, "reconnected");
    // The receiver's total showed the held packets arrived: they count as
    // sent, and the payment finished without paying them again.
    let done = sim.run_until_cond(dropped_at + 60 * SECOND, |s| {
        s.events
            .iter()
            .any(|(_, e)| matches!(e, Event::PaymentDone { .. }))
    });
    assert!(done, "{:?}", sim.error_codes());
    assert_eq!(sim.client.total_sent(), amount);
    assert_eq!(sim.peer.fulfilled_source, amount);
    assert_eq!(sim.client.total_in_doubt(), 0);
    sim.check_receiver(amount, true);
}

#[test]
fn set_amount_per_second_changes_the_paced_rate() {
    let rate = 100_000;
    let mut sim = Sim::with(rate, PeerConfig::default());
    sim.run_until(T0 + 3 * SECOND);
    assert_eq!(sim.client.amount_per_second(), rate);
    // Ten times slower from now on.
    sim.act(|c, now| c.set_amount_per_second(rate / 10, now))
        .unwrap();
    assert_eq!(sim.client.amount_per_second(), rate / 10);
    sim.run_for(SECOND); // packets priced at the old rate settle
    let sent = sim.client.total_sent();
    sim.run_for(4 * SECOND);
    let grew = sim.client.total_sent() - sent;
    assert!(
        (rate * 4 / 10 - rate / 20..=rate * 4 / 10 + 1_000).contains(&grew),
        "grew {grew} in 4 s at {}/s",
        rate / 10
    );
    // 0: nothing paced, the state stays streaming.
    sim.act(|c, now| c.set_amount_per_second(0, now)).unwrap();
    sim.run_for(SECOND);
    let sent = sim.client.total_sent();
    sim.run_for(3 * SECOND);
    assert_eq!(sim.client.total_sent(), sent, "paid at rate 0");
    assert_eq!(sim.client.state(), State::Streaming);
    // And back up again.
    sim.act(|c, now| c.set_amount_per_second(rate, now))
        .unwrap();
    sim.run_for(2 * SECOND);
    let grew = sim.client.total_sent() - sent;
    assert!(
        (rate * 2 - rate / 4..=rate * 2 + 1_000).contains(&grew),
        "grew {grew} in 2 s after raising the rate again"
    );
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    sim.check_settled();
    // Stopped: refused.
    sim.act(|c, now| c.stop(now));
    sim.run_for(2 * SECOND);
    assert!(sim.act(|c, now| c.set_amount_per_second(1, now)).is_err());
}
