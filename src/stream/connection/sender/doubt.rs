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
    /// Destination units it would deliver at the rate known when it was sent.
    pub(super) expected: u64,
    pub(super) purpose: Purpose,
    pub(super) expires_at: u64,
}

/// How one in-doubt packet was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resolution {
    pub(super) purpose: Purpose,
    pub(super) amount: u64,
    /// Destination units it delivered, or `None`: it never arrived.
    pub(super) delivered: Option<u64>,
}

/// Resolves `doubt` against `missing`: destination units the receiver has
/// that we did not count. Returns the resolutions and leaves in `doubt` the
/// packets still undecided.
///
/// Packets whose expected delivery fits what is missing are taken as
/// delivered, oldest first. Once every packet has expired (`now` past its
/// expiry and the margin), the total is final: units still unexplained are
/// covered by taking further packets as delivered (so the cap errs on the
/// side of paying less), and the rest as never delivered. Before that,
/// undecided packets wait. All of `missing` is always assigned when any
/// packet is resolved as delivered, so our delivered total then equals the
/// receiver's.
pub(super) fn resolve(doubt: &mut Vec<Doubtful>, missing: u64, now: u64) -> Vec<Resolution> {
    let final_total = doubt
        .iter()
        .all(|d| d.expires_at.saturating_add(SETTLE_MARGIN_MS) <= now);
    let mut left = missing;
    let mut delivered: Vec<(Doubtful, u64)> = Vec::new();
    let mut undecided = Vec::new();
    for d in doubt.drain(..) {
        if d.expected > 0 && d.expected <= left {
            left -= d.expected;
            delivered.push((d, d.expected));
        } else {
            undecided.push(d);
        }
    }
    if final_total {
        // Unexplained units: the rate moved since these were sent. Cover
        // them with further packets rather than risk sending money twice.
        while left > 0 && !undecided.is_empty() {
            let d = undecided.remove(0);
            let share = left.min(d.expected.max(1));
            left -= share;
            delivered.push((d, share));
        }
    }
    if let Some(last) = delivered.last_mut() {
        last.1 = last.1.saturating_add(left);
    }
    let mut out: Vec<Resolution> = delivered
        .into_iter()
        .map(|(d, units)| Resolution {
            purpose: d.purpose,
            amount: d.amount,
            delivered: Some(units),
        })
        .collect();
    if final_total {
        out.extend(undecided.drain(..).map(|d| Resolution {
            purpose: d.purpose,
            amount: d.amount,
            delivered: None,
        }));
    }
    *doubt = undecided;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn packet(amount: u64, expected: u64, expires_at: u64) -> Doubtful {
        Doubtful {
            amount,
            expected,
            purpose: Purpose::Paced,
            expires_at,
        }
    }

    fn delivered(r: &[Resolution]) -> (u64, u64) {
        r.iter().fold((0, 0), |(a, d), x| match x.delivered {
            Some(units) => (a + x.amount, d + units),
            None => (a, d),
        })
    }

    #[test]
    fn all_arrived_resolves_all_before_expiry() {
        let mut doubt = vec![packet(1_000, 1_000, 50); 3];
        let r = resolve(&mut doubt, 3_000, 10);
        assert_eq!(delivered(&r), (3_000, 3_000));
        assert!(doubt.is_empty());
    }

    #[test]
    fn nothing_arrived_waits_until_expiry_then_frees() {
        let mut doubt = vec![packet(1_000, 1_000, 50); 2];
        assert!(resolve(&mut doubt, 0, 10).is_empty());
        assert_eq!(doubt.len(), 2, "a connector may still execute them");
        let r = resolve(&mut doubt, 0, 50 + SETTLE_MARGIN_MS);
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|x| x.delivered.is_none()));
        assert!(doubt.is_empty());
    }

    #[test]
    fn a_partial_total_resolves_what_fits_and_the_rest_waits() {
        let mut doubt = vec![packet(1_000, 1_000, 50), packet(500, 500, 50)];
        let r = resolve(&mut doubt, 500, 10);
        assert_eq!(
            delivered(&r),
            (500, 500),
            "the smaller one fits; skip, don't stop"
        );
        assert_eq!(doubt.len(), 1);
    }

    #[test]
    fn after_expiry_unexplained_units_are_covered_not_freed() {
        // The rate rose: 1 500 arrived for packets expected to deliver 1 000 each.
        let mut doubt = vec![packet(1_000, 1_000, 50), packet(1_000, 1_000, 50)];
        let r = resolve(&mut doubt, 1_500, 50 + SETTLE_MARGIN_MS);
        assert_eq!(delivered(&r), (2_000, 1_500));
        // The rate fell: 900 arrived for a packet expected to deliver 1 000.
        let mut doubt = vec![packet(1_000, 1_000, 50)];
        let r = resolve(&mut doubt, 900, 50 + SETTLE_MARGIN_MS);
        assert_eq!(delivered(&r), (1_000, 900));
    }
    #[test]
    fn review_packets_that_arrived_slightly_short_are_never_released() {
        // Both arrived, at a rate 1% lower than when they were sent: the
        // total shows 1 980 missing. Neither may ever be freed.
        let mut doubt = vec![packet(1_000, 1_000, 50); 2];
        let first = resolve(&mut doubt, 1_980, 10);
        // Later, after expiry, the receiver's total shows nothing missing
        // (all 1 980 were assigned above).
        let later = resolve(&mut doubt, 0, 50 + SETTLE_MARGIN_MS);
        let released: u64 = first
            .iter()
            .chain(&later)
            .filter(|x| x.delivered.is_none())
            .map(|x| x.amount)
            .sum();
        assert_eq!(
            released, 0,
            "delivered money freed: {first:?} then {later:?}"
        );
    }
}
