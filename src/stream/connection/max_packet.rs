//! Discovery of the path's maximum packet amount.
//!
//! A connector that will not forward an amount rejects it with F08 (Amount
//! Too Large), usually with 16 bytes of data: the amount it received and
//! the most it will forward, both in its own units. The sender scales that
//! back to its own units (`floor(sent × maximum / received)`). Without
//! usable data it only learns that `sent` was too much, and finds the limit
//! by binary search between the largest fulfilled amount and that bound.

/// The path's maximum packet amount, in source units.
///
/// # Invariants
///
/// - `verified() <= limit()` whenever a limit is known: a fulfill above the
///   limit raises the limit to it (the path has just proved it), and an F08
///   below the verified amount lowers the verified amount (the path
///   shrank).
/// - An F08 never raises a known limit.
/// - [`next_amount`](Self::next_amount) never exceeds the limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaxPacket {
    /// Best known inclusive upper bound, if any F08 was seen.
    limit: Option<u64>,
    /// Largest amount fulfilled so far (0 when none).
    verified: u64,
    /// Whether the limit came from a data-less F08, so amounts between
    /// `verified` and `limit` are still untested.
    searching: bool,
}

impl MaxPacket {
    /// Creates a controller that knows no limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// The best known inclusive upper bound on a packet's source amount,
    /// or `None` while no F08 has been seen.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The largest source amount fulfilled so far (0 before any fulfill).
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// Whether the limit is 0: the path forwards nothing, so no payment
    /// can succeed.
    pub fn is_zero(&self) -> bool {
        self.limit == Some(0)
    }

    /// Whether amounts between [`verified`](Self::verified) and
    /// [`limit`](Self::limit) are still being searched.
    pub fn is_searching(&self) -> bool {
        self.searching && self.limit.is_some_and(|limit| self.verified < limit)
    }

    /// Records an F08 reject of a packet of `sent` source units, with the
    /// reject's `(received, maximum)` data if it had any.
    ///
    /// Data is used only when `received > maximum` (otherwise it does not
    /// explain the reject and counts as absent); the new limit is then
    /// `floor(sent × maximum / received)`. Without usable data the limit
    /// becomes `sent − 1` and later amounts binary-search below it. A known
    /// limit is never raised. An F08 for an amount of 0 says nothing
    /// consistent and is ignored.
    pub fn on_amount_too_large(&mut self, sent: u64, data: Option<(u64, u64)>) {
        if sent == 0 {
            return;
        }
        let usable = data.filter(|&(received, maximum)| received > maximum);
        let candidate = match usable {
            // received > maximum >= 0, so the divisor is at least 1, and the
            // quotient is below `sent`, so it fits in u64.
            Some((received, maximum)) => {
                let scaled = u128::from(sent) * u128::from(maximum) / u128::from(received);
                u64::try_from(scaled).unwrap_or(sent - 1)
            }
            None => sent - 1,
        };
        if self.limit.is_some_and(|limit| candidate >= limit) {
            return;
        }
        self.limit = Some(candidate);
        self.searching = usable.is_none();
        self.verified = self.verified.min(candidate);
    }

    /// Records a fulfilled packet of `sent` source units.
    pub fn on_fulfill(&mut self, sent: u64) {
        self.verified = self.verified.max(sent);
        if let Some(limit) = self.limit {
            if limit <= self.verified {
                self.limit = Some(self.verified);
                self.searching = false;
            }
        }
    }

