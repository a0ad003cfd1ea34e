//! What comes back for each Prepare: its reply (Fulfill or Reject) or its
//! failure (lost, timed out, BTP error, no ILP data), and what that teaches:
//! money sent, rejected or in doubt, the rate, the path's limits, the
//! receiver's totals, and trouble on the path.

use super::doubt::{self, Doubtful, ReceiverTotals, SETTLE_MARGIN_MS};
use super::pace::Trouble;
use super::reply::ReplyInfo;
use super::{
    Failure, InFlight, Kind, Phase, RejectReason, Sender, SenderError, SenderEvent, QUERY_RETRY_MS,
};
use crate::codec::Decode;
use crate::ilp::{self, AmountTooLarge, ErrorClass, ErrorCode};
use crate::stream::crypto;
use crate::stream::packet::IlpPacketType;
use crate::stream::ErrorCode as CloseCode;

impl Sender {
    /// The ILP reply (Fulfill or Reject bytes) to the Prepare with `sequence`.
    /// Replies to unknown sequences (late, duplicated) are ignored.
    pub fn handle_reply(&mut self, sequence: u64, reply: &[u8], now: u64) {
        let Some(i) = self.in_flight.iter().position(|p| p.sequence == sequence) else {
            return;
        };
        let sent = self.in_flight.swap_remove(i);
        let rtt = now.saturating_sub(sent.expires_at.saturating_sub(self.packet_expiry_ms));
        let mut authentic = false;
        let outcome = match ilp::Packet::from_bytes(reply) {
            Ok(ilp::Packet::Fulfill(f)) if crypto::condition(&f.fulfillment) == sent.condition => {
                None
            }
            Ok(ilp::Packet::Reject(r)) => Some(r.code),
            Ok(_) | Err(_) => Some(ErrorCode::T00_INTERNAL_ERROR),
        };
        self.stats.on_reply(rtt, outcome);
        let (closed, receiver_total) = match ilp::Packet::from_bytes(reply) {
            Ok(ilp::Packet::Fulfill(f)) if crypto::condition(&f.fulfillment) == sent.condition => {
                let info = self.read_reply(f.data, sent.sequence, IlpPacketType::Fulfill);
                authentic = info.is_some();
                let told = info
                    .as_ref()
                    .map_or((None, None), |i| (i.closed.clone(), i.receiver_total));
                self.on_fulfill(sent, info, now);
                told
            }
            Ok(ilp::Packet::Reject(r)) => {
                let info = self.read_reply(r.data, sent.sequence, IlpPacketType::Reject);
                authentic = info.is_some();
                let told = info
                    .as_ref()
                    .map_or((None, None), |i| (i.closed.clone(), i.receiver_total));
                let reason = RejectReason::of(&r);
                self.on_reject(sent, reason, r.data, info, now);
                told
            }
            // A Fulfill that does not match, a Prepare, or bytes we cannot
            // read: the packet was not paid as far as we can prove. Treated
            // like a temporary error, so one odd reply does not end the stream.
            Ok(_) | Err(_) => {
                let reason = RejectReason {
                    code: ErrorCode::T00_INTERNAL_ERROR,
                    message: "unreadable reply".to_owned(),
                    triggered_by: None,
                };
                self.on_reject(sent, reason, &[], None, now);
                (None, None)
            }
        };
        if sent.kind == Kind::Query {
            self.on_query_answer(authentic.then_some(receiver_total), now);
        }
        if let Some((code, message)) = closed {
            self.on_remote_close(code, message);
        }
        self.tick_trouble(now);
    }

