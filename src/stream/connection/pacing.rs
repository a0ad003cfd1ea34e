//! Pacing: a send budget that grows with active time.
//!
//! [`Pacer`] answers "how much may have been sent by now?". The answer grows
//! at `rate_per_second` source units per second of *active* (not paused)
//! time, measured from the timestamps the caller passes in. It is driven by
//! a clock, not by counting timer ticks, because browsers throttle timers in
//! background tabs: a tick may arrive seconds late, and the budget must then
//! reflect the time that really passed, up to a cap.

/// Default for [`Pacer::set_max_catch_up_ms`]: at most 3 seconds of budget
/// are credited for one gap between accruals.
pub const DEFAULT_MAX_CATCH_UP_MS: u64 = 3_000;

/// Milliseconds per second, the divisor of the accrual.
const MS_PER_SECOND: u128 = 1_000;

/// A budget that grows at a rate with elapsed active time.
///
/// # Invariants
///
/// - `earned` never decreases.
/// - Paused time adds nothing.
/// - Exact accounting: let `credited` be the sum over accrual gaps of
///   `min(gap_ms, max_catch_up_ms) × rate` (with the rate in force during
///   that gap). Then `earned × 1000 + remainder = credited` exactly, with
///   `remainder < 1000`, so `earned = floor(credited / 1000)`: it never
///   exceeds `rate × active_ms / 1000` and, when no cap was hit, falls short
///   of it by less than one unit. There is no drift however the calls are
///   split. (`earned` saturates at `u64::MAX` instead of overflowing.)
/// - A gap between two accruals never credits more than
///   `max_catch_up_ms` worth of budget.
///
/// An accrual happens on every `&mut self` method that takes `now_ms`, so a
/// caller that polls the pacer regularly gets the full rate, and one whose
/// timers were throttled for minutes gets at most the catch-up cap.
///
/// A timestamp earlier than the last one seen (a clock step backwards)
/// credits nothing and does not move the pacer's notion of "last" back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pacer {
    /// Source units per second of active time.
    rate_per_second: u64,
    /// Whether accrual is stopped.
    paused: bool,
    /// Time of the last accrual (meaningful while not paused).
    last_ms: u64,
    /// Whole units earned so far.
    earned: u64,
    /// Sub-unit remainder, in thousandths of a unit; always `< 1000`.
    remainder: u128,
    /// Largest gap credited by one accrual.
    max_catch_up_ms: u64,
}

impl Pacer {
    /// Creates a paused pacer that will grow at `rate_per_second` once
    /// [`resume`](Self::resume)d. Nothing is earned yet.
    pub fn new(rate_per_second: u64) -> Self {
        Self {
            rate_per_second,
            paused: true,
            last_ms: 0,
            earned: 0,
            remainder: 0,
            max_catch_up_ms: DEFAULT_MAX_CATCH_UP_MS,
        }
    }

    /// Starts or resumes accruing from `now_ms`. Resuming a running pacer
    /// only accrues up to `now_ms`.
    pub fn resume(&mut self, now_ms: u64) {
        if self.paused {
            self.paused = false;
            self.last_ms = now_ms;
        } else {
            self.accrue(now_ms);
        }
    }

    /// Accrues up to `now_ms`, then stops: time until the next
    /// [`resume`](Self::resume) adds nothing.
    pub fn pause(&mut self, now_ms: u64) {
        self.accrue(now_ms);
        self.paused = true;
    }

    /// Changes the rate. Time up to `now_ms` is credited at the old rate
    /// first; the new rate applies from `now_ms` on.
    pub fn set_rate(&mut self, now_ms: u64, rate_per_second: u64) {
        self.accrue(now_ms);
        self.rate_per_second = rate_per_second;
    }

    /// Sets the largest gap between accruals that is credited in full
    /// (default [`DEFAULT_MAX_CATCH_UP_MS`]). Values below 1 ms are raised to
    /// 1 ms. Takes effect from the next accrual.
    pub fn set_max_catch_up_ms(&mut self, max_catch_up_ms: u64) {
        self.max_catch_up_ms = max_catch_up_ms.max(1);
    }

