//! The sending side of one STREAM connection (RFC 29), sans-IO.
//!
//! A [`Sender`] turns a money budget into ILP Prepares and reads their
//! replies. It owns everything that decides what to send and when: the
//! STREAM keys and sequence numbers, the budget (paced rate, discrete
//! payments, overall cap; [`budget`]), money whose fate is unknown
//! ([`doubt`]), and what it learnt about the path: the exchange rate (from
//! unfulfillable probes), the largest packet the path forwards (F08), the
//! packet amount a credit line allows (T04), how many packets may be in
//! flight (AIMD on T04/T05) and how much the receiver still accepts (its
//! `StreamMaxMoney` frames).
//!
//! # Run loop
//!
//! ```text
//! sender.set_source(il-dcp answer); sender.set_link(true, now);
//! while let Some(out) = sender.poll_prepare(now) { send out.prepare, remember out.sequence }
//! on a reply:   sender.handle_reply(sequence, &ilp_reply_bytes, now)
//! on a failure: sender.handle_failure(sequence, failure, now)
//! drain sender.poll_event(); wake at sender.poll_timeout(now)
//! ```
//!
//! # Accounting invariant
//!
//! For the total and for each purpose (the paced stream, each payment):
//! `sent + in_flight + in_doubt` never exceeds what that purpose allows
//! (released paced budget, the payment's amount, `max_total`). `sent`
//! counts fulfilled packets and in-doubt packets the receiver's total
//! showed as delivered; `delivered` is what the receiver reported for them.
//! Money in doubt is never freed by expiry alone.

use std::collections::VecDeque;
use std::fmt;

use super::{Congestion, ExchangeRate, Incoming, MaxPacket};
use crate::codec::Encode;
use crate::ilp::{OwnedAddress, Prepare, Timestamp};
use crate::rand::Rng;
use crate::stream::crypto::{self, Keys};
use crate::stream::packet::{IlpPacketType, OutgoingPacket};
use crate::stream::{ErrorCode as CloseCode, Frame};

/// Prepares expire this long after they are sent (the reference client's default).
pub const DEFAULT_PACKET_EXPIRY_MS: u64 = 30_000;
/// The one stream this sender opens (client streams have odd ids).
pub const STREAM_ID: u64 = 1;
/// RFC 29: a connection must close before its sequence numbers pass 2^31.
pub const MAX_PACKETS: u64 = 1 << 31;
/// Probe volleys sent before giving up on learning the exchange rate.
const MAX_PROBE_VOLLEYS: u32 = 10;
/// Temporary rejects (T04, T05, …) with no fulfill, counted only while
/// trying to send, before the sender gives up.
pub const TROUBLE_TIMEOUT_MS: u64 = 15_000;
/// How long to wait for a receiver whose window is full to raise it.
pub const RECEIVER_WAIT_MS: u64 = 10_000;
/// How often to ask a blocked receiver for its window meanwhile.
const RECEIVER_POLL_MS: u64 = 1_000;
/// A query for the receiver's total that a connector refused is retried
/// after this long.
const QUERY_RETRY_MS: u64 = 1_000;
/// Pacing releases budget in quanta of this much time (or one packet).
pub const PACING_QUANTUM_MS: u64 = 200;
/// Unspent paced budget carried over at most this much time's worth.
pub const MAX_CARRY_MS: u64 = 3_000;
/// For a coarse receiver, pacing accumulates budget for at most this long
/// to send one packet that delivers one unit.
pub const MAX_ACCUMULATE_MS: u64 = 60_000;
/// The stream is throttled when the paced budget it could not spend exceeds
/// this much time's worth (plus a quantum).
const THROTTLE_BEHIND_MS: u64 = 1_000;
/// Not that far behind for this long: the path is no longer throttling.
const THROTTLE_CLEAR_MS: u64 = 3_000;
/// The achieved rate is measured over windows of this length.
const RATE_WINDOW_MS: u64 = 2_000;
/// Data bytes in one packet.
const MAX_DATA_PER_PACKET: usize = 8_192;
/// Data window assumed until the receiver advertises one (JS's default).
const DEFAULT_DATA_WINDOW: u64 = 16_384;

pub mod budget;
pub mod doubt;
mod money;
mod outcome;
mod pace;
mod prepare;
mod reply;
pub(crate) mod types;

