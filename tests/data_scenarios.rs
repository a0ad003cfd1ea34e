//! Scenario tests for data the receiver sends the client (RFC 29
//! `StreamData` in Prepares from the receiver): in order, exactly once,
//! behind a bounded receive window the application drains; money offered
//! to the client refused; the receiver's close honoured. The fake receiver
//! (`support::peer`) sends the Prepares over the virtual link and records
//! the client's answers.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod support;

use ilp_stream_web::client::{Event, StopReason};
use ilp_stream_web::ilp::ErrorCode;
use ilp_stream_web::stream::connection::incoming::DEFAULT_RECEIVE_WINDOW;
use ilp_stream_web::stream::{ErrorCode as CloseCode, Frame};
use support::{PeerConfig, Sim};

const SECOND: u64 = 1_000;
const WINDOW: u64 = DEFAULT_RECEIVE_WINDOW;

/// A client paying nothing (rate 0), connected to the receiver.
fn connected() -> Sim {
    let mut sim = Sim::with(0, PeerConfig::default());
    sim.graceful_close = true;
    let up = sim.run_until_cond(5 * SECOND, Sim::started);
    assert!(up, "never started: {:?}", sim.events);
    sim
}

/// Bytes 0..n of a recognisable pattern.
fn pattern(from: usize, n: usize) -> Vec<u8> {
    (from..from + n)
        .map(|i| u8::try_from((i * 7 + i / 251) % 256).unwrap())
        .collect()
}

fn readable_events(sim: &Sim) -> usize {
    sim.events
        .iter()
        .filter(|(_, e)| matches!(e, Event::DataReadable { .. }))
        .count()
}

#[test]
fn data_arrives_in_order_and_once_whatever_the_fragment_order() {
    let mut sim = connected();
    let data = pattern(0, 3000);
    // Out of order, with a duplicate and an overlap.
    sim.peer_write(1000, &data[1000..2000]);
    sim.run_for(100);
    assert_eq!(sim.client.readable(), 0, "a gap must hold later bytes back");
    sim.peer_write(2000, &data[2000..]);
    sim.peer_write(0, &data[..1000]);
    sim.peer_write(0, &data[..1000]);
    sim.peer_write(500, &data[500..1500]);
    sim.run_for(100);
    assert!(readable_events(&sim) >= 1);
    assert_eq!(sim.read_all(), data);
    sim.run_for(100);
    assert!(sim.read_all().is_empty(), "delivered twice");
    // Every data packet was acknowledged by a Fulfill carrying the window,
    // and told the receiver it may send no money.
    let replies = &sim.peer.client_replies;
    assert_eq!(replies.len(), 5);
    for r in replies {
        assert!(r.fulfilled && r.authentic, "{r:?}");
        assert!(r.max_data.unwrap() >= WINDOW, "{r:?}");
        assert_eq!(r.connection_max_data, r.max_data);
        assert_eq!(r.max_money, Some((0, 0)));
    }
}

#[test]
fn data_flows_both_ways_at_once() {
    let mut sim = connected();
    let ours = pattern(5, 20_000);
    let theirs = pattern(9, 20_000);
    let offset = sim.act(|c, _| c.send_data(&ours)).unwrap();
    for (i, chunk) in theirs.chunks(8_000).enumerate() {
        sim.peer_write(i as u64 * 8_000, chunk);
    }
    let mut got = Vec::new();
    let done = sim.run_until_cond(10 * SECOND, |s| {
        s.client.sender().data_acknowledged() == offset && s.client.readable() == theirs.len()
    });
    assert!(
        done,
        "acknowledged {}",
        sim.client.sender().data_acknowledged()
    );
    got.extend(sim.read_all());
    assert_eq!(got, theirs);
    assert_eq!(sim.peer.data, ours);
}

#[test]
fn data_is_delivered_once_across_a_reconnect() {
    let mut sim = connected();
    let data = pattern(0, 4000);
    sim.peer_write(0, &data[..2000]);
    // The client gets it and answers, but its answer is lost with the link.
    sim.run_for(sim.link.latency_ms + 1);
    assert_eq!(sim.client.readable(), 2000);
    sim.disconnect();
    assert!(
        sim.peer.client_replies.is_empty(),
        "the answer should have been lost"
    );
    let back = sim.run_until_cond(10 * SECOND, |s| {
        s.link_idle() && s.connects >= 2 && s.peer.auth_attempts >= 2
    });
    assert!(back, "never reconnected");
    sim.run_for(SECOND);
    // The receiver never saw an answer, so it sends the same bytes again,
    // then the rest.
    sim.peer_write(0, &data[..2000]);
    sim.peer_write(2000, &data[2000..]);
    sim.run_for(SECOND);
    assert_eq!(sim.read_all(), data);
    assert_eq!(sim.peer.client_replies.len(), 2);
    assert!(sim.peer.client_replies.iter().all(|r| r.fulfilled));
}