    /// The current rate, in source units per second.
    pub fn rate_per_second(&self) -> u64 {
        self.rate_per_second
    }

    /// The largest gap between accruals that is credited in full.
    pub fn max_catch_up_ms(&self) -> u64 {
        self.max_catch_up_ms
    }

    /// Whether accrual is stopped.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Accrues up to `now_ms` and returns the total amount allowed so far.
    /// Never decreases.
    pub fn earned(&mut self, now_ms: u64) -> u64 {
        self.accrue(now_ms);
        self.earned
    }

    /// Accrues up to `now_ms` and returns when [`earned`](Self::earned) will
    /// have grown by `want`, for scheduling a timer.
    ///
    /// Returns `Some(now_ms)` when `want` is 0, and `None` when paused or
    /// the rate is 0 (no amount of waiting helps). If `want` needs longer
    /// than the catch-up cap, the time returned is `now_ms + max_catch_up_ms`
    /// instead: waking later would lose budget to the cap, so the caller
    /// should wake then, accrue, and ask again.
    pub fn next_wake(&mut self, now_ms: u64, want: u64) -> Option<u64> {
        self.accrue(now_ms);
        if self.paused || self.rate_per_second == 0 {
            return None;
        }
        if want == 0 {
            return Some(now_ms);
        }
        // Thousandths still missing; positive because want >= 1 and
        // remainder < 1000.
        let need = u128::from(want)
            .saturating_mul(MS_PER_SECOND)
            .saturating_sub(self.remainder);
        let rate = u128::from(self.rate_per_second);
        // ceil(need / rate) without overflow: rate > 0 here.
        let wait = need / rate + u128::from(need % rate != 0);
        let wait = u64::try_from(wait)
            .unwrap_or(u64::MAX)
            .min(self.max_catch_up_ms);
        // The wake time is measured from the last accrual, which equals
        // now_ms unless the clock stepped back.
        Some(self.last_ms.max(now_ms).saturating_add(wait))
    }