use budget::{Budget, Ledger, PaymentId, PaymentOutcome, Purpose};
use doubt::{Doubtful, ReceiverTotals};
use money::Blocked;
use pace::{Throttle, Trouble};
pub use types::{
    Failure, Outgoing, RejectReason, SenderConfig, SenderError, SenderEvent, SenderStats, Source,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Learning the rate: unfulfillable.
    Probe,
    /// Asking the receiver for its totals and window: 0 amount, so
    /// fulfilling it moves no money.
    Query,
    Money(Purpose),
    Data {
        offset: u64,
        len: u64,
    },
    /// Telling a peer that sends us data that our receive window moved.
    Window,
    Close,
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    sequence: u64,
    kind: Kind,
    amount: u64,
    min_destination: u64,
    condition: [u8; 32],
    expires_at: u64,
}

#[derive(Clone, Debug)]
enum Phase {
    /// Waiting for IL-DCP.
    NoSource,
    /// Learning the rate (and opening the connection).
    Probing {
        source: Source,
        volleys: u32,
        /// Probe amounts of the current volley still to send, smallest last.
        queue: Vec<u64>,
    },
    /// Paying.
    Open { source: Source },
    /// Draining, then sending the close packet; `error` is reported after.
    Closing {
        source: Source,
        error: Option<SenderError>,
    },
    /// Done (closed, failed or receiver closed).
    Done,
}

impl Phase {
    const fn source(&self) -> Option<&Source> {
        match self {
            Self::Probing { source, .. } | Self::Open { source } | Self::Closing { source, .. } => {
                Some(source)
            }
            Self::NoSource | Self::Done => None,
        }
    }
}