#[test]
fn the_receive_window_fills_up_and_drains_as_the_application_reads() {
    let mut sim = connected();
    let w = usize::try_from(WINDOW).unwrap();
    let data = pattern(0, w + 30_000);
    // Fill the window exactly without reading.
    for offset in (0..w).step_by(8_000) {
        let end = (offset + 8_000).min(w);
        sim.peer_write(offset as u64, &data[offset..end]);
    }
    sim.run_for(SECOND);
    assert_eq!(sim.client.readable(), w);
    assert!(sim.peer.client_replies.iter().all(|r| r.fulfilled));
    assert_eq!(
        sim.peer.client_replies.last().unwrap().max_data,
        Some(WINDOW),
        "the window must not move while nothing is read"
    );
    // The application reads a little: not yet worth a window update.
    let mut first = vec![0; 1_000];
    assert_eq!(sim.act(|c, _| c.read(&mut first)), 1_000);
    sim.run_for(SECOND);
    assert_eq!(sim.peer.client_window, None, "no update for 1,000 bytes");
    // It reads half the window: the client tells the receiver by itself
    // (a 0-amount packet with StreamMaxData), though it pays nothing.
    let mut more = vec![0; w / 2];
    assert_eq!(sim.act(|c, _| c.read(&mut more)), w / 2);
    sim.run_for(SECOND);
    let told = sim.peer.client_window.expect("no window update was sent");
    assert_eq!(told, WINDOW + 1_000 + WINDOW / 2);
    // The receiver sends up to the new limit; everything arrives in order.
    let mut offset = w;
    while offset < data.len() {
        let end = (offset + 8_000).min(data.len());
        sim.peer_write(offset as u64, &data[offset..end]);
        offset = end;
    }
    sim.run_for(SECOND);
    let mut got = first;
    got.extend(more);
    got.extend(sim.read_all());
    assert_eq!(got, data);
    assert!(sim.peer.client_replies.iter().all(|r| r.fulfilled));
    assert!(sim.stopped().is_none());
}

#[test]
fn data_beyond_the_window_is_a_flow_control_error() {
    let mut sim = connected();
    sim.peer_write(WINDOW - 10, &pattern(0, 20));
    sim.run_for(SECOND);
    let reply = sim.peer.client_replies.last().unwrap().clone();
    assert!(!reply.fulfilled, "{reply:?}");
    assert_eq!(reply.code, Some(ErrorCode::F99_APPLICATION_ERROR));
    assert_eq!(reply.close, Some(CloseCode::FLOW_CONTROL_ERROR));
    assert_eq!(sim.client.readable(), 0, "refused data must not be taken");
    let stopped = sim.run_until_cond(10 * SECOND, |s| s.stopped().is_some());
    assert!(stopped);
    assert!(matches!(
        sim.stopped(),
        Some(Event::Stopped {
            reason: StopReason::Error,
            ..
        })
    ));
}

#[test]
fn money_offered_to_the_client_is_refused() {
    let mut sim = connected();
    let before = *sim.client.sender().totals();
    let data = pattern(0, 100);
    let frames = [
        Frame::StreamMoney {
            stream_id: 1,
            shares: 1,
        },
        Frame::StreamData {
            stream_id: 1,
            offset: 0,
            data: &data,
        },
    ];
    sim.peer_prepare(500, &frames, true);
    sim.run_for(SECOND);
    let reply = sim.peer.client_replies.last().unwrap().clone();
    assert!(!reply.fulfilled);
    assert_eq!(reply.code, Some(ErrorCode::F99_APPLICATION_ERROR));
    assert!(reply.authentic, "the refusal must carry a STREAM reply");
    assert_eq!(reply.max_money, Some((0, 0)), "must say it takes no money");
    assert!(reply.close.is_none(), "refusing money is not closing");
    // Its data is not taken (the Reject NACKs it; the receiver re-sends).
    assert_eq!(sim.client.readable(), 0);
    assert_eq!(*sim.client.sender().totals(), before);
    // The re-send without money is accepted.
    sim.peer_write(0, &data);
    sim.run_for(SECOND);
    assert!(sim.peer.client_replies.last().unwrap().fulfilled);
    assert_eq!(sim.read_all(), data);
    // A probe (unfulfillable) is answered with F99 and a STREAM reply.
    sim.peer_prepare(1_000, &[], false);
    sim.run_for(SECOND);
    let probe = sim.peer.client_replies.last().unwrap();
    assert!(!probe.fulfilled && probe.authentic);
    assert!(sim.stopped().is_none());
}

