//! What the sender may spend: the paced budget, discrete payments and the
//! overall cap, each with its own ledger.
//!
//! Every paying packet is built for one purpose and booked in that
//! purpose's [`Ledger`] and in the total one. Money moves between columns
//! as the packet's fate is learnt:
//!
//! ```text
//! sent ──► in_flight ──► fulfilled (counted as sent)
//!                   ├──► rejected (free again)
//!                   └──► in_doubt ──► resolved: delivered (counted as sent)
//!                                            or not delivered (free again)
//! ```
//!
//! In-doubt money (the packet's reply was lost: the link dropped or the
//! request timed out) counts against every cap exactly like money in
//! flight, until the receiver's own total resolves it. Expiry alone never
//! frees it: a connector that got the Prepare may have executed it.

use std::collections::VecDeque;

use super::super::Pacer;

/// Identifies a discrete payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentId(pub u64);

/// What a paying packet pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    /// The paced stream.
    Paced,
    /// A discrete payment.
    Payment(PaymentId),
}

/// Source amounts in each column of the accounting.
///
/// Invariant: everything ever spent on this ledger equals
/// `sent + in_flight + in_doubt` plus what was rejected or resolved as not
/// delivered (which is free again and not kept).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Fulfilled, or resolved as delivered.
    pub sent: u64,
    /// Destination units the receiver reported for `sent`.
    pub delivered: u64,
    /// In packets awaiting their reply.
    pub in_flight: u64,
    /// In packets whose outcome is unknown.
    pub in_doubt: u64,
}

impl Ledger {
    /// Money spent or possibly spent: what counts against a cap.
    pub const fn committed(&self) -> u64 {
        self.sent
            .saturating_add(self.in_flight)
            .saturating_add(self.in_doubt)
    }
}

#[derive(Clone, Copy, Debug)]
struct Payment {
    id: PaymentId,
    amount: u64,
    ledger: Ledger,
}

/// A discrete payment that finished: what it sent, delivered and left in doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentOutcome {
    /// Which payment.
    pub id: PaymentId,
    /// The amount asked.
    pub amount: u64,
    /// Its ledger when it finished.
    pub ledger: Ledger,
}

/// The paced budget, the payments and the cap. See the [module docs](self).
#[derive(Clone, Debug)]
pub(super) struct Budget {
    pacer: Pacer,
    /// The page paused pacing.
    paused: bool,
    /// Paced budget released so far; never lowered.
    released: u64,
    /// Released paced budget written off: the path could not carry it
    /// (beyond the carry-over cap) or pacing stopped with it unspent.
    written_off: u64,
    paced: Ledger,
    payments: VecDeque<Payment>,
    next_payment: u64,
    max_total: Option<u64>,
    total: Ledger,
}

impl Budget {
    pub(super) fn new(amount_per_second: u64, max_total: Option<u64>) -> Self {
        Self {
            pacer: Pacer::new(amount_per_second),
            paused: false,
            released: 0,
            written_off: 0,
            paced: Ledger::default(),
            payments: VecDeque::new(),
            next_payment: 1,
            max_total,
            total: Ledger::default(),
        }
    }

    pub(super) const fn total(&self) -> &Ledger {
        &self.total
    }

    pub(super) const fn paced(&self) -> &Ledger {
        &self.paced
    }

    pub(super) fn rate_per_second(&self) -> u64 {
        self.pacer.rate_per_second()
    }

    pub(super) const fn is_paused(&self) -> bool {
        self.paused
    }

    /// Changes the paced rate from `now` on: time before `now` is credited
    /// at the old rate, so nothing already earned is lost or added.
    pub(super) fn set_rate(&mut self, now: u64, rate_per_second: u64) {
        self.pacer.set_rate(now, rate_per_second);
    }

    pub(super) fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub(super) const fn max_total(&self) -> Option<u64> {
        self.max_total
    }

    /// Starts or stops the pacer's accrual. When it stops, unspent paced
    /// budget is written off: nothing is owed for time not paced, so a
    /// resume never bursts.
    pub(super) fn set_accruing(&mut self, accruing: bool, now: u64) {
        if accruing != self.pacer.is_paused() {
            return;
        }
        if accruing {
            self.pacer.resume(now);
        } else {
            self.pacer.pause(now);
            self.write_off_owed(0);
        }
    }

