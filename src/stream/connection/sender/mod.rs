//! The sending side of one STREAM connection (RFC 29), sans-IO.
//!
//! A [`Sender`] turns a money budget into ILP Prepares and reads their
//! replies. It owns the STREAM keys, sequence numbers and everything learnt
//! about the path: the exchange rate (from unfulfillable probe packets), the
//! largest packet the path forwards (from F08 rejects), how many packets may
//! be in flight (AIMD on T04/T05) and how much the receiver will still
//! accept (its `StreamMaxMoney` frames).
//!
//! # Run loop
//!
//! ```text
//! sender.set_send_limit(total the application allows);
//! while let Some(out) = sender.poll_prepare(now) { send out.prepare, remember out.sequence }
//! on a reply:   sender.handle_reply(sequence, &ilp_reply_bytes, now)
//! on a failure: sender.handle_failure(sequence, lost, now)   // timeout, disconnect: not sent
//! drain sender.poll_event(); wake at sender.poll_timeout(now)
//! ```
//!
//! # Accounting invariant
//!
//! `total_sent` counts source amounts of fulfilled Prepares only,
//! `total_delivered` the amounts the receiver reported for them, and
//! `total_sent + in_flight_amount <= send_limit` holds after every call as
//! long as the limit is never lowered (the client only raises it).
//! A rejected, timed-out or disconnected packet is never counted; its amount
//! simply becomes available again.

use std::collections::VecDeque;
use std::fmt;

use super::{Congestion, ExchangeRate, MaxPacket};
use crate::codec::{Decode, Encode};
use crate::ilp::{self, AmountTooLarge, ErrorClass, ErrorCode, OwnedAddress, Prepare, Timestamp};
use crate::rand::Rng;
use crate::stream::crypto::{self, Keys};
use crate::stream::packet::{IlpPacketType, OutgoingPacket};
use crate::stream::{ErrorCode as CloseCode, Frame};

/// Prepares expire this long after they are sent (the reference client's default).
pub const DEFAULT_PACKET_EXPIRY_MS: u64 = 30_000;
/// The one stream this sender opens (client streams have odd ids).
pub const STREAM_ID: u64 = 1;
/// Probe volleys sent before giving up on learning the exchange rate.
const MAX_PROBE_VOLLEYS: u32 = 10;
/// Rejects in a row, with no fulfill between, before the sender gives up.
const MAX_FAILURES_IN_A_ROW: u32 = 50;
/// Timeouts in a row before the sender gives up.
const MAX_TIMEOUTS_IN_A_ROW: u32 = 3;
/// T04 rejects with no fulfill for this long mean the connector will not
/// extend more credit.
const LIQUIDITY_GIVE_UP_MS: u64 = 15_000;
/// Data bytes in one packet.
const MAX_DATA_PER_PACKET: usize = 8_192;
/// Data window assumed until the receiver advertises one (JS's default).
const DEFAULT_DATA_WINDOW: u64 = 16_384;

mod reply;
mod types;

use reply::ReplyInfo;
pub use types::{Outgoing, SenderConfig, SenderError, SenderEvent, Source};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Probe,
    Money,
    Data { offset: u64, len: u64 },
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

/// A money packet whose answer was lost with the link.
#[derive(Clone, Copy, Debug)]
struct Unresolved {
    amount: u64,
    /// Destination units it would deliver at the rate known when it was lost.
    expected: u64,
    expires_at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for IL-DCP.
    NoSource,
    /// Learning the rate (and opening the connection).
    Probing { volleys: u32 },
    /// Paying.
    Open,
    /// Draining, then sending the close packet.
    Closing,
    /// Done (closed, failed or receiver closed).
    Done,
}