#[test]
fn a_close_sent_by_the_receiver_is_honoured_after_its_data() {
    let mut sim = connected();
    let data = pattern(0, 500);
    let frames = [
        Frame::StreamData {
            stream_id: 1,
            offset: 0,
            data: &data,
        },
        Frame::StreamClose {
            stream_id: 1,
            code: CloseCode::NO_ERROR,
            message: b"",
        },
    ];
    sim.peer_prepare(0, &frames, true);
    let stopped = sim.run_until_cond(10 * SECOND, |s| s.stopped().is_some());
    assert!(stopped, "{:?}", sim.events);
    assert!(matches!(
        sim.stopped(),
        Some(Event::Stopped {
            reason: StopReason::ReceiverClosed,
            ..
        })
    ));
    sim.run_for(SECOND);
    assert!(
        sim.peer.client_replies[0].fulfilled,
        "the close was not answered"
    );
    // The data received before the close stays readable.
    assert_eq!(sim.read_all(), data);
}

#[test]
fn a_connection_close_in_an_unfulfillable_prepare_stops_the_client() {
    let mut sim = connected();
    let frames = [Frame::ConnectionClose {
        code: CloseCode::NO_ERROR,
        message: b"bye",
    }];
    sim.peer_prepare(0, &frames, false);
    let stopped = sim.run_until_cond(10 * SECOND, |s| s.stopped().is_some());
    assert!(stopped);
    assert!(matches!(
        sim.stopped(),
        Some(Event::Stopped {
            reason: StopReason::ReceiverClosed,
            ..
        })
    ));
    assert!(sim.error_codes().is_empty(), "a NoError close is no error");
}

/// Several connections may share one BTP account (one IL-DCP address): each
/// announces its own address below it, answers Prepares for that address
/// (and, as before, for the account's own), and leaves Prepares for a
/// sibling's address unanswered, for the sibling's socket to answer (the
/// connector hands them to every socket of the account, first answer wins).
#[test]
fn each_connection_has_its_own_address_below_the_account() {
    let mut sim = connected();
    let announced = sim.peer.announced.clone().expect("no ConnectionNewAddress");
    let tag = announced
        .strip_prefix(&format!("{}.", support::peer::CLIENT_ADDRESS))
        .unwrap_or_else(|| panic!("{announced} is not below the account"));
    assert_eq!(tag.len(), 16, "{announced}");
    assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()), "{announced}");
    let data = pattern(0, 100);
    let frames = [Frame::StreamData {
        stream_id: 1,
        offset: 0,
        data: &data,
    }];
    // Ours: answered and taken.
    sim.peer.to_client_destination = Some(announced.clone());
    sim.peer_prepare(0, &frames, true);
    sim.run_for(SECOND);
    assert_eq!(sim.peer.client_replies.len(), 1);
    assert!(sim.peer.client_replies[0].fulfilled);
    // A sibling's: left unanswered.
    sim.peer.to_client_destination = Some(format!(
        "{}.0123456789abcdef",
        support::peer::CLIENT_ADDRESS
    ));
    sim.peer_prepare(0, &[], true);
    sim.run_for(SECOND);
    assert_eq!(
        sim.peer.client_replies.len(),
        1,
        "answered a sibling's Prepare"
    );
    // The account's own address: answered as before.
    sim.peer.to_client_destination = None;
    sim.peer_prepare(1_000, &[], false);
    sim.run_for(SECOND);
    assert_eq!(sim.peer.client_replies.len(), 2);
    assert!(sim.peer.client_replies[1].authentic);
    assert_eq!(sim.read_all(), data);
    assert!(sim.stopped().is_none());
}