    /// The source amount to put in the next packet when `want` remains to
    /// be sent: `want` capped to the limit, or, while searching, to the
    /// midpoint of `(verified, limit]` (rounded up, so the search always
    /// moves).
    pub fn next_amount(&self, want: u64) -> u64 {
        let Some(limit) = self.limit else {
            return want;
        };
        let cap = if self.is_searching() {
            // verified < limit here, so the gap is at least 1.
            let gap = limit - self.verified;
            self.verified + gap / 2 + gap % 2
        } else {
            limit
        };
        want.min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unknown_limit_lets_any_amount_through() {
        let m = MaxPacket::new();
        assert_eq!(m.limit(), None);
        assert!(!m.is_zero());
        assert_eq!(m.next_amount(u64::MAX), u64::MAX);
    }

    #[test]
    fn f08_data_scales_limit_to_source_units() {
        let mut m = MaxPacket::new();
        // The connector got 65 535 of its units for our 1 000 and forwards
        // at most 255.
        m.on_amount_too_large(1_000, Some((65_535, 255)));
        assert_eq!(m.limit(), Some(3));
        assert!(!m.is_searching());
        assert_eq!(m.next_amount(1_000), 3);
        assert_eq!(m.next_amount(2), 2);
    }

    #[test]
    fn digest_vector_data_does_not_explain_the_reject() {
        // Digest §3.5 vector: received 255, maximum 65 535. Since
        // received <= maximum the data is ignored.
        let mut m = MaxPacket::new();
        m.on_amount_too_large(1_000, Some((255, 65_535)));
        assert_eq!(m.limit(), Some(999));
        assert!(m.is_searching());
        let mut equal = MaxPacket::new();
        equal.on_amount_too_large(1_000, Some((7, 7)));
        assert_eq!(equal.limit(), Some(999));
        let mut zero = MaxPacket::new();
        zero.on_amount_too_large(1_000, Some((0, 0)));
        assert_eq!(zero.limit(), Some(999));
    }

    #[test]
    fn f08_math_does_not_overflow() {
        let mut m = MaxPacket::new();
        m.on_amount_too_large(u64::MAX, Some((u64::MAX, u64::MAX - 1)));
        assert_eq!(m.limit(), Some(u64::MAX - 1));
        let mut n = MaxPacket::new();
        n.on_amount_too_large(u64::MAX, Some((u64::MAX, 0)));
        assert_eq!(n.limit(), Some(0));
        assert!(n.is_zero());
        assert_eq!(n.next_amount(5), 0);
    }

    #[test]
    fn f08_never_raises_a_known_limit() {
        let mut m = MaxPacket::new();
        m.on_amount_too_large(1_000, Some((1_000, 100)));
        assert_eq!(m.limit(), Some(100));
        m.on_amount_too_large(1_000, Some((1_000, 500)));
        assert_eq!(m.limit(), Some(100));
        m.on_amount_too_large(5_000, None);
        assert_eq!(m.limit(), Some(100));
        assert!(!m.is_searching());
    }

    #[test]
    fn f08_without_data_binary_searches() {
        let mut m = MaxPacket::new();
        m.on_fulfill(100);
        m.on_amount_too_large(1_001, None);
        assert_eq!(m.limit(), Some(1_000));
        // Midpoint of (100, 1000].
        assert_eq!(m.next_amount(u64::MAX), 550);
        assert_eq!(m.next_amount(300), 300);
        m.on_fulfill(550);
        assert_eq!(m.next_amount(u64::MAX), 775);
        m.on_amount_too_large(775, None);
        assert_eq!(m.next_amount(u64::MAX), 662);
    }

    #[test]
    fn binary_search_converges_on_the_true_limit() {
        for true_max in [0_u64, 1, 2, 3, 999, 1_000, 123_456_789, u64::MAX - 1] {
            let mut m = MaxPacket::new();
            let mut sent = u64::MAX;
            for _ in 0..200 {
                if sent > true_max {
                    m.on_amount_too_large(sent, None);
                } else {
                    m.on_fulfill(sent);
                }
                assert!(m.verified() <= m.limit().unwrap());
                if !m.is_searching() {
                    break;
                }
                sent = m.next_amount(u64::MAX);
            }
            assert!(!m.is_searching(), "{true_max}");
            assert_eq!(m.limit(), Some(true_max));
            assert_eq!(m.is_zero(), true_max == 0);
        }
    }

    #[test]
    fn fulfill_above_limit_raises_it() {
        let mut m = MaxPacket::new();
        m.on_amount_too_large(1_000, Some((1_000, 10)));
        m.on_fulfill(50);
        assert_eq!(m.limit(), Some(50));
        assert_eq!(m.verified(), 50);
    }

    #[test]
    fn f08_below_verified_means_the_path_shrank() {
        let mut m = MaxPacket::new();
        m.on_fulfill(1_000);
        m.on_amount_too_large(1_000, None);
        assert_eq!(m.limit(), Some(999));
        assert_eq!(m.verified(), 999);
        assert!(!m.is_searching());
        assert_eq!(m.next_amount(5_000), 999);
    }

    #[test]
    fn zero_amounts_change_nothing() {
        let mut m = MaxPacket::new();
        m.on_amount_too_large(0, None);
        m.on_amount_too_large(0, Some((10, 1)));
        m.on_fulfill(0);
        assert_eq!(m, MaxPacket::new());
        m.on_amount_too_large(1, None);
        assert!(m.is_zero());
        assert_eq!(m.next_amount(1), 0);
    }
}
