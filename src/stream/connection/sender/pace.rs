//! When the sender may spend: pacing (quanta of budget released with
//! time), whether the path keeps up with the rate (throttle), and how long
//! it has been trying to send through temporary rejects (the trouble clock).

use super::{
    Phase, Sender, SenderError, SenderEvent, PACING_QUANTUM_MS, RATE_WINDOW_MS, THROTTLE_CLEAR_MS,
    TROUBLE_TIMEOUT_MS,
};

/// Temporary rejects with no fulfill since: why, and for how long the
/// sender has been trying to send meanwhile.
#[derive(Clone, Debug)]
pub(super) struct Trouble {
    pub(super) cause: SenderError,
    /// Time spent trying to send since the trouble began.
    pub(super) trying_ms: u64,
    /// When the current stretch of trying began, if trying now.
    pub(super) since: Option<u64>,
}

/// Whether the path carries the paced rate.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Throttle {
    pub(super) throttled: bool,
    /// When the stream was last behind the paced rate.
    pub(super) last_behind: Option<u64>,
    /// Start of the current measuring window: (time, paced units sent).
    pub(super) window: Option<(u64, u64)>,
    pub(super) achieved_per_second: u64,
}

impl Sender {
    /// Pacing runs while the connection pays, the link is up and the page
    /// has not paused it.
    pub(super) fn sync_pacer(&mut self, now: u64) {
        let on =
            self.link_up && !self.budget.is_paused() && matches!(self.phase, Phase::Open { .. });
        self.budget.set_accruing(on, now);
    }

    /// Paced budget is released in quanta: a tick's worth, or a full packet
    /// if the path's maximum is smaller; for a coarse receiver, the smallest
    /// packet that delivers one unit, and then without running ahead.
    /// Returns (quantum, run ahead).
    pub(super) fn quantum(&self) -> (u64, bool) {
        let rate = self.budget.rate_per_second();
        let tick = rate.saturating_mul(PACING_QUANTUM_MS) / 1000;
        let quantum = self
            .max_packet
            .limit()
            .unwrap_or(u64::MAX)
            .min(self.credit_cap.unwrap_or(u64::MAX))
            .min(tick)
            .max(1);
        match self.min_deliverable() {
            Some(smallest) if smallest > quantum => (smallest, false),
            _ => (quantum, true),
        }
    }

    /// Counts trying time toward the trouble clock and fails once it is up.
    pub(super) fn tick_trouble(&mut self, now: u64) {
        let money_in_flight = self.budget.total().in_flight > 0;
        let trying = self.link_up && (self.wanting || money_in_flight) && self.blocked.is_none();
        let Some(t) = self.trouble.as_mut() else {
            return;
        };
        if let Some(since) = t.since {
            t.trying_ms = t.trying_ms.saturating_add(now.saturating_sub(since));
        }
        t.since = trying.then_some(now);
        if t.trying_ms >= TROUBLE_TIMEOUT_MS {
            let cause = t.cause.clone();
            self.trouble = None;
            self.fail(cause);
        }
    }

    pub(super) fn update_throttle(&mut self, behind: bool, now: u64) {
        let paced_sent = self.budget.paced().sent;
        let t = &mut self.throttle;
        let rate = |start: u64, sent: u64| {
            let ms = now.saturating_sub(start).max(1);
            u64::try_from(u128::from(paced_sent.saturating_sub(sent)) * 1000 / u128::from(ms))
                .unwrap_or(u64::MAX)
        };
        match t.window {
            Some((start, sent)) if now.saturating_sub(start) >= RATE_WINDOW_MS => {
                t.achieved_per_second = rate(start, sent);
                t.window = Some((now, paced_sent));
            }
            Some(_) => {}
            None => t.window = Some((now, paced_sent)),
        }
        if behind {
            t.last_behind = Some(now);
        }
        let throttled = t
            .last_behind
            .is_some_and(|at| now.saturating_sub(at) < THROTTLE_CLEAR_MS);
        if throttled != t.throttled {
            t.throttled = throttled;
            // Before a whole window was measured, report the part so far.
            let achieved = match t.window {
                Some((start, sent)) if t.achieved_per_second == 0 && now > start => {
                    rate(start, sent)
                }
                _ => t.achieved_per_second,
            };
            self.events.push_back(SenderEvent::Throttled {
                throttled,
                achieved_per_second: achieved,
            });
        }
    }
}
