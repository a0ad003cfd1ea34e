//! Congestion control: how many packets may be in flight.
//!
//! [`Congestion`] is an AIMD window counted in packets, plus a send delay
//! after temporary errors. Amount limits are not its business: the path's
//! maximum packet amount is [`MaxPacket`](super::MaxPacket)'s, and the
//! money rate is [`Pacer`](super::Pacer)'s.

/// Window when a connection starts, in packets.
pub const INITIAL_WINDOW: u32 = 2;

/// Default largest window, in packets.
pub const DEFAULT_MAX_WINDOW: u32 = 32;

/// First send delay after a temporary error, in milliseconds.
pub const INITIAL_BACKOFF_MS: u64 = 100;

/// Largest send delay after repeated temporary errors, in milliseconds.
pub const MAX_BACKOFF_MS: u64 = 10_000;

/// What a reject code means for congestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// T04 (too much money in flight or per second), T02, T03, T05 (too
    /// many packets): shrink the window and pause.
    ShrinkAndDelay,
    /// Other T codes: the path is unwell, not overloaded by us. Pause.
    Delay,
    /// F and R codes, and anything unrecognised: not about congestion.
    None,
}

impl Signal {
    fn of(code: [u8; 3]) -> Self {
        match code {
            [b'T', b'0', b'2' | b'3' | b'4' | b'5'] => Self::ShrinkAndDelay,
            [b'T', ..] => Self::Delay,
            _ => Self::None,
        }
    }
}

/// An AIMD window of packets in flight, with a send delay after temporary
/// errors.
///
/// - Starts at [`INITIAL_WINDOW`] packets in *slow start*: each fulfill adds
///   one packet, so the window doubles every round trip.
/// - The first shrink signal ends slow start for good. After that, the
///   window grows by one packet per window's worth of fulfills (counted
///   exactly with an integer counter).
/// - `T04` (Insufficient Liquidity: a balance limit, or a money throughput
///   limit that recovers by itself), `T05` (Rate Limited), and `T02`/`T03`
///   (Peer/Connector Busy, which the ILP spec says a rate-limiting
///   connector should send instead of `T05`) halve the window and impose a
///   send delay, so a throttled path is not hammered.
/// - Other `T` codes (`T00`, `T01`, `T99`, unknown) impose the delay only:
///   they say the path is unwell, not that we sent too much, so the window
///   keeps its size (and slow start, if still on, continues).
/// - `F` and `R` codes are not congestion signals and change nothing.
///
/// The delay starts at [`INITIAL_BACKOFF_MS`] and doubles with each delaying
/// reject up to [`MAX_BACKOFF_MS`]. A reject that arrives while a delay is
/// in force extends nothing and does not escalate it: with
/// [`can_send`](Self::can_send) honoured, that packet was sent before the
/// delay began. A fulfill ends any delay and resets it to the start value.
///
/// # Invariants
///
/// - `1 <= window() <= max_window()`.
/// - The additive-increase counter is below the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Congestion {
    /// Packets allowed in flight.
    window: u32,
    /// Upper bound on `window`.
    max_window: u32,
    /// Whether the window still grows by one per fulfill.
    slow_start: bool,
    /// Fulfills counted towards the next additive increase.
    fulfills: u32,
    /// Delay the next delaying reject will impose.
    backoff_ms: u64,
    /// Until when sending is paused, if a delay was imposed.
    backoff_until: Option<u64>,
}

impl Default for Congestion {
    fn default() -> Self {
        Self::new()
    }
}

impl Congestion {
    /// Creates a controller with a window of [`INITIAL_WINDOW`] packets, in
    /// slow start, with a maximum of [`DEFAULT_MAX_WINDOW`].
    pub fn new() -> Self {
        Self {
            window: INITIAL_WINDOW,
            max_window: DEFAULT_MAX_WINDOW,
            slow_start: true,
            fulfills: 0,
            backoff_ms: INITIAL_BACKOFF_MS,
            backoff_until: None,
        }
    }