/// The sending side of one STREAM connection. See the [module docs](self).
pub struct Sender {
    keys: Keys,
    destination: OwnedAddress,
    slippage_ppm: u32,
    packet_expiry_ms: u64,
    max_packets: u64,
    rng: Rng,
    phase: Phase,
    next_sequence: u64,
    in_flight: Vec<InFlight>,
    budget: Budget,
    doubt: Vec<Doubtful>,
    totals: ReceiverTotals,
    /// Highest cumulative total the receiver reported.
    receiver_total_seen: u64,
    /// When to ask the receiver for its total to resolve money in doubt.
    query_due: Option<u64>,
    /// What the receiver's total showed beyond what resolved packets
    /// account for (delivered by packets still in doubt).
    unexplained: doubt::Unexplained,
    rate: ExchangeRate,
    max_packet: MaxPacket,
    /// Largest packet amount a credit line allowed lately (T04 shrinks it,
    /// fulfills grow it back).
    credit_cap: Option<u64>,
    congestion: Congestion,
    link_up: bool,
    connected: bool,
    receiver_asset: Option<(String, u8)>,
    /// Receiver's advertised (receive_max, total_received) for our stream.
    receiver_limit: Option<(u64, u64)>,
    blocked: Option<Blocked>,
    trouble: Option<Trouble>,
    /// Whether the last look at the budget wanted to send money.
    wanting: bool,
    throttle: Throttle,
    cap_reported: bool,
    /// Data not yet acknowledged; `data[0]` is at `data_acked_offset`.
    data: VecDeque<u8>,
    data_acked_offset: u64,
    /// Highest data offset the receiver allows (connection and stream).
    data_max_connection: u64,
    data_max_stream: u64,
    stats: SenderStats,
    /// Data the peer sends on our stream, and our receive window.
    incoming: Incoming,
    events: VecDeque<SenderEvent>,
    scratch: Vec<u8>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("destination", &self.destination)
            .field("phase", &self.phase)
            .field("total", self.budget.total())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender that will send nothing until [`Sender::set_source`] and
    /// [`Sender::set_link`] are called. `rng` supplies nonces and random
    /// conditions: seed it from a real entropy source.
    pub fn new(config: SenderConfig, rng: Rng) -> Self {
        Self {
            keys: Keys::new(&config.shared_secret),
            destination: config.destination,
            slippage_ppm: config.slippage_ppm,
            packet_expiry_ms: config.packet_expiry_ms,
            max_packets: config.max_packets.min(MAX_PACKETS),
            rng,
            phase: Phase::NoSource,
            next_sequence: 1,
            in_flight: Vec::new(),
            budget: Budget::new(config.amount_per_second, config.max_total),
            doubt: Vec::new(),
            totals: ReceiverTotals::Unknown,
            receiver_total_seen: 0,
            query_due: None,
            unexplained: doubt::Unexplained::default(),
            rate: ExchangeRate::new(),
            max_packet: MaxPacket::new(),
            credit_cap: None,
            congestion: Congestion::new(),
            link_up: false,
            connected: false,
            receiver_asset: None,
            receiver_limit: None,
            blocked: None,
            trouble: None,
            wanting: false,
            throttle: Throttle::default(),
            cap_reported: false,
            data: VecDeque::new(),
            data_acked_offset: 0,
            data_max_connection: DEFAULT_DATA_WINDOW,
            data_max_stream: DEFAULT_DATA_WINDOW,
            stats: SenderStats::default(),
            incoming: Incoming::default(),
            events: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// Sets our address and asset (from IL-DCP) and starts the connection.
    /// Later calls change nothing (a connection keeps its source).
    pub fn set_source(&mut self, source: Source) {
        if matches!(self.phase, Phase::NoSource) {
            self.phase = Phase::Probing {
                source,
                volleys: 0,
                queue: Vec::new(),
            };
        }
    }

    /// Sets where the money goes, when it was not known at construction
    /// (the receiver's SPSP answer came later, maybe after
    /// [`Sender::set_source`]: the two are learnt side by side). Only before
    /// the first packet; later calls change nothing.
    pub fn set_receiver(&mut self, destination: OwnedAddress, shared_secret: &[u8; 32]) {
        let unused = match &self.phase {
            Phase::NoSource => true,
            Phase::Probing { volleys, .. } => *volleys == 0 && self.in_flight.is_empty(),
            _ => false,
        };
        if unused {
            self.destination = destination;
            self.keys = Keys::new(shared_secret);
        }
    }

    /// The receiver's ILP address.
    pub const fn destination(&self) -> &OwnedAddress {
        &self.destination
    }

    /// Our address and asset, once [`Sender::set_source`] was called.
    pub fn source(&self) -> Option<&Source> {
        self.phase.source()
    }

    /// Whether the link to the connector is usable. While it is down,
    /// pacing earns nothing and the give-up clocks stop; when it comes back,
    /// money in doubt is looked up in the receiver's total.
    pub fn set_link(&mut self, up: bool, now: u64) {
        if self.link_up == up {
            return;
        }
        self.link_up = up;
        if up {
            if !self.doubt.is_empty() && self.totals != ReceiverTotals::Absent {
                self.query_due = Some(now);
            }
        } else {
            self.wanting = false;
            self.blocked = None;
        }
        self.tick_trouble(now);
        self.sync_pacer(now);
    }

    /// Stops paced sending at once (packets in flight settle) and earns
    /// nothing until [`Sender::resume`]. Discrete payments go on.
    pub fn pause(&mut self, now: u64) {
        self.budget.set_paused(true);
        self.sync_pacer(now);
    }

    /// Resumes paced sending.
    pub fn resume(&mut self, now: u64) {
        self.budget.set_paused(false);
        self.sync_pacer(now);
    }

    /// Changes the paced rate (source units per second) from `now` on.
    /// Budget earned before `now` stays earned at the old rate; `0` stops
    /// paced sending (discrete payments go on) until a later non-zero rate.
    pub fn set_rate(&mut self, now: u64, rate_per_second: u64) {
        self.budget.set_rate(now, rate_per_second);
        self.sync_pacer(now);
    }

    /// The paced rate, source units per second.
    pub fn rate_per_second(&self) -> u64 {
        self.budget.rate_per_second()
    }

    /// Whether paced sending is paused by [`Sender::pause`].
    pub const fn is_paused(&self) -> bool {
        self.budget.is_paused()
    }

    /// Adds a discrete payment of `amount` source units on top of the paced
    /// stream; [`SenderEvent::PaymentDone`] reports it.
    pub fn pay(&mut self, amount: u64) -> PaymentId {
        let id = self.budget.add_payment(amount);
        if amount == 0 {
            // Nothing to send: done at once.
            if let Some(done) = self.budget.poll_done(1, false) {
                self.events.push_back(SenderEvent::PaymentDone(done));
            }
        }
        id
    }

    /// Gives up on payment `id` (nothing more is sent for it; its packets in
    /// flight settle). Returns what it got so far, or `None` if it had
    /// already finished.
    pub fn cancel_payment(&mut self, id: PaymentId) -> Option<PaymentOutcome> {
        self.budget.remove_payment(id)
    }

    /// Removes every unfinished payment, with what each got so far (the
    /// stream is ending).
    pub fn take_payments(&mut self) -> Vec<PaymentOutcome> {
        self.budget.take_payments()
    }

    /// Removes the payments that are finished (their whole amount sent or
    /// in doubt, nothing in flight) although no packet was sent since: the
    /// stream is ending, so in-doubt money can no longer be resolved.
    pub fn take_finished_payments(&mut self) -> Vec<PaymentOutcome> {
        let smallest = self.min_deliverable().unwrap_or(1);
        std::iter::from_fn(|| self.budget.poll_done(smallest, false)).collect()
    }

    /// The whole connection's ledger: sent, delivered, in flight, in doubt.
    pub const fn totals(&self) -> &Ledger {
        self.budget.total()
    }

    /// Source units fulfilled so far (or shown delivered by the receiver).
    pub const fn total_sent(&self) -> u64 {
        self.budget.total().sent
    }

    /// Destination units the receiver reported so far, in its asset.
    pub const fn total_delivered(&self) -> u64 {
        self.budget.total().delivered
    }

    /// Source units in packets whose outcome is unknown.
    pub const fn total_in_doubt(&self) -> u64 {
        self.budget.total().in_doubt
    }

    /// Source units in paying packets awaiting a reply, plus those in doubt:
    /// what may still turn out paid.
    pub const fn in_flight_amount(&self) -> u64 {
        let t = self.budget.total();
        t.in_flight.saturating_add(t.in_doubt)
    }

    /// Whether the receiver reports cumulative totals we can trust.
    pub const fn receiver_totals(&self) -> ReceiverTotals {
        self.totals
    }

    /// When the last packet still in flight expires (`None` if none is).
    pub fn latest_expiry(&self) -> Option<u64> {
        self.in_flight.iter().map(|p| p.expires_at).max()
    }

    /// The smallest source amount whose minimum destination amount is at
    /// least one unit at the known rate and slippage; `None` while the rate
    /// is unknown or nothing can be delivered.
    pub fn min_deliverable(&self) -> Option<u64> {
        let (delivered, sent) = self.rate.lower_bound()?;
        let keep = 1_000_000u128.saturating_sub(u128::from(self.slippage_ppm));
        let per_source = u128::from(delivered) * keep;
        if per_source == 0 {
            return None;
        }
        // Smallest s with floor(s × delivered × keep / (sent × 10^6)) >= 1.
        let need = u128::from(sent) * 1_000_000;
        u64::try_from(need.div_ceil(per_source)).ok()
    }

    /// Packets awaiting a reply.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether the receiver has answered at least once.
    pub const fn has_receiver_answered(&self) -> bool {
        self.connected
    }

    /// Whether the exchange rate is known well enough to pay.
    pub const fn is_rate_known(&self) -> bool {
        matches!(self.phase, Phase::Open { .. })
    }

    /// Whether nothing more will be sent.
    pub const fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Whether the path carries less than the paced rate.
    pub const fn is_throttled(&self) -> bool {
        self.throttle.throttled
    }

    /// The receiver's asset code and scale, once it told us.
    pub fn receiver_asset(&self) -> Option<(&str, u8)> {
        self.receiver_asset.as_ref().map(|(c, s)| (c.as_str(), *s))
    }

    /// The largest packet amount known to pass, if any F08 told us.
    pub fn max_packet_amount(&self) -> Option<u64> {
        self.max_packet.limit()
    }

    /// Round trips and outcomes seen so far.
    pub const fn stats(&self) -> &SenderStats {
        &self.stats
    }

    /// The exchange rate in use, destination units per source unit, as
    /// `(lower, upper)`: inclusive `(numerator, denominator)` and exclusive
    /// `(numerator, denominator)`; `None` while unknown.
    pub fn rate_bounds(&self) -> Option<((u64, u64), (u128, u64))> {
        Some((self.rate.lower_bound()?, self.rate.upper_bound()?))
    }

    /// The packets-in-flight window.
    pub fn window(&self) -> u32 {
        self.congestion.window()
    }

    /// Queues bytes to send on our stream; returns the offset at which they
    /// will all have been acknowledged.
    pub fn queue_data(&mut self, bytes: &[u8]) -> u64 {
        if bytes.is_empty() && self.data.is_empty() {
            // Nothing to wait for: acknowledged already.
            self.events.push_back(SenderEvent::DataAcknowledged {
                offset: self.data_acked_offset,
            });
        }
        self.data.extend(bytes);
        self.data_acked_offset
            .saturating_add(self.data.len() as u64)
    }

    /// Data bytes acknowledged by the receiver.
    pub const fn data_acknowledged(&self) -> u64 {
        self.data_acked_offset
    }

    /// Stops paying: in-flight packets settle, then a close packet tells the
    /// receiver. [`SenderEvent::Closed`] follows.
    pub fn close(&mut self) {
        self.close_with(None);
    }

    fn close_with(&mut self, error: Option<SenderError>) {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Done => {}
            Phase::NoSource => self.finish(SenderEvent::Closed),
            Phase::Closing { source, error: e } => {
                self.phase = Phase::Closing {
                    source,
                    error: e.or(error),
                }
            }
            Phase::Probing { source, .. } | Phase::Open { source } => {
                self.phase = Phase::Closing { source, error }
            }
        }
    }

    /// Ends the connection without telling the receiver (the link is gone).
    /// Packets still in flight can no longer be answered: their money is
    /// in doubt.
    pub fn abandon(&mut self) {
        for p in std::mem::take(&mut self.in_flight) {
            if let Kind::Money(purpose) = p.kind {
                self.budget.on_doubt(purpose, p.amount);
            }
        }
        if !self.is_done() {
            self.finish(SenderEvent::Closed);
        }
    }

    fn finish(&mut self, event: SenderEvent) {
        self.phase = Phase::Done;
        self.events.push_back(event);
    }

    fn fail(&mut self, error: SenderError) {
        if !self.is_done() {
            self.finish(SenderEvent::Failed(error));
        }
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SenderEvent> {
        self.events.pop_front()
    }

    /// When, after `now`, the sender next needs [`Sender::poll_prepare`]
    /// called even without new input (`None`: only after new input).
    #[must_use]
    pub fn poll_timeout(&mut self, now: u64) -> Option<u64> {
        let mut at: Option<u64> = None;
        let mut consider = |t: Option<u64>| {
            if let Some(t) = t.filter(|&t| t > now) {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        consider(self.congestion.backoff_until());
        consider(self.query_due);
        if let Some(b) = self.blocked {
            consider(Some(b.next_query));
            consider(Some(b.since.saturating_add(RECEIVER_WAIT_MS)));
        }
        if let Some(Trouble {
            trying_ms,
            since: Some(since),
            ..
        }) = self.trouble
        {
            consider(Some(
                since.saturating_add(TROUBLE_TIMEOUT_MS.saturating_sub(trying_ms)),
            ));
        }
        if let Some(last) = self
            .throttle
            .last_behind
            .filter(|_| self.throttle.throttled)
        {
            consider(Some(last.saturating_add(THROTTLE_CLEAR_MS)));
        }
        if self.link_up && matches!(self.phase, Phase::Open { .. }) && !self.budget.wants() {
            let (quantum, _) = self.quantum();
            consider(self.budget.next_release(now, quantum));
        }
        at
    }

    /// The next Prepare to send, if any may be sent now. Call it until it
    /// returns `None` after every input.
    #[must_use]
    pub fn poll_prepare(&mut self, now: u64) -> Option<Outgoing> {
        self.tick_trouble(now);
        // The last sequence number is kept for the close packet.
        let last = self.max_packets.saturating_sub(1);
        if self.next_sequence >= last && !self.is_done() {
            if self.next_sequence >= self.max_packets {
                self.fail(SenderError::PacketLimit);
                return None;
            }
            if !matches!(self.phase, Phase::Closing { .. }) {
                self.close_with(Some(SenderError::PacketLimit));
            }
        }
        if matches!(self.phase, Phase::Probing { .. }) {
            return self.next_probe(now);
        }
        if !matches!(self.phase, Phase::Open { .. } | Phase::Closing { .. }) {
            return None;
        }
        let in_flight = u32::try_from(self.in_flight.len()).unwrap_or(u32::MAX);
        if !self.congestion.can_send(in_flight, now) {
            return None;
        }
        if self.next_sequence < last {
            if let Some(out) = self.next_query(now) {
                return Some(out);
            }
            if let Some(out) = self.next_data(now) {
                return Some(out);
            }
            if let Some(out) = self.next_window(now) {
                return Some(out);
            }
        }
        if let Phase::Closing { error, .. } = &self.phase {
            if !self.in_flight.is_empty() {
                return None;
            }
            let error = error.clone();
            let out = self.build(Kind::Close, 0, 0, now);
            if out.is_none() {
                self.finish(error.map_or(SenderEvent::Closed, SenderEvent::Failed));
            }
            return out;
        }
        let out = self.next_money(now);
        self.after_money(now);
        out
    }

    fn next_probe(&mut self, now: u64) -> Option<Outgoing> {
        let Phase::Probing { volleys, queue, .. } = &mut self.phase else {
            return None;
        };
        if let Some(amount) = queue.pop() {
            return self.build(Kind::Probe, amount, 0, now);
        }
        let volleys = *volleys;
        if !self.in_flight.is_empty() {
            return None;
        }
        if self.rate.has_precision(self.max_packet.limit()) {
            return self.open(now);
        }
        if self.max_packet.is_zero() {
            self.fail(SenderError::RateTooLow);
            return None;
        }
        if volleys >= MAX_PROBE_VOLLEYS {
            self.fail(if self.rate.is_known() {
                SenderError::RateTooLow
            } else {
                SenderError::RateUnknown
            });
            return None;
        }
        if !self.congestion.can_send(0, now) {
            return None;
        }
        // Cap the volley at the next amount to try: the limit, or while a
        // data-less F08 is being searched, the midpoint.
        let cap = self
            .max_packet
            .limit()
            .map(|_| self.max_packet.next_amount(u64::MAX));
        let mut amounts: Vec<u64> = ExchangeRate::probe_amounts(cap).collect();
        // Popped from the back: smallest first.
        amounts.reverse();
        let first = amounts.pop()?;
        if let Phase::Probing { volleys, queue, .. } = &mut self.phase {
            *volleys = volleys.saturating_add(1);
            *queue = amounts;
        }
        self.build(Kind::Probe, first, 0, now)
    }

    /// The rate is known: start paying, unless pacing could never deliver.
    fn open(&mut self, now: u64) -> Option<Outgoing> {
        let rate = self.budget.rate_per_second();
        let smallest = self.min_deliverable();
        if rate > 0 {
            if let Some(smallest) = smallest {
                // Budget for one deliverable packet must accrue within the bound.
                if u128::from(smallest) * 1000 > u128::from(rate) * u128::from(MAX_ACCUMULATE_MS) {
                    let min_rate = u128::from(smallest) * 1000;
                    let min_rate = min_rate.div_ceil(u128::from(MAX_ACCUMULATE_MS));
                    self.fail(SenderError::PacingTooSlow {
                        min_amount_per_second: u64::try_from(min_rate).unwrap_or(u64::MAX),
                        min_packet: smallest,
                    });
                    return None;
                }
            }
        }
        if let Phase::Probing { source, .. } = std::mem::replace(&mut self.phase, Phase::Done) {
            self.phase = Phase::Open { source };
        }
        self.sync_pacer(now);
        let (_, run_ahead) = self.quantum();
        // Nothing leaves at once: no payment waiting, and no paced budget
        // either (rate 0, paused, or a coarse receiver accumulating).
        let pays_now =
            self.budget.payments_pending() || (rate > 0 && run_ahead && !self.budget.is_paused());
        let waiting = !pays_now;
        self.events.push_back(SenderEvent::Opened { waiting });
        self.poll_prepare(now)
    }

    fn query_in_flight(&self) -> bool {
        self.in_flight.iter().any(|p| p.kind == Kind::Query)
    }

    fn money_in_flight(&self) -> bool {
        self.in_flight
            .iter()
            .any(|p| matches!(p.kind, Kind::Money(_)))
    }

    /// A 0-amount query to read the receiver's total, when money in doubt
    /// can be resolved and nothing else paying is in flight.
    fn next_query(&mut self, now: u64) -> Option<Outgoing> {
        if self.query_in_flight() || self.query_due.is_none_or(|due| due > now) {
            return None;
        }
        if self.money_in_flight() {
            return None; // wait for them to settle first
        }
        self.build(Kind::Query, 0, 0, now)
    }

    fn next_data(&mut self, now: u64) -> Option<Outgoing> {
        if self.data.is_empty()
            || self
                .in_flight
                .iter()
                .any(|p| matches!(p.kind, Kind::Data { .. }))
        {
            return None;
        }
        let allowed = self
            .data_max_connection
            .min(self.data_max_stream)
            .saturating_sub(self.data_acked_offset);
        let len = (self.data.len() as u64)
            .min(MAX_DATA_PER_PACKET as u64)
            .min(allowed);
        if len == 0 {
            return None;
        }
        self.build(
            Kind::Data {
                offset: self.data_acked_offset,
                len,
            },
            0,
            0,
            now,
        )
    }

    /// A window update, when the peer sends us data and half a window was
    /// read since it was last told (it may be waiting for it).
    fn next_window(&mut self, now: u64) -> Option<Outgoing> {
        if !self.incoming.update_due() || self.in_flight.iter().any(|p| p.kind == Kind::Window) {
            return None;
        }
        self.build(Kind::Window, 0, 0, now)
    }

    fn build(
        &mut self,
        kind: Kind,
        amount: u64,
        min_destination: u64,
        now: u64,
    ) -> Option<Outgoing> {
        let source = self.phase.source()?;
        let sequence = self.next_sequence;
        let data_bytes: Vec<u8>;
        let mut frames: Vec<Frame<'_>> = Vec::with_capacity(4);
        if !self.connected {
            frames.push(Frame::ConnectionNewAddress {
                source_address: source.address.as_str(),
            });
            frames.push(Frame::ConnectionAssetDetails {
                asset_code: &source.asset_code,
                asset_scale: source.asset_scale,
            });
        }
        match kind {
            // A probe names the stream too: a receiver opens it on the first
            // probe (ilp-protocol-stream then starts its own exchange-rate
            // probe towards us), not on the first paying packet, whose
            // fulfill would otherwise wait behind that probe (measured by
            // bench first-payment: ~6 ms). Its random condition means it can
            // never pay.
            Kind::Probe => frames.push(Frame::StreamMoney {
                stream_id: STREAM_ID,
                shares: 1,
            }),
            // Naming the stream (with no money: the amount is 0) asks the
            // receiver for its StreamMaxMoney, total included.
            Kind::Query | Kind::Money(_) => frames.push(Frame::StreamMoney {
                stream_id: STREAM_ID,
                shares: 1,
            }),
            Kind::Data { offset, len } => {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                data_bytes = self.data.iter().take(len).copied().collect();
                frames.push(Frame::StreamData {
                    stream_id: STREAM_ID,
                    offset,
                    data: &data_bytes,
                });
            }
            Kind::Window => {}
            Kind::Close => {
                frames.push(Frame::StreamClose {
                    stream_id: STREAM_ID,
                    code: CloseCode::NO_ERROR,
                    message: b"",
                });
                frames.push(Frame::ConnectionClose {
                    code: CloseCode::NO_ERROR,
                    message: b"",
                });
            }
        }
        if kind == Kind::Window || self.incoming.has_news() {
            let limit = self.incoming.advertise();
            frames.push(Frame::ConnectionMaxData { max_offset: limit });
            frames.push(Frame::StreamMaxData {
                stream_id: STREAM_ID,
                max_offset: limit,
            });
        }
        self.scratch.clear();
        OutgoingPacket {
            packet_type: IlpPacketType::Prepare,
            sequence,
            prepare_amount: min_destination,
            frames: &frames,
        }
        .encode(&mut self.scratch);
        let mut data = Vec::with_capacity(self.scratch.len() + crypto::OVERHEAD);
        crypto::seal(&self.keys, self.rng.array(), &self.scratch, &mut data).ok()?;
        let condition = match kind {
            // A query is fulfillable (it carries no money): receivers
            // report a stream's totals in the reply to a packet they accept.
            Kind::Money(_) | Kind::Data { .. } | Kind::Query | Kind::Window => {
                crypto::condition(&crypto::fulfillment(&self.keys, &data))
            }
            // Unfulfillable on purpose: nobody knows the preimage.
            Kind::Probe | Kind::Close => self.rng.array(),
        };
        let expires_at = now.saturating_add(self.packet_expiry_ms);
        let prepare = Prepare {
            amount,
            expires_at: Timestamp::from_millis_saturating(expires_at),
            execution_condition: condition,
            destination: self.destination.as_address(),
            data: &data,
        }
        .to_bytes();
        self.next_sequence = sequence.saturating_add(1);
        if let Kind::Money(purpose) = kind {
            self.budget.on_sent(purpose, amount);
        }
        self.in_flight.push(InFlight {
            expires_at,
            sequence,
            kind,
            amount,
            min_destination,
            condition,
        });
        Some(Outgoing {
            sequence,
            prepare,
            amount,
        })
    }
}

#[cfg(test)]
mod tests;