    /// The receiver's total, read while nothing else paying was in flight,
    /// resolves money in doubt.
    /// `answer`: `None` when the reply was not the receiver's (a connector
    /// refused the query), else the total it reported, if any.
    fn on_query_answer(&mut self, answer: Option<Option<u64>>, now: u64) {
        let Some(receiver_total) = answer else {
            // Not the receiver's word: ask again a little later.
            if !self.doubt.is_empty() && self.totals != ReceiverTotals::Absent {
                self.query_due = Some(now.saturating_add(QUERY_RETRY_MS));
            }
            return;
        };
        let Some(total) = receiver_total else {
            // The receiver answered without a total: it reports none.
            if self.totals == ReceiverTotals::Unknown {
                self.totals = ReceiverTotals::Absent;
            }
            self.query_due = None;
            return;
        };
        if self.totals == ReceiverTotals::Unknown && total > 0 && total >= self.total_delivered() {
            self.totals = ReceiverTotals::Cumulative;
        }
        match self.totals {
            ReceiverTotals::Absent => self.query_due = None,
            // A total of 0 before any fulfill: nothing arrived, or a
            // receiver that always says 0. Ask again once the packets can
            // no longer be executed; after that only a fulfill can tell.
            ReceiverTotals::Unknown => self.query_due = self.settle_time().filter(|&t| t > now),
            ReceiverTotals::Cumulative => {
                // Units the receiver has beyond our count: delivered by
                // packets in doubt. Booked at once, so our delivered total
                // equals the receiver's, and kept to explain later.
                let new_units = total.saturating_sub(self.total_delivered());
                self.budget.on_units_delivered(new_units);
                self.unexplained.units = self.unexplained.units.saturating_add(new_units);
                let resolutions = doubt::resolve(&mut self.doubt, &mut self.unexplained, now);
                let mut sent = 0u64;
                for r in resolutions {
                    self.budget.on_resolved(r.purpose, r.amount, r.delivered);
                    match r.delivered {
                        Some(_) => sent = sent.saturating_add(r.amount),
                        None => self
                            .events
                            .push_back(SenderEvent::Released { amount: r.amount }),
                    }
                }
                if sent > 0 || new_units > 0 {
                    self.events.push_back(SenderEvent::Fulfilled {
                        amount: sent,
                        delivered: new_units,
                        receipt: None,
                    });
                }
                // Undecided packets: ask again once the total is final;
                // after that nothing more can be learnt.
                self.query_due = self.settle_time().filter(|&t| t > now);
            }
        }
    }

    /// When every packet in doubt can no longer be executed.
    fn settle_time(&self) -> Option<u64> {
        self.doubt
            .iter()
            .map(|d| d.expires_at.saturating_add(SETTLE_MARGIN_MS))
            .max()
    }

    /// The receiver closed the connection (or our stream).
    pub(super) fn on_remote_close(&mut self, code: CloseCode, message: String) {
        match &self.phase {
            Phase::Closing { error, .. } => {
                let event = error
                    .clone()
                    .map_or(SenderEvent::Closed, SenderEvent::Failed);
                self.finish(event);
            }
            Phase::Done => {}
            _ => self.finish(SenderEvent::ReceiverClosed { code, message }),
        }
    }

    /// The Prepare with `sequence` got no ILP reply.
    pub fn handle_failure(&mut self, sequence: u64, failure: Failure, now: u64) {
        let Some(i) = self.in_flight.iter().position(|p| p.sequence == sequence) else {
            return;
        };
        let sent = self.in_flight.swap_remove(i);
        let unknown = matches!(
            failure,
            Failure::Lost | Failure::TimedOut | Failure::NoIlpData
        );
        match sent.kind {
            Kind::Close => {
                let event = match &self.phase {
                    Phase::Closing { error: Some(e), .. } => SenderEvent::Failed(e.clone()),
                    _ => SenderEvent::Closed,
                };
                self.finish(event);
                return;
            }
            Kind::Money(purpose) if unknown => {
                // The most it could deliver at the highest rate known.
                let max = self.rate.upper_bound().map_or(u64::MAX, |(d, of)| {
                    u64::try_from(u128::from(sent.amount) * d / u128::from(of.max(1)))
                        .unwrap_or(u64::MAX)
                        .max(sent.min_destination)
                });
                self.budget.on_doubt(purpose, sent.amount);
                self.doubt.push(Doubtful {
                    amount: sent.amount,
                    min: sent.min_destination,
                    max,
                    purpose,
                    expires_at: sent.expires_at,
                });
                if self.totals != ReceiverTotals::Absent {
                    self.query_due = Some(now);
                }
                self.events.push_back(SenderEvent::InDoubt {
                    amount: sent.amount,
                });
            }
            Kind::Money(purpose) => self.budget.on_rejected(purpose, sent.amount),
            Kind::Query if unknown => self.query_due = self.query_due.or(Some(now)),
            // Whether our window reached the peer is unknown: tell it again.
            Kind::Window => self.incoming.advertisement_lost(),
            Kind::Probe | Kind::Query | Kind::Data { .. } => {}
        }
        let cause = match failure {
            Failure::Lost | Failure::TimedOut => None,
            Failure::BtpError { code, name } => Some(SenderError::BtpError { code, name }),
            Failure::NoIlpData => Some(SenderError::NoIlpData),
        };
        if let Some(cause) = cause {
            self.congestion
                .on_reject(*ErrorCode::T00_INTERNAL_ERROR.as_bytes(), now);
            self.begin_trouble(cause, now);
        }
    }

