//! Exchange-rate knowledge learned from probe replies.
//!
//! The sender judges every amount in its own units only: the rate is
//! "destination units reported per source unit sent", learned from
//! authentic (decrypted) STREAM replies, and never from asset codes or
//! scales the receiver claims. Connectors floor amounts, so a reply saying
//! `delivered` arrived for `sent` bounds the rate to the half-open interval
//! `[delivered / sent, (delivered + 1) / sent)`. Rates are kept as integer
//! ratios and compared by `u128` cross-multiplication; no floats.

/// Source amounts of a probe volley, before capping to the path maximum.
pub const PROBE_AMOUNTS: [u64; 5] = [1, 1_000, 1_000_000, 1_000_000_000, 1_000_000_000_000];

/// A rate is precise enough once the largest probe delivered at least this
/// much: three decimal digits.
pub const MIN_PRECISE_DELIVERED: u64 = 100;

/// Parts per million: the denominator of slippage.
const PPM: u128 = 1_000_000;

/// One reply: `delivered` destination units arrived for `sent` source units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    /// Source units sent; never 0.
    sent: u64,
    /// Destination units the receiver reported.
    delivered: u64,
}

impl Sample {
    /// Whether `self`'s lower bound is below `other`'s lower bound.
    fn lower_lt(self, other: Self) -> bool {
        u128::from(self.delivered) * u128::from(other.sent)
            < u128::from(other.delivered) * u128::from(self.sent)
    }

    /// Whether `self`'s exclusive upper bound is below `other`'s.
    fn upper_lt(self, other: Self) -> bool {
        // (d + 1) <= 2^64 and sent < 2^64, so each product fits in u128.
        (u128::from(self.delivered) + 1) * u128::from(other.sent)
            < (u128::from(other.delivered) + 1) * u128::from(self.sent)
    }

    /// Whether `self`'s lower bound is at or above `other`'s exclusive
    /// upper bound.
    fn lower_ge_upper(self, other: Self) -> bool {
        u128::from(self.delivered) * u128::from(other.sent)
            >= (u128::from(other.delivered) + 1) * u128::from(self.sent)
    }
}

/// What is known so far; exists once one usable sample arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bounds {
    /// The sample giving the greatest lower bound.
    lower: Sample,
    /// The sample giving the least exclusive upper bound.
    upper: Sample,
    /// The sample with the largest source amount.
    largest: Sample,
}

/// Bounds on the path's exchange rate, in destination units per source
/// unit.
///
/// # Invariants
///
/// - When known, `lower_bound < upper_bound` (the interval is never empty):
///   a sample whose interval does not overlap the current one replaces it
///   (the path's rate changed), and an overlapping sample narrows it.
/// - Samples with a source amount of 0 carry no information and are
///   ignored. A delivered amount of 0 is a real sample: it says the rate is
///   below `1 / sent`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeRate {
    bounds: Option<Bounds>,
}

impl ExchangeRate {
    /// Creates an unknown rate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an authentic reply: `delivered` destination units were
    /// reported for `sent` source units. Ignored when `sent` is 0.
    pub fn on_reply(&mut self, sent: u64, delivered: u64) {
        if sent == 0 {
            return;
        }
        let s = Sample { sent, delivered };
        let Some(b) = self.bounds.as_mut() else {
            self.bounds = Some(Bounds {
                lower: s,
                upper: s,
                largest: s,
            });
            return;
        };
        // Half-open intervals [ls, us) and [lc, uc) are disjoint exactly
        // when us <= lc or ls >= uc.
        let disjoint = b.lower.lower_ge_upper(s) || s.lower_ge_upper(b.upper);
        if disjoint {
            // The path's rate moved: start over from this sample.
            *b = Bounds {
                lower: s,
                upper: s,
                largest: s,
            };
        } else {
            if b.lower.lower_lt(s) {
                b.lower = s;
            }
            if s.upper_lt(b.upper) {
                b.upper = s;
            }
            if s.sent > b.largest.sent {
                b.largest = s;
            }
        }
    }

    /// Whether any usable reply has been recorded.
    pub fn is_known(&self) -> bool {
        self.bounds.is_some()
    }