    /// Credits the active time since the last accrual, capped.
    fn accrue(&mut self, now_ms: u64) {
        if self.paused || now_ms <= self.last_ms {
            return;
        }
        let gap = (now_ms - self.last_ms).min(self.max_catch_up_ms);
        self.last_ms = now_ms;
        let total = self
            .remainder
            .saturating_add(u128::from(gap).saturating_mul(u128::from(self.rate_per_second)));
        let whole = u64::try_from(total / MS_PER_SECOND).unwrap_or(u64::MAX);
        self.remainder = total % MS_PER_SECOND;
        self.earned = self.earned.saturating_add(whole);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn new_pacer_is_paused_and_earns_nothing() {
        let mut p = Pacer::new(1_000);
        assert!(p.is_paused());
        assert_eq!(p.earned(5_000), 0);
        assert_eq!(p.next_wake(5_000, 1), None);
    }

    #[test]
    fn earns_rate_per_second_of_active_time() {
        let mut p = Pacer::new(1_000);
        p.resume(10_000);
        assert_eq!(p.earned(10_500), 500);
        assert_eq!(p.earned(11_000), 1_000);
    }

    #[test]
    fn keeps_sub_unit_remainder_without_drift() {
        // 3 units/s polled every millisecond: each step earns 0.003.
        let mut p = Pacer::new(3);
        p.resume(0);
        for t in 1..=1_000 {
            let e = p.earned(t);
            assert_eq!(e, 3 * t / 1_000);
        }
        assert_eq!(p.earned(1_000), 3);
    }

    #[test]
    fn paused_time_adds_nothing() {
        let mut p = Pacer::new(1_000);
        p.resume(0);
        p.pause(1_000);
        assert_eq!(p.earned(2_000), 1_000);
        p.resume(2_000);
        assert_eq!(p.earned(2_500), 1_500);
    }

    #[test]
    fn set_rate_credits_old_rate_up_to_now() {
        let mut p = Pacer::new(1_000);
        p.resume(0);
        p.set_rate(1_000, 10);
        assert_eq!(p.earned(1_000), 1_000);
        assert_eq!(p.earned(2_000), 1_010);
    }

    #[test]
    fn throttled_gap_credits_only_the_catch_up_cap() {
        let mut p = Pacer::new(1_000);
        p.resume(0);
        assert_eq!(p.earned(60_000), 3_000);
        p.set_max_catch_up_ms(10_000);
        assert_eq!(p.earned(80_000), 13_000);
    }

    #[test]
    fn clock_stepping_back_credits_nothing() {
        let mut p = Pacer::new(1_000);
        p.resume(10_000);
        assert_eq!(p.earned(11_000), 1_000);
        assert_eq!(p.earned(5_000), 1_000);
        assert_eq!(p.earned(11_500), 1_500);
    }

    #[test]
    fn huge_rate_saturates_instead_of_overflowing() {
        let mut p = Pacer::new(u64::MAX);
        p.set_max_catch_up_ms(u64::MAX);
        p.resume(0);
        assert_eq!(p.earned(u64::MAX), u64::MAX);
        assert_eq!(p.earned(u64::MAX), u64::MAX);
    }

    #[test]
    fn next_wake_is_when_want_has_been_earned() {
        let mut p = Pacer::new(3);
        p.resume(0);
        // 1 unit needs 334 ms at 3/s (333 ms gives only 0.999).
        let at = p.next_wake(0, 1).unwrap();
        assert_eq!(at, 334);
        assert_eq!(p.earned(at - 1), 0);
        assert_eq!(p.earned(at), 1);
        assert_eq!(p.next_wake(at, 0), Some(at));
    }

    #[test]
    fn next_wake_is_capped_and_none_without_rate() {
        let mut p = Pacer::new(1);
        p.resume(0);
        assert_eq!(p.next_wake(0, 1_000), Some(DEFAULT_MAX_CATCH_UP_MS));
        p.set_rate(0, 0);
        assert_eq!(p.next_wake(0, 1), None);
        p.set_rate(0, u64::MAX);
        assert_eq!(p.next_wake(0, u64::MAX), Some(1_000));
    }

    /// xorshift64*: a tiny deterministic PRNG for the invariant test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn random_operation_sequences_keep_the_invariants() {
        for seed in 1..=200_u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let cap = 1 + rng.below(5_000);
            let mut p = Pacer::new(rng.below(10_000));
            p.set_max_catch_up_ms(cap);
            // Model: thousandths credited with and without the cap.
            let mut credited: u128 = 0;
            let mut uncapped: u128 = 0;
            let mut running = false;
            let mut last = 0_u64;
            let mut now = rng.below(1 << 40);
            let mut prev_earned = 0;
            for _ in 0..300 {
                now += if rng.below(10) == 0 {
                    rng.below(20_000)
                } else {
                    rng.below(700)
                };
                let rate = p.rate_per_second();
                if running {
                    let gap = now - last;
                    credited += u128::from(gap.min(cap)) * u128::from(rate);
                    uncapped += u128::from(gap) * u128::from(rate);
                }
                let was_paused = p.is_paused();
                let before = p.clone();
                match rng.below(5) {
                    0 => {
                        p.pause(now);
                        running = false;
                    }
                    1 => {
                        p.resume(now);
                        running = true;
                    }
                    2 => p.set_rate(now, rng.below(10_000)),
                    3 => {
                        let _ = p.next_wake(now, rng.below(100));
                    }
                    _ => {}
                }
                last = now;
                let e = p.earned(now);
                assert!(e >= prev_earned, "seed {seed}: earned went down");
                assert!(u128::from(e) * 1_000 <= uncapped, "seed {seed}: over rate");
                assert_eq!(u128::from(e), credited / 1_000, "seed {seed}: drift");
                if was_paused {
                    assert_eq!(e, before.earned, "seed {seed}: paused time added budget");
                }
                prev_earned = e;
            }
        }
    }
}
