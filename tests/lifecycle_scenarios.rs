//! The whole life of a stream, owned by the `Client`: resolving the
//! receiver (SPSP), connecting, paying, pausing, reconnecting, stopping.
//! Each test asserts the exact sequence of state changes a page sees.
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

use ilp_stream_web::client::{Event, Input, SpspProblem, State, StopReason};
use support::{client_config, LinkConfig, PeerConfig, Sim};

const SECOND: u64 = 1_000;

fn states(sim: &Sim) -> Vec<State> {
    sim.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::StateChanged(s) => Some(*s),
            _ => None,
        })
        .collect()
}

/// A simulation whose client resolves its receiver over SPSP first.
fn resolving(amount_per_second: u64, seed: u64) -> Sim {
    let mut config = client_config(amount_per_second, None, seed);
    config.receiver = None;
    Sim::new(config, PeerConfig::default(), LinkConfig::default(), seed)
}

#[test]
fn start_pause_resume_stop_changes_state_exactly_so() {
    let mut sim = resolving(10_000, 1);
    sim.run_for(2 * SECOND);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(SECOND);
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_for(SECOND);
    sim.act(|c, now| c.stop(now));
    sim.run_for(10 * SECOND);
    use State::*;
    assert_eq!(
        states(&sim),
        [Connecting, Streaming, Paused, Streaming, Stopped]
    );
    assert!(
        sim.peer.total_received > 0,
        "it paid, through the resolved receiver"
    );
    assert_eq!(sim.client.total_delivered(), sim.peer.total_received);
}

#[test]
fn a_failed_spsp_query_fails_the_start() {
    let mut sim = {
        let mut config = client_config(10_000, None, 2);
        config.receiver = None;
        let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 2);
        sim.spsp = Err(SpspProblem::Status(404));
        sim.run_for(SECOND);
        sim
    };
    sim.run_for(SECOND);
    assert_eq!(states(&sim), [State::Connecting, State::Failed]);
    assert_eq!(sim.error_codes(), ["spsp-failed"]);
    // The socket opened beside the query (they overlap) and is closed
    // again; nothing went to a receiver.
    assert_eq!(sim.connects, 1, "one socket, opened beside the query");
    assert!(
        !sim.socket_open(),
        "the socket is closed when the query fails"
    );
    assert_eq!(sim.peer.total_received, 0);
    let Some(Event::Stopped { reason, error, .. }) = sim.stopped() else {
        panic!("no stop")
    };
    assert_eq!(*reason, StopReason::Error);
    assert!(error.as_ref().unwrap().to_string().contains("HTTP 404"));
}

#[test]
fn the_spsp_query_overlaps_the_connection_and_nothing_is_sent_before_its_answer() {
    let mut config = client_config(10_000, None, 9);
    config.receiver = None;
    let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 9);
    // The query is slow: no answer yet.
    sim.spsp_silent = true;
    sim.run_for(SECOND);
    assert_eq!(sim.connect_times, [support::T0], "connected at the start");
    assert_eq!(sim.peer.auth_attempts, 1, "authenticated meanwhile");
    assert_eq!(sim.peer.ildcp_requests, 1, "and through IL-DCP");
    assert!(
        sim.peer.log.is_empty(),
        "no STREAM packet before the answer"
    );
    assert_eq!(states(&sim), [State::Connecting]);
    // The answer: probing and paying start at once, over the same socket.
    let Ok(receiver) = sim.spsp.clone() else {
        panic!("the sim's SPSP answer")
    };
    let answered = sim.now;
    sim.act(|c, now| c.handle_input(Input::ReceiverResolved(receiver), now));
    sim.run_for(2 * SECOND);
    assert!(sim.started());
    assert_eq!(sim.connects, 1, "the same socket");
    assert!(sim.peer.log.first().is_some_and(|r| r.at >= answered));
    assert!(sim.peer.total_received > 0);
    assert_eq!(sim.client.total_delivered(), sim.peer.total_received);
}

#[test]
fn a_refused_connection_fails_the_start() {
    let mut config = client_config(10_000, None, 3);
    config.receiver = None;
    let link = LinkConfig {
        refuse_connects: true,
        ..LinkConfig::default()
    };
    // Refused from the first socket, which opens beside the SPSP query.
    let mut sim = Sim::new(config, PeerConfig::default(), link, 3);
    sim.run_for(5 * SECOND);
    assert_eq!(states(&sim), [State::Connecting, State::Failed]);
    assert_eq!(sim.error_codes(), ["btp-connect-failed"]);
}