    /// Whether the rate is usable for paying: the largest probe's delivered
    /// amount has at least three decimal digits, or that probe was as large
    /// as the path allows (`sent >= max_packet`), so no probe could do
    /// better. `max_packet` is the path's best known limit, if any.
    pub fn has_precision(&self, max_packet: Option<u64>) -> bool {
        self.bounds.is_some_and(|b| {
            b.largest.delivered >= MIN_PRECISE_DELIVERED
                || max_packet.is_some_and(|max| b.largest.sent >= max)
        })
    }

    /// The inclusive lower bound as `(numerator, denominator)`, if known.
    pub fn lower_bound(&self) -> Option<(u64, u64)> {
        self.bounds.map(|b| (b.lower.delivered, b.lower.sent))
    }

    /// The exclusive upper bound as `(numerator, denominator)`, if known.
    /// The numerator may be 2^64, hence `u128`.
    pub fn upper_bound(&self) -> Option<(u128, u64)> {
        self.bounds
            .map(|b| (u128::from(b.upper.delivered) + 1, b.upper.sent))
    }

    /// The least destination amount to accept for `source_amount`:
    /// `floor(source_amount × lower_bound × (1_000_000 − slippage_ppm) /
    /// 1_000_000)`, exact, saturating at `u64::MAX`. A `slippage_ppm` above
    /// one million counts as one million. 0 while the rate is unknown.
    pub fn min_destination_amount(&self, source_amount: u64, slippage_ppm: u32) -> u64 {
        let Some(b) = self.bounds else {
            return 0;
        };
        let keep = PPM - u128::from(slippage_ppm).min(PPM);
        let a = u128::from(source_amount) * u128::from(b.lower.delivered);
        // sent >= 1, so c >= 1_000_000 and fits: < 2^64 * 2^20.
        let c = u128::from(b.lower.sent) * PPM;
        // floor(a * keep / c) = (a / c) * keep + floor((a % c) * keep / c),
        // and (a % c) * keep < 2^84 * 2^20 cannot overflow.
        let whole = (a / c).saturating_mul(keep);
        let part = (a % c) * keep / c;
        u64::try_from(whole.saturating_add(part)).unwrap_or(u64::MAX)
    }