    fn begin_trouble(&mut self, cause: SenderError, now: u64) {
        match self.trouble.as_mut() {
            Some(t) => t.cause = cause,
            None => {
                self.trouble = Some(Trouble {
                    cause,
                    trying_ms: 0,
                    since: Some(now),
                })
            }
        }
    }

    fn on_fulfill(&mut self, sent: InFlight, info: Option<ReplyInfo>, now: u64) {
        self.trouble = None;
        self.congestion.on_fulfill();
        match sent.kind {
            Kind::Money(purpose) => {
                self.max_packet.on_fulfill(sent.amount);
                if let Some(cap) = self.credit_cap {
                    if sent.amount.saturating_mul(2) >= cap {
                        self.credit_cap = Some(cap.saturating_mul(2));
                    }
                }
                let delivered = info.as_ref().map_or(sent.min_destination, |i| i.delivered);
                if info.is_some() {
                    self.rate.on_reply(sent.amount, delivered);
                }
                self.budget.on_fulfilled(purpose, sent.amount, delivered);
                self.judge_totals(info.as_ref().and_then(|i| i.receiver_total), now);
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
            Kind::Close => {
                let event = match &self.phase {
                    Phase::Closing { error: Some(e), .. } => SenderEvent::Failed(e.clone()),
                    _ => SenderEvent::Closed,
                };
                self.finish(event);
            }
            Kind::Probe | Kind::Query | Kind::Window => {}
        }
    }

    /// Whether the receiver's totals can be trusted, judged from the total
    /// in a fulfill's reply: it must cover everything we counted.
    fn judge_totals(&mut self, total: Option<u64>, now: u64) {
        let Some(total) = total else {
            self.totals = ReceiverTotals::Absent;
            self.query_due = None;
            return;
        };
        self.receiver_total_seen = self.receiver_total_seen.max(total);
        if self.receiver_total_seen < self.total_delivered() {
            // interledger-rs reports 0 whatever arrived.
            self.totals = ReceiverTotals::Absent;
            self.query_due = None;
        } else if self.totals == ReceiverTotals::Unknown {
            self.totals = ReceiverTotals::Cumulative;
            if !self.doubt.is_empty() {
                self.query_due = Some(now);
            }
        }
    }

    fn on_reject(
        &mut self,
        sent: InFlight,
        reason: RejectReason,
        data: &[u8],
        info: Option<ReplyInfo>,
        now: u64,
    ) {
        let code = reason.code;
        match sent.kind {
            Kind::Close => {
                let event = match &self.phase {
                    Phase::Closing { error: Some(e), .. } => SenderEvent::Failed(e.clone()),
                    _ => SenderEvent::Closed,
                };
                self.finish(event);
                return;
            }
            Kind::Money(purpose) => self.budget.on_rejected(purpose, sent.amount),
            Kind::Query => return, // an answer, whatever the code
            // Refused before the peer read it: tell it again.
            Kind::Window if info.is_none() => self.incoming.advertisement_lost(),
            Kind::Probe | Kind::Data { .. } | Kind::Window => {}
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
                    && matches!(sent.kind, Kind::Money(_))
                {
                    // A credit line (or a money throttle) refuses a packet
                    // whole: try smaller ones. Fulfills grow it back.
                    let half = (sent.amount / 2).max(1);
                    self.credit_cap = Some(self.credit_cap.map_or(half, |c| c.min(half)));
                }
                self.congestion.on_reject(code.0, now);
            }
            ErrorClass::Relative => {}
            ErrorClass::Final | ErrorClass::Unknown => {
                self.fail(SenderError::Rejected(reason));
                return;
            }
        }
        let cause = if code == ErrorCode::T04_INSUFFICIENT_LIQUIDITY {
            SenderError::InsufficientLiquidity(Some(reason))
        } else {
            SenderError::Rejected(reason)
        };
        self.begin_trouble(cause, now);
    }
}