    /// Released paced budget not yet spent.
    pub(super) fn owed(&self) -> u64 {
        self.released
            .saturating_sub(self.written_off)
            .saturating_sub(self.paced.committed())
    }

    /// Writes off owed budget above `keep`; returns how much.
    fn write_off_owed(&mut self, keep: u64) -> u64 {
        let excess = self.owed().saturating_sub(keep);
        self.written_off = self.written_off.saturating_add(excess);
        excess
    }

    /// Releases paced budget earned by `now` in whole `quantum`s, one
    /// quantum ahead when `run_ahead` (so the first packet leaves at once),
    /// and writes off what exceeds the carry-over cap (`carry` source
    /// units). Returns how much was written off.
    pub(super) fn release(&mut self, now: u64, quantum: u64, run_ahead: bool, carry: u64) -> u64 {
        if self.pacer.is_paused() || self.pacer.rate_per_second() == 0 {
            return 0;
        }
        let quantum = quantum.max(1);
        let earned = self.pacer.earned(now);
        let mut due = earned - earned % quantum;
        if run_ahead {
            due = due.saturating_add(quantum);
        }
        self.released = self.released.max(due);
        self.write_off_owed(carry.max(quantum))
    }

    /// When the next paced quantum is released, if pacing is on.
    pub(super) fn next_release(&mut self, now: u64, quantum: u64) -> Option<u64> {
        if self.pacer.is_paused() || self.pacer.rate_per_second() == 0 {
            return None;
        }
        let quantum = quantum.max(1);
        let earned = self.pacer.earned(now);
        let want = quantum - earned % quantum;
        self.pacer.next_wake(now, want)
    }

    /// Room left under the overall cap.
    fn cap_room(&self) -> u64 {
        self.max_total
            .map_or(u64::MAX, |max| max.saturating_sub(self.total.committed()))
    }

    /// Whether the overall cap leaves less than `smallest`.
    pub(super) fn cap_reached(&self, smallest: u64) -> bool {
        self.cap_room() < smallest.max(1)
    }

    /// What the next packet should pay for and how much it may carry: the
    /// paced budget first, then the oldest payment with room; never past
    /// the cap.
    pub(super) fn next(&self) -> Option<(Purpose, u64)> {
        let cap = self.cap_room();
        if cap == 0 {
            return None;
        }
        if !self.paused {
            let owed = self.owed();
            if owed > 0 {
                return Some((Purpose::Paced, owed.min(cap)));
            }
        }
        self.payments.iter().find_map(|p| {
            let room = p.amount.saturating_sub(p.ledger.committed());
            (room > 0).then_some((Purpose::Payment(p.id), room.min(cap)))
        })
    }

    /// Whether anything is wanted (room in a purpose and under the cap).
    pub(super) fn wants(&self) -> bool {
        self.next().is_some()
    }

    /// Adds a discrete payment of `amount`.
    pub(super) fn add_payment(&mut self, amount: u64) -> PaymentId {
        let id = PaymentId(self.next_payment);
        self.next_payment = self.next_payment.saturating_add(1);
        self.payments.push_back(Payment {
            id,
            amount,
            ledger: Ledger::default(),
        });
        id
    }

    fn ledgers(&mut self, purpose: Purpose) -> [Option<&mut Ledger>; 2] {
        let own = match purpose {
            Purpose::Paced => Some(&mut self.paced),
            Purpose::Payment(id) => self
                .payments
                .iter_mut()
                .find(|p| p.id == id)
                .map(|p| &mut p.ledger),
        };
        [own, Some(&mut self.total)]
    }

    fn each(&mut self, purpose: Purpose, f: impl Fn(&mut Ledger)) {
        for ledger in self.ledgers(purpose).into_iter().flatten() {
            f(ledger);
        }
    }

    /// A packet of `amount` left for `purpose`.
    pub(super) fn on_sent(&mut self, purpose: Purpose, amount: u64) {
        self.each(purpose, |l| {
            l.in_flight = l.in_flight.saturating_add(amount)
        });
    }

