//! Money whose fate is unknown, and how the receiver's own total resolves it.
//!
//! A paying packet is *in doubt* when its reply can no longer reach us (the
//! link dropped while it was in flight, the request timed out, or the reply
//! carried no ILP packet). A connector that forwarded it may still execute
//! it, so its money counts against every cap until it is resolved, and it
//! is never freed just because it expired.
//!
//! It can be resolved only where the receiver reports a cumulative total
//! (`StreamMaxMoney.total_received`, as ilp-protocol-stream does): with
//! nothing else in flight, that total exceeds what we counted by exactly
//! what in-doubt packets delivered.

use super::budget::Purpose;

/// How long after a packet's expiry its fate is taken as settled (a
/// fulfill sent just before expiry may still be on its way).
pub(super) const SETTLE_MARGIN_MS: u64 = 1_000;

/// Whether the receiver reports a cumulative total we can trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverTotals {
    /// Not known yet: no fulfilled packet has told us.
    Unknown,
    /// It does (ilp-protocol-stream): totals only grow and cover what we counted.
    Cumulative,
    /// It does not (a stateless receiver sends none; interledger-rs sends 0).
    Absent,
}

/// One packet in doubt.
#[derive(Clone, Copy, Debug)]
pub(super) struct Doubtful {
    pub(super) amount: u64,
    /// The least it delivers if it arrived: its minimum destination amount,
    /// which the receiver enforces (it refuses anything less).
    pub(super) min: u64,
    /// The most it would deliver at the highest rate the path was known to
    /// have when it was sent.
    pub(super) max: u64,
    pub(super) purpose: Purpose,
    pub(super) expires_at: u64,
}

/// How one in-doubt packet was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resolution {
    pub(super) purpose: Purpose,
    pub(super) amount: u64,
    /// Destination units booked to it, or `None`: it never arrived.
    pub(super) delivered: Option<u64>,
}

/// What the receiver's total has shown that no decided packet accounts
/// for: the undecided packets delivered between `units - slack` and
/// `units` destination units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Unexplained {
    /// Units reported beyond what decided packets were booked.
    pub(super) units: u64,
    /// How many of those decided packets may have delivered beyond what
    /// was booked for them (each is booked at its minimum).
    pub(super) slack: u64,
}

impl Unexplained {
    /// Books `d` as delivered: its guaranteed minimum explains units, and
    /// what it may have delivered beyond that becomes slack.
    fn deliver(&mut self, d: Doubtful) -> Resolution {
        let units = d.min.min(self.units);
        self.units -= units;
        self.slack = self.slack.saturating_add(d.max.saturating_sub(units));
        Resolution {
            purpose: d.purpose,
            amount: d.amount,
            delivered: Some(units),
        }
    }
}

/// Decides what it can about `doubt` from what is `unexplained`; returns
/// the resolutions and leaves in `doubt` the packets still undecided.
///
/// Only what the total proves is decided, so that no packet that arrived is
/// ever sent again:
/// - a packet is *delivered* when the others, even at their most, cannot
///   explain the units (it must have contributed); it is booked at its
///   minimum, the rest of what it may have delivered becomes slack;
/// - once every packet has expired (`now` past its expiry and the margin),
///   so the total is final, a packet is *not delivered* when even its
///   guaranteed minimum exceeds the most that is left to explain.
///
/// Everything else stays in doubt, counting against the caps.
pub(super) fn resolve(
    doubt: &mut Vec<Doubtful>,
    unexplained: &mut Unexplained,
    now: u64,
) -> Vec<Resolution> {
    let final_total = doubt
        .iter()
        .all(|d| d.expires_at.saturating_add(SETTLE_MARGIN_MS) <= now);
    let mut out = Vec::new();
    loop {
        let low = u128::from(unexplained.units.saturating_sub(unexplained.slack));
        let high = u128::from(unexplained.units);
        let max_sum: u128 = doubt.iter().map(|d| u128::from(d.max)).sum();
        if let Some(i) = doubt.iter().position(|d| max_sum - u128::from(d.max) < low) {
            let d = doubt.remove(i);
            out.push(unexplained.deliver(d));
            continue;
        }
        if final_total {
            if let Some(i) = doubt.iter().position(|d| u128::from(d.min) > high) {
                let d = doubt.remove(i);
                out.push(Resolution {
                    purpose: d.purpose,
                    amount: d.amount,
                    delivered: None,
                });
                continue;
            }
        }
        if count_interchangeable(doubt, unexplained, final_total, &mut out) {
            continue;
        }
        break;
    }
    if doubt.is_empty() {
        // Nothing left undecided: every unexplained unit came from the
        // packets just found delivered.
        if let Some(last) = out.iter_mut().rev().find(|r| r.delivered.is_some()) {
            last.delivered = last.delivered.map(|u| u.saturating_add(unexplained.units));
            *unexplained = Unexplained::default();
        }
    }
    out
}

