//! Arbitrary sequences of what a page and the network can do to a payment
//! stream (pay, pause, resume, data, dropped links, lost replies, time
//! passing, stop), driven through the scenario tests' fake connector and
//! virtual link with the real peers' profiles (receivers that report
//! cumulative totals, none, or 0; balance, money-throughput and packet-rate
//! limits); the money invariants are checked after every step (nothing paid
//! past a cap or twice) and the totals at the end.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code, unreachable_pub)]
mod common;
#[path = "../../tests/support/mod.rs"]
#[allow(dead_code, unreachable_pub, unused_imports)]
mod support;

use support::peer::ReceiverProfile;
use support::{client_config, LinkConfig, PeerConfig, Sim};

fuzz_target!(|data: &[u8]| {
    let mut input = data.iter().copied();
    let mut next = move || input.next().unwrap_or(0);
    let rate = [0, 10_000, 100_000][usize::from(next() % 3)];
    let peer = PeerConfig {
        rate: [(1, 1), (3, 2), (1, 3)][usize::from(next() % 3)],
        max_packet: [None, Some(500), Some(1_000)][usize::from(next() % 3)],
        f08_data: next() % 2 == 0,
        hold_ms: u64::from(next() % 50),
        receiver: [
            ReceiverProfile::Cumulative,
            ReceiverProfile::Stateless,
            ReceiverProfile::InterledgerRs,
        ][usize::from(next() % 3)],
        balance_max: (next() % 4 == 0).then(|| u64::from(next()) * 1_000),
        throughput: (next() % 4 == 0).then(|| (1_000 + u64::from(next()) * 500, 1_000)),
        rate_limit: (next() % 4 == 0).then(|| (5 + u64::from(next() % 100), 1_000)),
        ..PeerConfig::default()
    };
    let link = LinkConfig {
        latency_ms: 1 + u64::from(next() % 40),
        ..LinkConfig::default()
    };
    let max_total = (next() % 3 == 0).then(|| u64::from(next()) * 2_000);
    let seed = u64::from(next());
    let mut sim = Sim::new(client_config(rate, max_total, seed), peer, link, seed);
    for _ in 0..16 {
        match next() % 8 {
            0 => {
                let amount = u64::from(next()) * 100;
                let _ = sim.act(|c, now| c.pay(amount, now));
            }
            1 => {
                let _ = sim.act(|c, now| c.pause(now));
            }
            2 => {
                let _ = sim.act(|c, now| c.resume(now));
            }
            3 => sim.disconnect(),
            4 => {
                let n = usize::from(next()) * 40;
                let _ = sim.act(|c, _| c.send_data(&vec![7; n]));
            }
            5 if next() % 4 == 0 => sim.act(|c, now| c.stop(now)),
            6 => sim.drop_replies = !sim.drop_replies,
            _ => {}
        }
        let end = sim.now + u64::from(next()) * 8;
        sim.run_until_checked(end, |s| s.check_money());
    }
    sim.act(|c, now| c.stop(now));
    sim.run_for(40_000);
    sim.check_settled();
});
