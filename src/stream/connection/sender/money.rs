//! What the next paying packet carries: the budget's next purpose and
//! room, the receiver's window (and waiting for it), the path's packet
//! limits, and what finished (payments, the overall cap).

use super::doubt::ReceiverTotals;
use super::{
    Kind, Outgoing, Sender, SenderError, SenderEvent, MAX_CARRY_MS, RECEIVER_POLL_MS,
    RECEIVER_WAIT_MS, THROTTLE_BEHIND_MS,
};

/// A receiver whose window is full: since when, and when to ask again.
#[derive(Clone, Copy, Debug)]
pub(super) struct Blocked {
    pub(super) since: u64,
    pub(super) next_query: u64,
}

impl Sender {
    /// Destination units the receiver still accepts, counting what is in
    /// flight or in doubt.
    pub(super) fn receiver_room(&self) -> Option<u64> {
        let (receive_max, total_received) = self.receiver_limit?;
        if receive_max == u64::MAX || self.totals == ReceiverTotals::Absent {
            return None;
        }
        let pending = self
            .in_flight
            .iter()
            .filter(|p| matches!(p.kind, Kind::Money(_)))
            .map(|p| p.min_destination)
            .chain(self.doubt.iter().map(|d| d.max))
            .fold(0u64, u64::saturating_add);
        Some(
            receive_max
                .saturating_sub(total_received)
                .saturating_sub(pending),
        )
    }

    pub(super) fn next_money(&mut self, now: u64) -> Option<Outgoing> {
        // A query for the receiver's total must see nothing else moving.
        if self.query_in_flight() || self.query_due.is_some_and(|due| due <= now) {
            return None;
        }
        let (quantum, run_ahead) = self.quantum();
        let carry = self.budget.rate_per_second().saturating_mul(MAX_CARRY_MS) / 1000;
        let written_off = self.budget.release(now, quantum, run_ahead, carry);
        // Budget the cap or the receiver's window holds back is not the
        // path throttling us.
        let held_back =
            self.budget.cap_reached(self.min_deliverable().unwrap_or(1)) || self.blocked.is_some();
        let behind = written_off > 0
            || self.budget.owed()
                > (self
                    .budget
                    .rate_per_second()
                    .saturating_mul(THROTTLE_BEHIND_MS)
                    / 1000)
                    .saturating_add(quantum);
        self.update_throttle(behind && !held_back, now);
        let Some((purpose, mut want)) = self.budget.next() else {
            self.wanting = false;
            return None;
        };
        self.wanting = true;
        let smallest = self.min_deliverable().unwrap_or(1);
        if let Some(room) = self.receiver_room() {
            // Source units that deliver at most `room` even at the highest
            // rate the path may have: floor(room × sent / (delivered + 1)).
            let source_room = match self.rate.upper_bound() {
                Some((delivered_plus_one, sent)) => {
                    u64::try_from(u128::from(room) * u128::from(sent) / delivered_plus_one)
                        .unwrap_or(u64::MAX)
                }
                None => u64::MAX,
            };
            if source_room < smallest {
                return self.wait_for_receiver(now);
            }
            want = want.min(source_room);
        }
        self.blocked = None;
        if self.max_packet.is_zero() {
            self.fail(SenderError::RateTooLow);
            return None;
        }
        let limit = self.credit_cap.unwrap_or(u64::MAX);
        let mut amount = self.max_packet.next_amount(want).min(limit);
        // Leave no remainder too small to deliver anything: it could never
        // be sent, and a capped payment would never finish.
        let rest = want - amount;
        if rest > 0 && rest < smallest {
            let shrunk = want.saturating_sub(smallest);
            if shrunk >= smallest {
                amount = shrunk.min(amount);
            } else if self.max_packet.limit().is_none_or(|l| want <= l) && want <= limit {
                amount = want;
            }
        }
        let min_destination = self.rate.min_destination_amount(amount, self.slippage_ppm);
        if min_destination == 0 {
            // Never spend money on a packet that need not deliver anything.
            let largest = self.max_packet.limit().unwrap_or(u64::MAX);
            if self.rate.min_destination_amount(largest, self.slippage_ppm) == 0 {
                self.fail(SenderError::RateTooLow);
            }
            // Otherwise wait until the budget allows a larger packet.
            return None;
        }
        self.build(Kind::Money(purpose), amount, min_destination, now)
    }

    /// The receiver's window is full: wait a while for it to be raised,
    /// asking now and then, before giving up.
    pub(super) fn wait_for_receiver(&mut self, now: u64) -> Option<Outgoing> {
        if self.money_in_flight() {
            return None; // their replies will tell
        }
        let b = *self.blocked.get_or_insert(Blocked {
            since: now,
            next_query: now,
        });
        if now.saturating_sub(b.since) >= RECEIVER_WAIT_MS {
            self.fail(SenderError::ReceiverLimit);
            return None;
        }
        if b.next_query <= now && !self.query_in_flight() {
            self.blocked = Some(Blocked {
                since: b.since,
                next_query: now.saturating_add(RECEIVER_POLL_MS),
            });
            return self.build(Kind::Query, 0, 0, now);
        }
        None
    }

    /// After a look at the budget: finished payments and the overall cap.
    pub(super) fn after_money(&mut self, now: u64) {
        self.tick_trouble(now);
        let smallest = self.min_deliverable().unwrap_or(1);
        let can_resolve = self.query_due.is_some();
        while let Some(done) = self.budget.poll_done(smallest, can_resolve) {
            self.events.push_back(SenderEvent::PaymentDone(done));
        }
        if !self.cap_reported
            && self.budget.max_total().is_some()
            && self.budget.cap_reached(smallest)
            && self.budget.total().in_flight == 0
            && (self.doubt.is_empty() || !can_resolve)
        {
            self.cap_reported = true;
            self.events.push_back(SenderEvent::CapReached);
        }
    }
}