/// Packets of one amount are interchangeable for money: when the total
/// shows that at least `k` of them arrived, `k` count as delivered (which
/// ones does not matter), and once it is final, that at most `k` did, the
/// others did not. Returns whether anything was decided.
fn count_interchangeable(
    doubt: &mut Vec<Doubtful>,
    unexplained: &mut Unexplained,
    final_total: bool,
    out: &mut Vec<Resolution>,
) -> bool {
    let Some(first) = doubt.first() else {
        return false;
    };
    if doubt.iter().any(|d| d.amount != first.amount) {
        return false;
    }
    let n = doubt.len() as u64;
    let most = doubt.iter().map(|d| d.max).max().unwrap_or(0).max(1);
    let least = doubt.iter().map(|d| d.min).min().unwrap_or(0).max(1);
    let low = unexplained.units.saturating_sub(unexplained.slack);
    let at_least = low.div_ceil(most).min(n);
    let at_most = (unexplained.units / least).min(n);
    if at_least > 0 {
        for d in doubt.drain(..usize::try_from(at_least).unwrap_or(0)) {
            out.push(unexplained.deliver(d));
        }
        return true;
    }
    if final_total && at_most < n {
        let keep = usize::try_from(at_most).unwrap_or(usize::MAX);
        for d in doubt.drain(keep..) {
            out.push(Resolution {
                purpose: d.purpose,
                amount: d.amount,
                delivered: None,
            });
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn packet(amount: u64, min: u64, max: u64, expires_at: u64) -> Doubtful {
        Doubtful {
            amount,
            min,
            max,
            purpose: Purpose::Paced,
            expires_at,
        }
    }

    /// (source amount delivered, source amount released, still in doubt).
    fn outcome(r: &[Resolution], doubt: &[Doubtful]) -> (u64, u64, usize) {
        let (d, n) = r.iter().fold((0, 0), |(d, n), x| match x.delivered {
            Some(_) => (d + x.amount, n),
            None => (d, n + x.amount),
        });
        (d, n, doubt.len())
    }

    const FINAL: u64 = 50 + SETTLE_MARGIN_MS;

    fn left(units: u64) -> Unexplained {
        Unexplained { units, slack: 0 }
    }

    #[test]
    fn all_arrived_resolves_all_before_expiry() {
        let mut doubt = vec![packet(1_000, 990, 1_000, 50); 3];
        let mut u = left(3_000);
        let r = resolve(&mut doubt, &mut u, 10);
        assert_eq!(outcome(&r, &doubt), (3_000, 0, 0));
        assert_eq!(u, Unexplained::default(), "every unit booked");
        let booked: u64 = r.iter().filter_map(|x| x.delivered).sum();
        assert_eq!(booked, 3_000);
    }

    #[test]
    fn nothing_arrived_waits_until_expiry_then_frees() {
        let mut doubt = vec![packet(1_000, 990, 1_000, 50); 2];
        assert!(resolve(&mut doubt, &mut left(0), 10).is_empty());
        assert_eq!(doubt.len(), 2, "a connector may still execute them");
        let r = resolve(&mut doubt, &mut left(0), FINAL);
        assert_eq!(outcome(&r, &doubt), (0, 2_000, 0));
    }

    #[test]
    fn packets_that_arrived_slightly_short_are_never_released() {
        // Eight packets each delivered 995 (the rate fell 0.5%).
        let mut doubt = vec![packet(1_000, 990, 1_000, 50); 8];
        let r = resolve(&mut doubt, &mut left(7_960), 10);
        assert_eq!(outcome(&r, &doubt), (8_000, 0, 0));
    }

    #[test]
    fn the_packet_that_must_have_arrived_is_found_whatever_its_age() {
        // A 500 and a 1,000 in doubt; only the 1,000 arrived.
        let mut doubt = vec![packet(500, 495, 500, 50), packet(1_000, 990, 1_000, 50)];
        let mut u = left(1_000);
        let r = resolve(&mut doubt, &mut u, 10);
        assert_eq!(outcome(&r, &doubt), (1_000, 0, 1), "the 500 waits");
        // Later, final: the 10 units left are the 1,000's slack.
        let r = resolve(&mut doubt, &mut u, FINAL);
        assert_eq!(
            outcome(&r, &doubt),
            (0, 500, 0),
            "then it provably never came"
        );
    }

    #[test]
    fn some_of_many_equal_packets_arrived() {
        // Twelve in doubt, ten arrived (two were lost on the way).
        let mut doubt = vec![packet(1_000, 990, 1_001, 50); 12];
        let mut u = left(10_000);
        let r = resolve(&mut doubt, &mut u, 10);
        assert_eq!(outcome(&r, &doubt), (10_000, 0, 2), "at least ten arrived");
        let r = resolve(&mut doubt, &mut u, FINAL);
        assert_eq!(outcome(&r, &doubt), (0, 2_000, 0), "and no more than ten");
    }

    #[test]
    fn an_ambiguous_total_stays_in_doubt() {
        // A 1,000 and a 600 in doubt, 1,000 units arrived: the 1,000 alone,
        // or the 600 at a rate that rose. Neither is counted nor freed.
        let mut doubt = vec![packet(1_000, 990, 1_000, 50), packet(600, 594, 1_000, 50)];
        let r = resolve(&mut doubt, &mut left(1_000), FINAL);
        assert_eq!(outcome(&r, &doubt), (0, 0, 2));
    }
}
