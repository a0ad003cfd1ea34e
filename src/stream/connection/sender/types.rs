//! The values a [`Sender`](super::Sender) takes and reports.

use std::fmt;

use crate::text::{display_via_text, put, Text};

use super::budget::PaymentOutcome;
use crate::ilp::{ErrorCode, OwnedAddress, Reject};
use crate::stream::ErrorCode as CloseCode;

/// Where the sender itself sits, learnt by IL-DCP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Our ILP address.
    pub address: OwnedAddress,
    /// The asset of our account, e.g. `"USD"`.
    pub asset_code: String,
    /// The scale of our account's asset.
    pub asset_scale: u8,
}

/// A Prepare ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The STREAM sequence number; give it back with the reply.
    pub sequence: u64,
    /// The encoded ILP Prepare.
    pub prepare: Vec<u8>,
    /// Its source amount.
    pub amount: u64,
}

/// What the sender reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SenderEvent {
    /// The receiver answered for the first time (the connection is up).
    Connected {
        /// The receiver's asset, if it told us.
        receiver_asset: Option<(String, u8)>,
    },
    /// The exchange rate is known: the connection pays from now on.
    Opened {
        /// Nothing will be sent at once: no rate and nothing to pay, or a
        /// coarse receiver for which pacing first accumulates budget.
        waiting: bool,
    },
    /// A paying packet was fulfilled (or in-doubt money was resolved as
    /// delivered by the receiver's own total).
    Fulfilled {
        /// Source amount.
        amount: u64,
        /// Amount the receiver reported receiving, in its units.
        delivered: u64,
        /// The receiver's STREAM receipt (RFC 39) for our stream, if any.
        receipt: Option<Vec<u8>>,
    },
    /// A paying packet's outcome became unknown: its money is in doubt.
    InDoubt {
        /// Source amount.
        amount: u64,
    },
    /// In-doubt money turned out never to have arrived; it is free again.
    Released {
        /// Source amount.
        amount: u64,
    },
    /// A discrete payment finished.
    PaymentDone(PaymentOutcome),
    /// The path carries less than the paced rate (or again all of it).
    Throttled {
        /// Whether the path is throttling us now.
        throttled: bool,
        /// Paced source units per second fulfilled lately.
        achieved_per_second: u64,
    },
    /// The overall cap (`max_total`) is reached: nothing more will be sent.
    CapReached,
    /// Data up to this offset of our stream has been acknowledged.
    DataAcknowledged {
        /// Bytes acknowledged in total.
        offset: u64,
    },
    /// Data the peer sent on our stream can be read
    /// ([`Sender::read_data`](super::Sender::read_data)).
    DataReadable {
        /// Bytes readable now, in order.
        readable: usize,
    },
    /// The receiver closed the connection or our stream.
    ReceiverClosed {
        /// Its close code.
        code: CloseCode,
        /// Its message.
        message: String,
    },
    /// Our close finished: nothing is in flight and the receiver was told.
    Closed,
    /// The sender gave up; nothing more will be sent.
    Failed(SenderError),
}

/// Why the sender gave up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SenderError {
    /// No packet the path forwards can deliver even one unit.
    RateTooLow,
    /// One packet delivering one receiver unit takes longer than the
    /// pacing bound to accumulate at the configured rate.
    PacingTooSlow {
        /// The smallest `amount_per_second` that works.
        min_amount_per_second: u64,
        /// The smallest source amount that delivers one unit.
        min_packet: u64,
    },
    /// The exchange rate could not be learnt.
    RateUnknown,
    /// The receiver will accept no more money.
    ReceiverLimit,
    /// The connector keeps refusing for lack of credit (T04): the last
    /// such reject.
    InsufficientLiquidity(Option<RejectReason>),
    /// Packets keep getting no answer.
    Timeout,
    /// The connector keeps answering with BTP errors.
    BtpError {
        /// The BTP error code.
        code: [u8; 3],
        /// The BTP error name.
        name: String,
    },
    /// The connector keeps answering without an ILP packet.
    NoIlpData,
    /// RFC 29 allows 2^31 packets per connection; it was closed before that.
    PacketLimit,
    /// The path refused a packet for good (an F or R code), or keeps
    /// refusing with a temporary code other than T04.
    Rejected(RejectReason),
    /// The peer sent data beyond the receive window we advertised (RFC 29
    /// flow-control error); the connection was closed.
    FlowControl {
        /// Where its data ended.
        end: u64,
        /// The window's end.
        limit: u64,
    },
}

impl Text for SenderError {
    fn put(&self, out: &mut String) {
        match self {
            Self::RateTooLow => out.push_str(RATE_TOO_LOW),
            Self::RateUnknown => out.push_str(RATE_UNKNOWN),
            Self::ReceiverLimit => out.push_str(RECEIVER_LIMIT),
            Self::InsufficientLiquidity(reason) => {
                put_insufficient_liquidity(out, reason.as_ref());
            }
            Self::Timeout => out.push_str("packets keep timing out without an answer"),
            Self::PacingTooSlow {
                min_amount_per_second,
                min_packet,
            } => put_pacing_too_slow(out, *min_amount_per_second, *min_packet),
            Self::BtpError { code, name } => put_btp_error(out, code, name),
            Self::NoIlpData => out.push_str(NO_ILP_DATA),
            Self::PacketLimit => out.push_str(PACKET_LIMIT),
            Self::Rejected(reason) => put_rejected(out, reason),
            Self::FlowControl { end, limit } => put_flow_control(out, *end, *limit),
        }
    }
}

// The messages [`ClientError`](crate::client::ClientError) shares with
// [`SenderError`], written from borrowed fields.