    /// Sets the largest window (raised to at least 1). A window above the
    /// new maximum shrinks to it.
    pub fn set_max_window(&mut self, max_window: u32) {
        self.max_window = max_window.max(1);
        self.window = self.window.min(self.max_window);
        self.fulfills = self.fulfills.min(self.window.saturating_sub(1));
    }

    /// The largest window.
    pub fn max_window(&self) -> u32 {
        self.max_window
    }

    /// Packets allowed in flight now (at least 1).
    pub fn window(&self) -> u32 {
        self.window
    }

    /// Whether the window still grows by one packet per fulfill.
    pub fn in_slow_start(&self) -> bool {
        self.slow_start
    }

    /// The end of the current send delay, if one was imposed and no fulfill
    /// has ended it since. It may already be in the past.
    pub fn backoff_until(&self) -> Option<u64> {
        self.backoff_until
    }

    /// Whether another packet may be sent with `in_flight` packets
    /// outstanding: there is room in the window and no delay is in force.
    pub fn can_send(&self, in_flight: u32, now_ms: u64) -> bool {
        in_flight < self.window && self.backoff_until.is_none_or(|until| now_ms >= until)
    }

    /// Records a fulfilled packet: grows the window and ends any delay.
    pub fn on_fulfill(&mut self) {
        self.backoff_ms = INITIAL_BACKOFF_MS;
        self.backoff_until = None;
        if self.slow_start {
            self.grow();
        } else {
            self.fulfills = self.fulfills.saturating_add(1);
            if self.fulfills >= self.window {
                self.fulfills = 0;
                self.grow();
            }
        }
    }

    /// Records a rejected packet with ILP error `code` (for example
    /// `*b"T04"`), received at `now_ms`. See the type docs for what each
    /// code does.
    pub fn on_reject(&mut self, code: [u8; 3], now_ms: u64) {
        match Signal::of(code) {
            Signal::ShrinkAndDelay => {
                self.shrink();
                self.delay(now_ms);
            }
            Signal::Delay => self.delay(now_ms),
            Signal::None => {}
        }
    }

    fn grow(&mut self) {
        self.window = self.window.saturating_add(1).min(self.max_window);
    }

    /// Multiplicative decrease: halve, at least 1; leave slow start.
    fn shrink(&mut self) {
        self.slow_start = false;
        self.window = (self.window / 2).max(1);
        self.fulfills = 0;
    }

    fn delay(&mut self, now_ms: u64) {
        if self.backoff_until.is_some_and(|until| now_ms < until) {
            return;
        }
        self.backoff_until = Some(now_ms.saturating_add(self.backoff_ms));
        self.backoff_ms = self.backoff_ms.saturating_mul(2).min(MAX_BACKOFF_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn starts_with_two_packets_in_slow_start() {
        let c = Congestion::new();
        assert_eq!(c.window(), INITIAL_WINDOW);
        assert!(c.in_slow_start());
        assert!(c.can_send(1, 0));
        assert!(!c.can_send(2, 0));
        assert_eq!(c.backoff_until(), None);
    }

    #[test]
    fn slow_start_doubles_window_each_round() {
        let mut c = Congestion::new();
        // One round: a window's worth of fulfills.
        for _ in 0..2 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 4);
        for _ in 0..4 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 8);
    }