/// The sending side of one STREAM connection. See the [module docs](self).
pub struct Sender {
    keys: Keys,
    destination: OwnedAddress,
    slippage_ppm: u32,
    packet_expiry_ms: u64,
    rng: Rng,
    source: Option<Source>,
    phase: Phase,
    next_sequence: u64,
    in_flight: Vec<InFlight>,
    /// Money packets whose outcome we will never learn (the link dropped
    /// while they were in flight): (amount, expiry). A connector may still
    /// execute them until they expire, so their amount stays out of the
    /// budget until then; it is never counted as sent.
    unresolved: Vec<Unresolved>,
    rate: ExchangeRate,
    max_packet: MaxPacket,
    congestion: Congestion,
    connected: bool,
    receiver_asset: Option<(String, u8)>,
    /// Receiver's advertised (receive_max, total_received) for our stream.
    receiver_limit: Option<(u64, u64)>,
    send_limit: u64,
    total_sent: u64,
    total_delivered: u64,
    failures_in_a_row: u32,
    timeouts_in_a_row: u32,
    /// Probe amounts of the current volley still to send.
    probe_queue: Vec<u64>,
    /// When T04 rejects started arriving with no fulfill since.
    liquidity_trouble_since: Option<u64>,
    /// Data not yet acknowledged; `data[0]` is at `data_acked_offset`.
    data: VecDeque<u8>,
    data_acked_offset: u64,
    /// Highest data offset the receiver allows (connection and stream).
    data_max_connection: u64,
    data_max_stream: u64,
    events: VecDeque<SenderEvent>,
    scratch: Vec<u8>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("destination", &self.destination)
            .field("phase", &self.phase)
            .field("total_sent", &self.total_sent)
            .field("total_delivered", &self.total_delivered)
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender that will send nothing until [`Sender::set_source`] and
    /// [`Sender::set_send_limit`] are called. `rng` supplies nonces and
    /// random conditions: seed it from a real entropy source.
    pub fn new(config: SenderConfig, rng: Rng) -> Self {
        Self {
            keys: Keys::new(&config.shared_secret),
            destination: config.destination,
            slippage_ppm: config.slippage_ppm,
            packet_expiry_ms: config.packet_expiry_ms,
            rng,
            source: None,
            phase: Phase::NoSource,
            next_sequence: 1,
            in_flight: Vec::new(),
            unresolved: Vec::new(),
            rate: ExchangeRate::new(),
            max_packet: MaxPacket::new(),
            congestion: Congestion::new(),
            connected: false,
            receiver_asset: None,
            receiver_limit: None,
            send_limit: 0,
            total_sent: 0,
            total_delivered: 0,
            failures_in_a_row: 0,
            timeouts_in_a_row: 0,
            probe_queue: Vec::new(),
            liquidity_trouble_since: None,
            data: VecDeque::new(),
            data_acked_offset: 0,
            data_max_connection: DEFAULT_DATA_WINDOW,
            data_max_stream: DEFAULT_DATA_WINDOW,
            events: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// Sets our address and asset (from IL-DCP) and starts the connection.
    pub fn set_source(&mut self, source: Source) {
        self.source = Some(source);
        if self.phase == Phase::NoSource {
            self.phase = Phase::Probing { volleys: 0 };
        }
    }

    /// Our address and asset, once [`Sender::set_source`] was called.
    pub fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }

    /// The total source amount the application allows to be sent so far.
    /// It only matters upward: lowering it below what is sent or in flight
    /// stops further packets but cannot recall any.
    pub fn set_send_limit(&mut self, limit: u64) {
        self.send_limit = limit;
    }

    /// The current send limit.
    pub const fn send_limit(&self) -> u64 {
        self.send_limit
    }

    /// Source units fulfilled so far.
    pub const fn total_sent(&self) -> u64 {
        self.total_sent
    }

    /// Destination units the receiver reported so far.
    pub const fn total_delivered(&self) -> u64 {
        self.total_delivered
    }

    /// Source units at risk in packets awaiting a reply: paying packets
    /// only. Probes and close packets carry amounts too, but their random
    /// conditions cannot be fulfilled, so no money is committed by them.
    pub fn in_flight_amount(&self) -> u64 {
        let unresolved = self
            .unresolved
            .iter()
            .fold(0u64, |a, u| a.saturating_add(u.amount));
        self.in_flight
            .iter()
            .filter(|p| p.kind == Kind::Money)
            .fold(unresolved, |a, p| a.saturating_add(p.amount))
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
    pub const fn is_connected(&self) -> bool {
        self.connected
    }

    /// Whether the exchange rate is known well enough to pay.
    pub const fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// Whether nothing more will be sent.
    pub const fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The receiver's asset code and scale, once it told us.
    pub fn receiver_asset(&self) -> Option<(&str, u8)> {
        self.receiver_asset.as_ref().map(|(c, s)| (c.as_str(), *s))
    }

    /// The largest packet amount known to pass, if any F08 told us.
    pub fn max_packet_amount(&self) -> Option<u64> {
        self.max_packet.limit()
    }

    /// The packets-in-flight window.
    pub fn window(&self) -> u32 {
        self.congestion.window()
    }

    /// Queues bytes to send on our stream; returns the offset at which they
    /// will all have been acknowledged.
    pub fn queue_data(&mut self, bytes: &[u8]) -> u64 {
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
        match self.phase {
            Phase::Done | Phase::Closing => {}
            Phase::NoSource => self.finish(SenderEvent::Closed),
            Phase::Probing { .. } | Phase::Open => self.phase = Phase::Closing,
        }
    }

    /// Ends the connection without telling the receiver (the link is gone).
    pub fn abandon(&mut self) {
        if self.phase != Phase::Done {
            self.in_flight.clear();
            self.finish(SenderEvent::Closed);
        }
    }

    fn finish(&mut self, event: SenderEvent) {
        self.phase = Phase::Done;
        self.events.push_back(event);
    }

    fn fail(&mut self, error: SenderError) {
        if self.phase != Phase::Done {
            self.finish(SenderEvent::Failed(error));
        }
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SenderEvent> {
        self.events.pop_front()
    }

    /// When, after `now`, the sender next needs [`Sender::poll_prepare`]
    /// called even without new input: the end of a congestion back-off, or
    /// the expiry of money held back after a dropped link.
    #[must_use]
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        self.congestion
            .backoff_until()
            .into_iter()
            .chain(self.unresolved.iter().map(|u| u.expires_at))
            .filter(|&t| t > now)
            .min()
    }

    /// The next Prepare to send, if any may be sent now. Call it until it
    /// returns `None` after every input.
    #[must_use]
    pub fn poll_prepare(&mut self, now: u64) -> Option<Outgoing> {
        self.check_liquidity(now);
        self.unresolved.retain(|u| u.expires_at > now);
        if let Phase::Probing { volleys } = self.phase {
            if let Some(amount) = self.probe_queue.pop() {
                return self.build(Kind::Probe, amount, 0, now);
            }
            if !self.in_flight.is_empty() {
                return None;
            }
            if self.rate.has_precision(self.max_packet.limit()) {
                self.phase = Phase::Open;
            } else if self.max_packet.is_zero() {
                self.fail(SenderError::RateTooLow);
                return None;
            } else if volleys >= MAX_PROBE_VOLLEYS {
                self.fail(if self.rate.is_known() {
                    SenderError::RateTooLow
                } else {
                    SenderError::RateUnknown
                });
                return None;
            } else {
                if !self.congestion.can_send(0, now) {
                    return None;
                }
                self.phase = Phase::Probing {
                    volleys: volleys.saturating_add(1),
                };
                // Popped from the back: smallest first.
                // Cap the volley at the next amount to try: the limit, or
                // while a data-less F08 is being searched, the midpoint.
                let cap = self
                    .max_packet
                    .limit()
                    .map(|_| self.max_packet.next_amount(u64::MAX));
                self.probe_queue = ExchangeRate::probe_amounts(cap).collect();
                self.probe_queue.reverse();
                let amount = self.probe_queue.pop()?;
                return self.build(Kind::Probe, amount, 0, now);
            }
        }
        match self.phase {
            Phase::Open | Phase::Closing => {}
            Phase::NoSource | Phase::Probing { .. } | Phase::Done => return None,
        }
        let in_flight = u32::try_from(self.in_flight.len()).unwrap_or(u32::MAX);
        if !self.congestion.can_send(in_flight, now) {
            return None;
        }
        if let Some(out) = self.next_data(now) {
            return Some(out);
        }
        if self.phase == Phase::Closing {
            if self.in_flight.is_empty() {
                let out = self.build(Kind::Close, 0, 0, now);
                if out.is_none() {
                    self.finish(SenderEvent::Closed);
                }
                return out;
            }
            return None;
        }
        self.next_money(now)
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

    /// Destination units the receiver still accepts, counting what is in flight.
    fn receiver_room(&self) -> Option<u64> {
        let (receive_max, total_received) = self.receiver_limit?;
        if receive_max == u64::MAX {
            return None;
        }
        let in_flight: u64 = self
            .in_flight
            .iter()
            .filter(|p| p.kind == Kind::Money)
            .fold(0, |a, p| a.saturating_add(p.min_destination));
        Some(
            receive_max
                .saturating_sub(total_received)
                .saturating_sub(in_flight),
        )
    }

    fn next_money(&mut self, now: u64) -> Option<Outgoing> {
        let mut want = self
            .send_limit
            .saturating_sub(self.total_sent)
            .saturating_sub(self.in_flight_amount());
        if want == 0 {
            return None;
        }
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
            want = want.min(source_room);
            if want == 0 {
                if !self.in_flight.iter().any(|p| p.kind == Kind::Money) {
                    self.fail(SenderError::ReceiverLimit);
                }
                return None;
            }
        }
        if self.max_packet.is_zero() {
            self.fail(SenderError::RateTooLow);
            return None;
        }
        let mut amount = self.max_packet.next_amount(want);
        // Leave no remainder too small to deliver anything: it could never
        // be sent, and a capped payment would never finish.
        if let Some(smallest) = self.min_deliverable() {
            let rest = want - amount;
            if rest > 0 && rest < smallest {
                let shrunk = want.saturating_sub(smallest);
                if shrunk >= smallest {
                    amount = shrunk.min(amount);
                } else if self.max_packet.limit().is_none_or(|limit| want <= limit) {
                    amount = want;
                }
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
        self.build(Kind::Money, amount, min_destination, now)
    }

    fn build(
        &mut self,
        kind: Kind,
        amount: u64,
        min_destination: u64,
        now: u64,
    ) -> Option<Outgoing> {
        let source = self.source.as_ref()?;
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
            Kind::Probe => {}
            Kind::Money => frames.push(Frame::StreamMoney {
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
            Kind::Money | Kind::Data { .. } => {
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

    /// The ILP reply (Fulfill or Reject bytes) to the Prepare with `sequence`.
    /// Replies to unknown sequences (late, duplicated) are ignored.
    pub fn handle_reply(&mut self, sequence: u64, reply: &[u8], now: u64) {
        let Some(i) = self.in_flight.iter().position(|p| p.sequence == sequence) else {
            return;
        };
        let sent = self.in_flight.swap_remove(i);
        let (closed, receiver_total) = match ilp::Packet::from_bytes(reply) {
            Ok(ilp::Packet::Fulfill(f)) if crypto::condition(&f.fulfillment) == sent.condition => {
                let info = self.read_reply(f.data, sent.sequence, IlpPacketType::Fulfill);
                let told = info
                    .as_ref()
                    .map_or((None, None), |i| (i.closed.clone(), i.receiver_total));
                self.on_fulfill(sent, info);
                told
            }
            Ok(ilp::Packet::Reject(r)) => {
                let info = self.read_reply(r.data, sent.sequence, IlpPacketType::Reject);
                let told = info
                    .as_ref()
                    .map_or((None, None), |i| (i.closed.clone(), i.receiver_total));
                self.on_reject(sent, r.code, r.message, r.data, info, now);
                told
            }
            // A Fulfill that does not match, a Prepare, or bytes we cannot
            // read: the packet was not paid as far as we can prove. Treated
            // like a temporary error, so one odd reply does not end the stream.
            Ok(_) | Err(_) => {
                self.on_reject(
                    sent,
                    ErrorCode::T00_INTERNAL_ERROR,
                    b"unreadable reply",
                    &[],
                    None,
                    now,
                );
                (None, None)
            }
        };
        if let Some(total) = receiver_total {
            self.reconcile(total);
        }
        if let Some((code, message)) = closed {
            self.on_remote_close(code, message);
        }
    }

    /// Counts packets lost with a dropped link that the receiver did get.
    ///
    /// With no other money in flight, the receiver's own total (from its
    /// `StreamMaxMoney` frame) exceeds ours exactly by what such packets
    /// delivered. They are matched oldest first by what each was expected
    /// to deliver, and counted as fulfilled: the receiver's word is the
    /// proof, as a fulfillment would have been.
    fn reconcile(&mut self, receiver_total: u64) {
        if self.unresolved.is_empty() || self.in_flight.iter().any(|p| p.kind == Kind::Money) {
            return;
        }
        let missing = receiver_total.saturating_sub(self.total_delivered);
        if missing == 0 {
            return;
        }
        let (mut amount, mut expected, mut taken) = (0u64, 0u64, 0);
        for u in &self.unresolved {
            let next = expected.saturating_add(u.expected);
            if next > missing {
                break;
            }
            expected = next;
            amount = amount.saturating_add(u.amount);
            taken += 1;
        }
        if taken == 0 {
            return;
        }
        self.unresolved.drain(..taken);
        self.total_sent = self.total_sent.saturating_add(amount);
        self.total_delivered = self.total_delivered.saturating_add(missing);
        self.events.push_back(SenderEvent::Fulfilled {
            amount,
            delivered: missing,
            receipt: None,
        });
    }

    /// The receiver closed the connection (or our stream).
    fn on_remote_close(&mut self, code: CloseCode, message: String) {
        if self.phase == Phase::Closing {
            self.finish(SenderEvent::Closed);
        } else if self.phase != Phase::Done {
            self.finish(SenderEvent::ReceiverClosed { code, message });
        }
    }

    /// The Prepare with `sequence` got no reply: `lost` when the link went
    /// down (not the path's fault), otherwise it timed out.
    pub fn handle_failure(&mut self, sequence: u64, lost: bool, now: u64) {
        let Some(i) = self.in_flight.iter().position(|p| p.sequence == sequence) else {
            return;
        };
        let sent = self.in_flight.swap_remove(i);
        if sent.kind == Kind::Close {
            self.finish(SenderEvent::Closed);
            return;
        }
        if sent.kind == Kind::Money && sent.expires_at > now {
            // What it would deliver at the rate known now (no slippage).
            let expected =
                self.rate
                    .lower_bound()
                    .map_or(sent.min_destination, |(delivered, of)| {
                        u64::try_from(
                            u128::from(sent.amount) * u128::from(delivered) / u128::from(of.max(1)),
                        )
                        .unwrap_or(u64::MAX)
                    });
            self.unresolved.push(Unresolved {
                amount: sent.amount,
                expected,
                expires_at: sent.expires_at,
            });
        }
        if !lost {
            self.timeouts_in_a_row = self.timeouts_in_a_row.saturating_add(1);
            self.congestion
                .on_reject(*ErrorCode::T00_INTERNAL_ERROR.as_bytes(), now);
            if self.timeouts_in_a_row >= MAX_TIMEOUTS_IN_A_ROW {
                self.fail(SenderError::Timeout);
            }
        }
    }

    fn on_fulfill(&mut self, sent: InFlight, info: Option<ReplyInfo>) {
        self.failures_in_a_row = 0;
        self.timeouts_in_a_row = 0;
        self.liquidity_trouble_since = None;
        self.congestion.on_fulfill();
        match sent.kind {
            Kind::Money => {
                self.max_packet.on_fulfill(sent.amount);
                let delivered = info.as_ref().map_or(sent.min_destination, |i| i.delivered);
                if info.is_some() {
                    self.rate.on_reply(sent.amount, delivered);
                }
                self.total_sent = self.total_sent.saturating_add(sent.amount);
                self.total_delivered = self.total_delivered.saturating_add(delivered);
                self.events.push_back(SenderEvent::Fulfilled {
                    amount: sent.amount,
                    delivered,
                    receipt: info.and_then(|i| i.receipt),
                });
            }
            Kind::Data { len, .. } => {
                let len = usize::try_from(len)
                    .unwrap_or(usize::MAX)
                    .min(self.data.len());
                self.data.drain(..len);
                self.data_acked_offset = self.data_acked_offset.saturating_add(len as u64);
                self.events.push_back(SenderEvent::DataAcknowledged {
                    offset: self.data_acked_offset,
                });
            }
            Kind::Close => self.finish(SenderEvent::Closed),
            Kind::Probe => {}
        }
    }

    fn on_reject(
        &mut self,
        sent: InFlight,
        code: ErrorCode,
        message: &[u8],
        data: &[u8],
        info: Option<ReplyInfo>,
        now: u64,
    ) {
        if sent.kind == Kind::Close {
            self.finish(SenderEvent::Closed);
            return;
        }
        if let Some(info) = &info {
            // Every authentic reply tells what arrived for what was sent,
            // and proves the path carried that amount to the receiver.
            self.rate.on_reply(sent.amount, info.delivered);
            self.max_packet.on_fulfill(sent.amount);
        }
        if sent.kind == Kind::Probe && code == ErrorCode::F99_APPLICATION_ERROR && info.is_some() {
            return; // the expected answer to a probe
        }
        match code.class() {
            _ if code == ErrorCode::F08_AMOUNT_TOO_LARGE => {
                let data = AmountTooLarge::from_data(data)
                    .ok()
                    .map(|d| (d.received, d.maximum));
                let before = self.max_packet.limit();
                self.max_packet.on_amount_too_large(sent.amount, data);
                if self.max_packet.limit() != before {
                    // The search for the path maximum moved: progress, not
                    // a failure (a data-less search may take ~log2(amount)
                    // rounds of a full window each).
                    return;
                }
            }
            _ if code == ErrorCode::F99_APPLICATION_ERROR => {}
            ErrorClass::Temporary => {
                if code == ErrorCode::T04_INSUFFICIENT_LIQUIDITY
                    && self.liquidity_trouble_since.is_none()
                {
                    self.liquidity_trouble_since = Some(now);
                }
                self.congestion.on_reject(code.0, now);
            }
            ErrorClass::Relative => {}
            ErrorClass::Final | ErrorClass::Unknown => {
                self.fail(SenderError::Rejected {
                    code,
                    message: crate::text::lossy(message),
                });
                return;
            }
        }
        self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
        if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW && self.phase != Phase::Done {
            let error = if code == ErrorCode::T04_INSUFFICIENT_LIQUIDITY {
                SenderError::InsufficientLiquidity
            } else if code == ErrorCode::F99_APPLICATION_ERROR && self.receiver_room() == Some(0) {
                SenderError::ReceiverLimit
            } else {
                SenderError::Rejected {
                    code,
                    message: crate::text::lossy(message),
                }
            };
            self.fail(error);
        }
    }

    fn check_liquidity(&mut self, now: u64) {
        if self
            .liquidity_trouble_since
            .is_some_and(|since| now.saturating_sub(since) >= LIQUIDITY_GIVE_UP_MS)
        {
            self.fail(SenderError::InsufficientLiquidity);
        }
    }
}