pub(crate) const RATE_TOO_LOW: &str =
    "the exchange rate is too low: no packet the path forwards delivers even one unit";
pub(crate) const RATE_UNKNOWN: &str = "the exchange rate to the receiver could not be determined";
pub(crate) const RECEIVER_LIMIT: &str = "the receiver will not accept any more money";
pub(crate) const NO_ILP_DATA: &str = "the connector keeps answering without an ILP packet";
pub(crate) const PACKET_LIMIT: &str =
    "the connection reached the STREAM limit of 2^31 packets and was closed";

pub(crate) fn put_insufficient_liquidity(out: &mut String, reason: Option<&RejectReason>) {
    out.push_str("the connector keeps refusing packets for lack of liquidity (T04)");
    if let Some(r) = reason {
        r.describe(out);
    }
}

pub(crate) fn put_pacing_too_slow(out: &mut String, min_amount_per_second: u64, min_packet: u64) {
    put!(
        out,
        "the rate is too low for this receiver: delivering one unit takes ",
        min_packet,
        " source units, more than ",
        super::MAX_ACCUMULATE_MS / 1000,
        " seconds of pacing; use amountPerSecond of at least ",
        min_amount_per_second,
    );
}

pub(crate) fn put_btp_error(out: &mut String, code: &[u8; 3], name: &str) {
    put!(
        out,
        "the connector keeps answering with BTP error ",
        crate::text::lossy(code),
        " ",
        name,
    );
}

pub(crate) fn put_rejected(out: &mut String, reason: &RejectReason) {
    out.push_str("the payment path rejected a packet");
    reason.describe(out);
}

pub(crate) fn put_flow_control(out: &mut String, end: u64, limit: u64) {
    put!(
        out,
        "the receiver sent data up to offset ",
        end,
        ", beyond the window it was given (",
        limit,
        ")",
    );
}

display_via_text!(SenderError);

impl std::error::Error for SenderError {}

impl SenderError {
    /// The ILP reject behind this error, if one caused it.
    pub const fn reject(&self) -> Option<&RejectReason> {
        match self {
            Self::InsufficientLiquidity(Some(r)) | Self::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

/// An ILP Reject that caused an error: its code, message and who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectReason {
    /// The ILP error code, e.g. T04.
    pub code: ErrorCode,
    /// The reject's message (lossy UTF-8).
    pub message: String,
    /// The address of the node that rejected, if valid.
    pub triggered_by: Option<OwnedAddress>,
}

impl RejectReason {
    /// The reason a Reject gives.
    pub fn of(reject: &Reject<'_>) -> Self {
        Self {
            code: reject.code,
            message: crate::text::lossy(reject.message),
            triggered_by: reject.triggered_by.map(|a| a.to_owned_address()),
        }
    }

    /// `": T04 Insufficient Liquidity \"message\" from test.connector"`.
    pub(crate) fn describe(&self, out: &mut String) {
        put!(out, ": ", self.code);
        if !self.message.is_empty() {
            put!(out, " \"", self.message, "\"");
        }
        if let Some(by) = &self.triggered_by {
            put!(out, " from ", by.as_str());
        }
    }
}

/// Settings of a [`Sender`](super::Sender).
#[derive(Clone)]
pub struct SenderConfig {
    /// The receiver's ILP address (from SPSP).
    pub destination: OwnedAddress,
    /// The connection's shared secret (from SPSP). Never printed.
    pub shared_secret: [u8; 32],
    /// Exchange-rate slippage tolerated, in millionths (10_000 = 1%).
    pub slippage_ppm: u32,
    /// Lifetime of each Prepare.
    pub packet_expiry_ms: u64,
    /// Paced rate, source units per second (0: only discrete payments).
    pub amount_per_second: u64,
    /// Never send more than this in total (counting money in doubt).
    pub max_total: Option<u64>,
    /// Packets after which the connection closes (RFC 29: below 2^31).
    pub max_packets: u64,
}

impl fmt::Debug for SenderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderConfig")
            .field("destination", &self.destination)
            .field("shared_secret", &"<redacted>")
            .field("slippage_ppm", &self.slippage_ppm)
            .field("packet_expiry_ms", &self.packet_expiry_ms)
            .field("amount_per_second", &self.amount_per_second)
            .field("max_total", &self.max_total)
            .field("max_packets", &self.max_packets)
            .finish()
    }
}

/// Why a Prepare got no ILP reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The link dropped while it was in flight: it may have been executed.
    Lost,
    /// No reply in time: it may have been executed.
    TimedOut,
    /// The connector answered with a BTP Error: it was not forwarded.
    BtpError {
        /// The BTP error code.
        code: [u8; 3],
        /// The BTP error name.
        name: String,
    },
    /// The connector answered without an ILP packet: outcome unknown.
    NoIlpData,
}

/// What the sender has seen of the path, cheap to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Smoothed round-trip time of Prepares (7/8 old + 1/8 new), in ms.
    pub rtt_ms: Option<u64>,
    /// Prepares fulfilled.
    pub fulfilled: u64,
    /// Prepares rejected, by ILP error code (probes' F99 included).
    pub rejected: Vec<(ErrorCode, u64)>,
}

impl SenderStats {
    pub(super) fn on_reply(&mut self, rtt_ms: u64, rejected: Option<ErrorCode>) {
        self.rtt_ms = Some(self.rtt_ms.map_or(rtt_ms, |srtt| {
            srtt.saturating_mul(7).saturating_add(rtt_ms) / 8
        }));
        match rejected {
            None => self.fulfilled = self.fulfilled.saturating_add(1),
            Some(code) => match self.rejected.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n = n.saturating_add(1),
                None => self.rejected.push((code, 1)),
            },
        }
    }
}