    /// It was fulfilled and delivered `delivered`.
    pub(super) fn on_fulfilled(&mut self, purpose: Purpose, amount: u64, delivered: u64) {
        self.each(purpose, |l| {
            l.in_flight = l.in_flight.saturating_sub(amount);
            l.sent = l.sent.saturating_add(amount);
            l.delivered = l.delivered.saturating_add(delivered);
        });
    }

    /// It was rejected: the money is free again.
    pub(super) fn on_rejected(&mut self, purpose: Purpose, amount: u64) {
        self.each(purpose, |l| {
            l.in_flight = l.in_flight.saturating_sub(amount)
        });
    }

    /// Its reply was lost: the money is in doubt.
    pub(super) fn on_doubt(&mut self, purpose: Purpose, amount: u64) {
        self.each(purpose, |l| {
            l.in_flight = l.in_flight.saturating_sub(amount);
            l.in_doubt = l.in_doubt.saturating_add(amount);
        });
    }

    /// In-doubt money was resolved: delivered (`Some(units)` booked to its
    /// purpose), or not at all. The total's delivered units come from the
    /// receiver's total instead ([`Budget::on_units_delivered`]).
    pub(super) fn on_resolved(&mut self, purpose: Purpose, amount: u64, delivered: Option<u64>) {
        for (i, l) in self.ledgers(purpose).into_iter().enumerate() {
            let Some(l) = l else { continue };
            l.in_doubt = l.in_doubt.saturating_sub(amount);
            if let Some(units) = delivered {
                l.sent = l.sent.saturating_add(amount);
                if i == 0 {
                    l.delivered = l.delivered.saturating_add(units);
                }
            }
        }
        if delivered.is_none() && purpose == Purpose::Paced {
            // Budget freed long after it was due is not sent again later:
            // it would be a burst the page never asked for.
            self.write_off_owed(0);
        }
    }

    /// The receiver's total shows `units` more than we had counted (money
    /// in doubt arrived).
    pub(super) fn on_units_delivered(&mut self, units: u64) {
        self.total.delivered = self.total.delivered.saturating_add(units);
    }

    /// Payments that are finished: nothing of them in flight, and their
    /// amount (less a remainder below `smallest`, which nothing can
    /// deliver) sent or in doubt. While `doubt_can_resolve`, a payment with
    /// money in doubt waits for it to be resolved.
    pub(super) fn poll_done(
        &mut self,
        smallest: u64,
        doubt_can_resolve: bool,
    ) -> Option<PaymentOutcome> {
        let i = self.payments.iter().position(|p| {
            let l = &p.ledger;
            l.in_flight == 0
                && p.amount.saturating_sub(l.committed()) < smallest.max(1)
                && (l.in_doubt == 0 || !doubt_can_resolve)
        })?;
        let p = self.payments.remove(i)?;
        Some(PaymentOutcome {
            id: p.id,
            amount: p.amount,
            ledger: p.ledger,
        })
    }

    /// Removes one unfinished payment (the page gave up on it); its packets
    /// in flight still settle, counted in the total only.
    pub(super) fn remove_payment(&mut self, id: PaymentId) -> Option<PaymentOutcome> {
        let i = self.payments.iter().position(|p| p.id == id)?;
        let p = self.payments.remove(i)?;
        Some(PaymentOutcome {
            id: p.id,
            amount: p.amount,
            ledger: p.ledger,
        })
    }

    /// Removes every unfinished payment (the stream ended).
    pub(super) fn take_payments(&mut self) -> Vec<PaymentOutcome> {
        self.payments
            .drain(..)
            .map(|p| PaymentOutcome {
                id: p.id,
                amount: p.amount,
                ledger: p.ledger,
            })
            .collect()
    }