    /// Source amounts for a probe volley: [`PROBE_AMOUNTS`] capped to
    /// `max_packet`, ascending, without duplicates or zeros (so nothing when
    /// the path maximum is 0).
    pub fn probe_amounts(max_packet: Option<u64>) -> impl Iterator<Item = u64> {
        let cap = max_packet.unwrap_or(u64::MAX);
        PROBE_AMOUNTS
            .into_iter()
            .scan(0_u64, move |prev, amount| {
                let amount = amount.min(cap);
                if amount == *prev {
                    Some(None)
                } else {
                    *prev = amount;
                    Some(Some(amount))
                }
            })
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rate(samples: &[(u64, u64)]) -> ExchangeRate {
        let mut r = ExchangeRate::new();
        for &(sent, delivered) in samples {
            r.on_reply(sent, delivered);
        }
        r
    }

    #[test]
    fn unknown_rate_gives_zero_minimum() {
        let r = ExchangeRate::new();
        assert!(!r.is_known());
        assert!(!r.has_precision(None));
        assert_eq!(r.lower_bound(), None);
        assert_eq!(r.min_destination_amount(u64::MAX, 0), 0);
    }

    #[test]
    fn first_sample_sets_half_open_bounds() {
        let r = rate(&[(1_000, 1_234)]);
        assert!(r.is_known());
        assert_eq!(r.lower_bound(), Some((1_234, 1_000)));
        assert_eq!(r.upper_bound(), Some((1_235, 1_000)));
    }

    #[test]
    fn overlapping_samples_narrow_bounds() {
        // True rate 1.2345: the 1 000-unit probe floors to 1 234, the
        // 1 000 000-unit one to 1 234 500.
        let r = rate(&[(1, 1), (1_000, 1_234), (1_000_000, 1_234_500)]);
        assert_eq!(r.lower_bound(), Some((1_234_500, 1_000_000)));
        assert_eq!(r.upper_bound(), Some((1_234_501, 1_000_000)));
        // A coarser sample that still overlaps changes nothing.
        let again = rate(&[(1_000_000, 1_234_500), (1_000, 1_234)]);
        assert_eq!(again.lower_bound(), Some((1_234_500, 1_000_000)));
        assert_eq!(again.upper_bound(), Some((1_234_501, 1_000_000)));
    }

    #[test]
    fn out_of_bounds_sample_resets_bounds() {
        let mut r = rate(&[(1_000, 1_234), (1_000_000, 1_234_500)]);
        // The rate dropped to 0.5.
        r.on_reply(1_000, 500);
        assert_eq!(r.lower_bound(), Some((500, 1_000)));
        assert_eq!(r.upper_bound(), Some((501, 1_000)));
        // Exactly at the exclusive upper bound is outside too.
        r.on_reply(1_000, 501);
        assert_eq!(r.lower_bound(), Some((501, 1_000)));
        // And a sample whose upper bound equals the lower bound.
        r.on_reply(1_000, 500);
        assert_eq!(r.lower_bound(), Some((500, 1_000)));
    }

    #[test]
    fn zero_source_amount_is_ignored_but_zero_delivered_counts() {
        let mut r = ExchangeRate::new();
        r.on_reply(0, 5);
        assert!(!r.is_known());
        r.on_reply(1, 0);
        assert!(r.is_known());
        assert_eq!(r.lower_bound(), Some((0, 1)));
        assert_eq!(r.min_destination_amount(1_000_000, 0), 0);
        r.on_reply(1_000, 3);
        assert_eq!(r.lower_bound(), Some((3, 1_000)));
        assert_eq!(r.min_destination_amount(1_000_000, 0), 3_000);
    }

    #[test]
    fn precision_needs_three_digits_or_the_path_maximum() {
        let r = rate(&[(1, 0), (1_000, 99)]);
        assert!(!r.has_precision(None));
        assert!(!r.has_precision(Some(1_001)));
        assert!(r.has_precision(Some(1_000)));
        assert!(rate(&[(1_000, 100)]).has_precision(None));
    }

    #[test]
    fn largest_probe_is_forgotten_on_reset() {
        let mut r = rate(&[(1_000_000, 1_000_000)]);
        assert!(r.has_precision(None));
        r.on_reply(1, 0);
        assert!(!r.has_precision(None));
    }

    #[test]
    fn slippage_math_is_exact() {
        let r = rate(&[(1_000, 1_234)]);
        assert_eq!(r.min_destination_amount(1_000, 0), 1_234);
        // 1 234 × 0.99 = 1 221.66
        assert_eq!(r.min_destination_amount(1_000, 10_000), 1_221);
        assert_eq!(r.min_destination_amount(1_000, 999_999), 0);
        assert_eq!(r.min_destination_amount(1_000_000, 999_999), 1);
        assert_eq!(r.min_destination_amount(1_000, 1_000_000), 0);
        assert_eq!(r.min_destination_amount(1_000, u32::MAX), 0);
        assert_eq!(r.min_destination_amount(0, 0), 0);
    }

    #[test]
    fn slippage_math_at_u64_extremes() {
        let one = rate(&[(u64::MAX, u64::MAX)]);
        assert_eq!(one.min_destination_amount(u64::MAX, 0), u64::MAX);
        assert_eq!(
            one.min_destination_amount(u64::MAX, 999_999),
            u64::MAX / 1_000_000
        );
        let big = rate(&[(1, u64::MAX)]);
        assert_eq!(big.min_destination_amount(u64::MAX, 0), u64::MAX);
        assert_eq!(big.min_destination_amount(u64::MAX, 999_999), u64::MAX);
        let tiny = rate(&[(u64::MAX, 1)]);
        assert_eq!(tiny.min_destination_amount(u64::MAX, 0), 1);
        assert_eq!(tiny.min_destination_amount(u64::MAX - 1, 0), 0);
        assert_eq!(tiny.upper_bound(), Some((2, u64::MAX)));
        let top = rate(&[(1, u64::MAX)]);
        assert_eq!(top.upper_bound(), Some((1 << 64, 1)));
    }

    #[test]
    fn probe_amounts_are_capped_and_deduplicated() {
        let all: Vec<u64> = ExchangeRate::probe_amounts(None).collect();
        assert_eq!(all, PROBE_AMOUNTS);
        let capped: Vec<u64> = ExchangeRate::probe_amounts(Some(5_000)).collect();
        assert_eq!(capped, [1, 1_000, 5_000]);
        let at: Vec<u64> = ExchangeRate::probe_amounts(Some(1_000)).collect();
        assert_eq!(at, [1, 1_000]);
        let one: Vec<u64> = ExchangeRate::probe_amounts(Some(1)).collect();
        assert_eq!(one, [1]);
        assert_eq!(ExchangeRate::probe_amounts(Some(0)).count(), 0);
    }
}