#[test]
fn a_reconnect_goes_through_connecting_and_back() {
    let mut sim = resolving(10_000, 4);
    sim.run_for(2 * SECOND);
    sim.disconnect();
    sim.run_for(5 * SECOND);
    use State::*;
    assert_eq!(states(&sim), [Connecting, Streaming, Connecting, Streaming]);
}

#[test]
fn a_reconnect_while_paused_comes_back_paused() {
    let mut sim = resolving(10_000, 5);
    sim.run_for(2 * SECOND);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.disconnect();
    sim.run_for(5 * SECOND);
    use State::*;
    assert_eq!(
        states(&sim),
        [Connecting, Streaming, Paused, Connecting, Paused]
    );
}

#[test]
fn stop_while_resolving_stops_and_closes_the_socket() {
    let mut sim = resolving(10_000, 6);
    sim.act(|c, now| c.stop(now));
    sim.run_for(5 * SECOND);
    assert_eq!(states(&sim), [State::Connecting, State::Stopped]);
    // The socket asked for beside the query is closed; nothing was paid.
    assert_eq!(sim.connects, 1);
    assert!(!sim.socket_open());
    assert!(sim.peer.log.is_empty(), "no packet for the receiver");
    // A late answer changes nothing.
    assert!(sim.client.start(sim.now).is_err());
}

#[test]
fn a_stream_paused_before_start_starts_paused() {
    let mut config = client_config(10_000, None, 7);
    config.receiver = None;
    let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 7);
    // Sim::new already started it; pause before anything connected.
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(3 * SECOND);
    assert!(sim.started(), "start() resolves once the rate is known");
    assert_eq!(states(&sim), [State::Connecting, State::Paused]);
    assert_eq!(sim.peer.total_received, 0, "nothing paid while paused");
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_for(2 * SECOND);
    assert!(sim.peer.total_received > 0);
}

#[test]
fn a_stream_paused_while_idle_starts_paused_and_pay_still_works() {
    // A page binding the stream to a paused media element before start().
    let config = client_config(10_000, None, 9);
    let mut sim = Sim::unstarted(config, PeerConfig::default(), LinkConfig::default(), 9);
    sim.act(|c, now| c.pause(now)).unwrap();
    assert_eq!(
        sim.client.state(),
        State::Idle,
        "pause() alone starts nothing"
    );
    sim.act(|c, now| c.start(now)).unwrap();
    sim.run_for(3 * SECOND);
    assert!(sim.started(), "start() resolves once connected");
    assert_eq!(states(&sim), [State::Connecting, State::Paused]);
    assert_eq!(sim.peer.total_received, 0, "no paced money while paused");
    // A discrete payment goes through while paused.
    sim.act(|c, now| c.pay(5_000, now)).unwrap();
    sim.run_for(2 * SECOND);
    assert_eq!(sim.payment_done().map(|(sent, _, _)| sent), Some(5_000));
    assert_eq!(
        sim.peer.total_received, 5_000,
        "only the payment, nothing paced"
    );
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_for(2 * SECOND);
    assert!(sim.peer.total_received > 5_000, "paced money once resumed");
    assert_eq!(
        states(&sim),
        [State::Connecting, State::Paused, State::Streaming]
    );
}

#[test]
fn pause_and_resume_while_connecting_leave_the_last_word() {
    // A media element that plays, waits and plays again before the stream is up.
    let mut sim = resolving(10_000, 10);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.run_for(3 * SECOND);
    assert_eq!(states(&sim), [State::Connecting, State::Paused]);
    assert_eq!(sim.peer.total_received, 0);
    let mut sim = resolving(10_000, 11);
    sim.act(|c, now| c.pause(now)).unwrap();
    sim.act(|c, now| c.resume(now)).unwrap();
    sim.run_for(3 * SECOND);
    assert_eq!(states(&sim), [State::Connecting, State::Streaming]);
    assert!(sim.peer.total_received > 0);
}

#[test]
fn an_spsp_query_that_never_answers_fails_at_the_connect_timeout() {
    let mut config = client_config(10_000, None, 8);
    config.receiver = None;
    config.tuning.connect_timeout_ms = 2 * SECOND;
    let mut sim = Sim::new(config, PeerConfig::default(), LinkConfig::default(), 8);
    // The caller cannot bound its query (no AbortSignal.timeout): the
    // answer never comes before the client's own backstop.
    sim.spsp_silent = true;
    sim.run_for(10 * SECOND);
    assert_eq!(sim.error_codes(), ["spsp-failed"]);
    assert_eq!(states(&sim), [State::Connecting, State::Failed]);
    let at = sim
        .events
        .iter()
        .find_map(|(t, e)| matches!(e, Event::Error(_)).then_some(*t))
        .unwrap();
    assert_eq!(
        at - support::T0,
        3 * SECOND,
        "connect timeout plus a second"
    );
}