    /// Whether any payment is unfinished.
    pub(super) fn payments_pending(&self) -> bool {
        !self.payments.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const T: u64 = 1_000_000;

    #[test]
    fn in_doubt_money_counts_against_a_payment_until_resolved() {
        let mut b = Budget::new(0, None);
        let id = b.add_payment(3_000);
        let p = Purpose::Payment(id);
        assert_eq!(b.next(), Some((p, 3_000)));
        b.on_sent(p, 1_000);
        b.on_doubt(p, 1_000);
        assert_eq!(b.next(), Some((p, 2_000)));
        b.on_sent(p, 2_000);
        b.on_fulfilled(p, 2_000, 2_000);
        assert_eq!(b.next(), None, "in-doubt money still counts");
        assert_eq!(b.poll_done(1, true), None, "waits for the doubt to resolve");
        b.on_resolved(p, 1_000, None);
        assert_eq!(b.next(), Some((p, 1_000)), "not delivered: free again");
        assert_eq!(b.total().delivered, 2_000);
        b.on_sent(p, 1_000);
        b.on_fulfilled(p, 1_000, 1_000);
        let done = b.poll_done(1, true).unwrap();
        assert_eq!(done.ledger.sent, 3_000);
        assert_eq!(b.total().sent, 3_000);
    }

    #[test]
    fn a_payment_with_unresolvable_doubt_finishes_with_it() {
        let mut b = Budget::new(0, None);
        let id = b.add_payment(2_000);
        let p = Purpose::Payment(id);
        b.on_sent(p, 1_000);
        b.on_doubt(p, 1_000);
        b.on_sent(p, 1_000);
        b.on_fulfilled(p, 1_000, 900);
        let done = b.poll_done(1, false).unwrap();
        assert_eq!(done.ledger.sent + done.ledger.in_doubt, 2_000);
        assert_eq!(done.ledger.delivered, 900);
    }

    #[test]
    fn the_cap_includes_money_in_doubt() {
        let mut b = Budget::new(0, Some(1_500));
        let id = b.add_payment(5_000);
        let p = Purpose::Payment(id);
        b.on_sent(p, 1_000);
        b.on_doubt(p, 1_000);
        assert_eq!(b.next(), Some((p, 500)));
        assert!(!b.cap_reached(500));
        assert!(b.cap_reached(501));
    }

    #[test]
    fn unspent_paced_budget_carries_over_at_most_the_cap() {
        let mut b = Budget::new(1_000, None);
        b.set_accruing(true, T);
        assert_eq!(b.release(T, 200, true, 3_000), 0);
        assert_eq!(b.next(), Some((Purpose::Paced, 200)));
        // Ten seconds pass, in 1-s steps, with nothing sent.
        let mut written_off = 0;
        for s in 1..=10 {
            written_off += b.release(T + s * 1_000, 200, true, 3_000);
        }
        assert_eq!(b.next(), Some((Purpose::Paced, 3_000)));
        assert_eq!(written_off, 10_200 - 3_000);
    }

    #[test]
    fn pausing_writes_off_what_is_owed() {
        let mut b = Budget::new(1_000, None);
        b.set_accruing(true, T);
        b.release(T + 1_000, 200, true, 3_000);
        assert!(b.next().is_some());
        b.set_accruing(false, T + 1_000);
        assert_eq!(b.next(), None);
        b.set_accruing(true, T + 60_000);
        b.release(T + 60_000, 200, false, 3_000);
        assert_eq!(b.next(), None, "nothing owed for paused time");
        // The quantum released ahead before the pause was written off with
        // it, so the next one is due once earned passes it again.
        b.release(T + 60_200, 200, false, 3_000);
        assert_eq!(b.next(), None);
        b.release(T + 60_400, 200, false, 3_000);
        assert_eq!(b.next(), Some((Purpose::Paced, 200)));
    }

    #[test]
    fn paced_budget_is_served_before_payments() {
        let mut b = Budget::new(1_000, None);
        let id = b.add_payment(700);
        b.set_accruing(true, T);
        b.release(T, 200, true, 3_000);
        assert_eq!(b.next(), Some((Purpose::Paced, 200)));
        b.on_sent(Purpose::Paced, 200);
        assert_eq!(b.next(), Some((Purpose::Payment(id), 700)));
        b.set_paused(true);
        b.on_rejected(Purpose::Paced, 200);
        assert_eq!(
            b.next(),
            Some((Purpose::Payment(id), 700)),
            "paused: paced budget is not spent"
        );
    }
}