    #[test]
    fn window_never_exceeds_max() {
        let mut c = Congestion::new();
        for _ in 0..1_000 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), DEFAULT_MAX_WINDOW);
        c.set_max_window(5);
        assert_eq!(c.window(), 5);
        c.set_max_window(0);
        assert_eq!((c.max_window(), c.window()), (1, 1));
    }

    #[test]
    fn slow_start_ends_on_first_t04() {
        let mut c = Congestion::new();
        for _ in 0..6 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 8);
        c.on_reject(*b"T04", 0);
        assert!(!c.in_slow_start());
        assert_eq!(c.window(), 4);
        // Additive increase: one packet per window's worth of fulfills.
        for _ in 0..3 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 4);
        c.on_fulfill();
        assert_eq!(c.window(), 5);
        for _ in 0..5 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 6);
    }

    #[test]
    fn t04_halves_window_but_never_below_one() {
        let mut c = Congestion::new();
        c.set_max_window(u32::MAX);
        for _ in 0..13 {
            c.on_fulfill();
        }
        assert_eq!(c.window(), 15);
        c.on_reject(*b"T04", 0);
        assert_eq!(c.window(), 7);
        for _ in 0..10 {
            c.on_reject(*b"T04", 0);
        }
        assert_eq!(c.window(), 1);
        assert!(
            !c.can_send(0, 0),
            "T04 delays: a throttled path is not hammered"
        );
        assert!(c.can_send(0, INITIAL_BACKOFF_MS));
    }

    #[test]
    fn t05_delays_sending() {
        let mut c = Congestion::new();
        c.on_fulfill();
        c.on_fulfill();
        c.on_reject(*b"T05", 1_000);
        assert_eq!(c.window(), 2);
        assert!(!c.in_slow_start());
        assert_eq!(c.backoff_until(), Some(1_100));
        assert!(!c.can_send(0, 1_099));
        assert!(c.can_send(0, 1_100));
    }

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        let mut c = Congestion::new();
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..10 {
            c.on_reject(*b"T01", now);
            let until = c.backoff_until().unwrap();
            delays.push(until - now);
            now = until;
        }
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000, 10_000]
        );
    }

    #[test]
    fn rejects_during_backoff_do_not_escalate_it() {
        let mut c = Congestion::new();
        c.on_reject(*b"T05", 0);
        c.on_reject(*b"T05", 50);
        assert_eq!(c.backoff_until(), Some(100));
        c.on_reject(*b"T05", 100);
        assert_eq!(c.backoff_until(), Some(300));
    }

    #[test]
    fn fulfill_resets_backoff() {
        let mut c = Congestion::new();
        c.on_reject(*b"T03", 0);
        c.on_reject(*b"T03", 100);
        c.on_fulfill();
        assert_eq!(c.backoff_until(), None);
        assert!(c.can_send(0, 101));
        c.on_reject(*b"T03", 500);
        assert_eq!(c.backoff_until(), Some(600));
    }

    #[test]
    fn other_t_codes_delay_without_shrinking() {
        for code in [*b"T00", *b"T01", *b"T99", *b"T42"] {
            let mut c = Congestion::new();
            c.on_fulfill();
            c.on_reject(code, 0);
            assert_eq!(c.window(), 3);
            assert!(c.in_slow_start());
            assert_eq!(c.backoff_until(), Some(100));
        }
    }

    #[test]
    fn busy_codes_shrink_like_rate_limited() {
        for code in [*b"T02", *b"T03"] {
            let mut c = Congestion::new();
            c.on_reject(code, 0);
            assert_eq!(c.window(), 1);
            assert_eq!(c.backoff_until(), Some(100));
        }
    }

    #[test]
    fn final_and_relative_codes_change_nothing() {
        for code in [*b"F08", *b"F99", *b"F02", *b"R00", *b"R01", *b"X99"] {
            let mut c = Congestion::new();
            c.on_reject(code, 0);
            assert_eq!(c, Congestion::new());
        }
    }

    #[test]
    fn window_stays_in_range_under_any_sequence() {
        let mut c = Congestion::new();
        let mut x = 0x2545_f491_u64;
        for step in 0..10_000_u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 4 {
                0 | 1 => c.on_fulfill(),
                2 => c.on_reject(*b"T04", step),
                _ => c.on_reject(*b"T05", step),
            }
            assert!((1..=c.max_window()).contains(&c.window()));
            assert!(c.fulfills < c.window());
        }
    }
}
