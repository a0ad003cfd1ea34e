//! The values that cross the [`Client`](super::Client) boundary: its
//! configuration, its inputs and outputs, the events and errors it reports.

use std::fmt;

use super::PaymentId;
use crate::btp::session::Credentials;
use crate::btp::session::{AuthFailure, RequestFailure};
use crate::ilp::{ErrorCode, OwnedAddress};
use crate::stream::connection::sender::types as sender;
use crate::stream::connection::sender::{DEFAULT_PACKET_EXPIRY_MS, MAX_PACKETS};
use crate::stream::connection::{RejectReason, SenderError};
use crate::stream::ErrorCode as CloseCode;
use crate::text::{display_via_text, put, Text};

/// Everything a [`Client`](super::Client) needs. `Debug` redacts the secrets.
#[derive(Clone)]
pub struct ClientConfig {
    /// BTP credentials.
    pub credentials: Credentials,
    /// The receiver's address and secret, or `None` to have the client ask
    /// for them ([`Output::ResolveReceiver`]) when it starts.
    pub receiver: Option<ReceiverDetails>,
    /// Paced rate in source units per second (0: only discrete payments).
    pub amount_per_second: u64,
    /// Stop once this much has been sent.
    pub max_total: Option<u64>,
    /// Exchange-rate slippage tolerated, in millionths.
    pub slippage_ppm: u32,
    /// Seed for nonces, random conditions, request ids and jitter. Must come
    /// from a real entropy source.
    pub seed: [u8; 32],
    /// Timeouts and limits; the defaults suit production paths.
    pub tuning: Tuning,
}

/// Timeouts and limits of a [`Client`](super::Client). Tests of faults
/// shorten them rather than wait out production values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Lifetime of each Prepare (default 30 s, as the reference client).
    pub packet_expiry_ms: u64,
    /// How long a BTP request may wait for its answer (default 35 s).
    pub request_timeout_ms: u64,
    /// Packets after which the connection closes (RFC 29: below 2^31).
    pub max_packets: u64,
    /// How long the socket may take to open, authenticate and answer
    /// IL-DCP (default [`DEFAULT_CONNECT_TIMEOUT_MS`]).
    pub connect_timeout_ms: u64,
}

/// Default of [`Tuning::connect_timeout_ms`]: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;

impl Default for Tuning {
    fn default() -> Self {
        Self {
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            packet_expiry_ms: DEFAULT_PACKET_EXPIRY_MS,
            request_timeout_ms: crate::btp::session::DEFAULT_REQUEST_TIMEOUT_MS,
            max_packets: MAX_PACKETS,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("credentials", &self.credentials)
            .field("receiver", &self.receiver)
            .field("amount_per_second", &self.amount_per_second)
            .field("max_total", &self.max_total)
            .field("slippage_ppm", &self.slippage_ppm)
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

/// Where the money goes: the receiver's ILP address and the STREAM shared
/// secret (from SPSP). `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiverDetails {
    /// The receiver's ILP address.
    pub destination: OwnedAddress,
    /// The STREAM shared secret.
    pub shared_secret: [u8; 32],
}

impl fmt::Debug for ReceiverDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverDetails")
            .field("destination", &self.destination)
            .field("shared_secret", &"<redacted>")
            .finish()
    }
}

/// Why the receiver's SPSP query failed (RFC 9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpspFailure {
    /// The URL queried.
    pub url: String,
    /// What went wrong.
    pub problem: SpspProblem,
}

/// What went wrong with an SPSP query.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpspProblem {
    /// No answer within this many ms (`connectTimeout`).
    Timeout(u64),
    /// The request failed: network down, or a response withheld for lack
    /// of CORS headers; with the platform's message.
    Unreachable(String),
    /// An HTTP status outside 2xx.
    Status(u16),
    /// The body is not JSON.
    NotJson,
    /// The JSON is not a valid SPSP response; why.
    Invalid(String),
    /// The platform has no `fetch`.
    NoFetch,
}

impl Text for SpspFailure {
    fn put(&self, out: &mut String) {
        let url = &self.url;
        match &self.problem {
            SpspProblem::Timeout(ms) => {
                put!(out, url, " did not answer within ", ms, " ms (connectTimeout)");
            }
            SpspProblem::Unreachable(why) => put!(
                out,
                "could not reach ",
                url,
                ": ",
                why,
                " (the server is down, or does not allow cross-origin requests: a payment pointer must send Access-Control-Allow-Origin)",
            ),
            SpspProblem::Status(status) => put!(out, url, " answered HTTP ", status),
            SpspProblem::NotJson => put!(out, url, " did not answer JSON"),
            SpspProblem::Invalid(why) => put!(out, url, " gave an invalid SPSP response: ", why),
            SpspProblem::NoFetch => out.push_str("this environment has no fetch()"),
        }
    }
}

display_via_text!(SpspFailure);

/// What happened on the socket, or to the receiver's query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// The WebSocket opened.
    SocketOpened,
    /// A binary message arrived.
    SocketMessage(&'a [u8]),
    /// The WebSocket closed (or failed to open).
    SocketClosed,
    /// This platform has no WebSocket to connect with.
    NoWebSocket,
    /// The answer to [`Output::ResolveReceiver`].
    ReceiverResolved(ReceiverDetails),
    /// [`Output::ResolveReceiver`] failed.
    ReceiverFailed(SpspFailure),
}

/// What the caller must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Query the receiver's SPSP endpoint; answer with
    /// [`Input::ReceiverResolved`] or [`Input::ReceiverFailed`]. It comes
    /// with [`Output::Connect`] at the start: the query and the connection
    /// overlap, and nothing goes to the receiver before the answer.
    ResolveReceiver,
    /// Open the WebSocket (any previous one is closed).
    Connect,
    /// Send this binary message.
    Send(Vec<u8>),
    /// Close the WebSocket.
    Disconnect,
    /// Tell the application.
    Event(Event),
    /// Nothing more now: call [`Client::poll_output`](super::Client::poll_output) again at this time
    /// (`u64::MAX`: only after new input).
    Timeout(u64),
}

/// Events for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Connected and paying (the first packet was fulfilled, or the
    /// connection is ready when the rate is 0).
    Started {
        /// Our asset code.
        asset_code: String,
        /// Our asset scale.
        asset_scale: u8,
        /// The receiver's asset code, if it said.
        receiver_asset_code: Option<String>,
        /// The receiver's asset scale, if it said.
        receiver_asset_scale: Option<u8>,
        /// The receiver's ILP address.
        destination_account: String,
    },
    /// Money moved since the last progress event: packets fulfilled, or
    /// their outcome became unknown, or money in doubt was resolved.
    Progress {
        /// Source units sent since the last progress event.
        amount_sent: u64,
        /// Source units sent in total.
        total_sent: u64,
        /// Destination units delivered since the last progress event, in
        /// the receiver's asset.
        amount_delivered: u64,
        /// Destination units delivered in total, in the receiver's asset.
        total_delivered: u64,
        /// Source units whose outcome became unknown since the last event.
        amount_in_doubt: u64,
        /// Source units in doubt now (they count against every cap).
        total_in_doubt: u64,
        /// The latest STREAM receipt.
        receipt: Option<Vec<u8>>,
    },
    /// A discrete payment finished.
    PaymentDone {
        /// Which one.
        id: PaymentId,
        /// Source units it sent.
        sent: u64,
        /// Destination units it delivered.
        delivered: u64,
        /// Source units of it whose outcome is unknown (the receiver reports
        /// no total to resolve them); `sent + in_doubt` is the amount.
        in_doubt: u64,
    },
    /// The path carries less than the paced rate (or, `throttled: false`,
    /// all of it again).
    Throttled {
        /// Whether the path is throttling the stream now.
        throttled: bool,
        /// Paced source units per second fulfilled lately.
        achieved_per_second: u64,
    },
    /// A discrete payment could not finish.
    PaymentFailed {
        /// Which one.
        id: PaymentId,
        /// Why.
        error: ClientError,
    },
    /// Data sent with [`Client::send_data`](super::Client::send_data) is acknowledged up to `offset`.
    DataAcknowledged {
        /// Total bytes acknowledged.
        offset: u64,
    },
    /// Data the receiver sent on the stream is waiting, in order: read it
    /// with [`Client::read`](super::Client::read). The receive window only
    /// re-opens as it is read, so a reader that stops stops the sender.
    DataReadable {
        /// Bytes readable now.
        readable: usize,
    },
    /// The state changed.
    StateChanged(State),
    /// Something failed; [`Event::Stopped`] follows (reason `Error`, or
    /// `ReceiverClosed` when the receiver closed with an error code).
    Error(ClientError),
    /// The stream ended; totals are final.
    Stopped {
        /// The error that ended it, if one did (also reported by
        /// [`Event::Error`] just before).
        error: Option<ClientError>,
        /// Why.
        reason: StopReason,
        /// Source units sent.
        total_sent: u64,
        /// Destination units delivered, in the receiver's asset.
        total_delivered: u64,
        /// Source units whose outcome stays unknown.
        total_in_doubt: u64,
    },
}

/// How a stream is doing: [`Client::stats`](super::Client::stats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Smoothed round-trip time of Prepares, in ms (`None` before a reply).
    pub rtt_ms: Option<u64>,
    /// Prepares awaiting a reply.
    pub packets_in_flight: usize,
    /// Prepares fulfilled.
    pub packets_fulfilled: u64,
    /// Prepares rejected, by ILP error code (the rate probes' F99 included).
    pub packets_rejected: Vec<(ErrorCode, u64)>,
    /// The exchange rate in use, destination units per source unit:
    /// inclusive lower and exclusive upper bound as (numerator, denominator).
    pub rate: Option<((u64, u64), (u128, u64))>,
    /// The path's largest packet, once an F08 told.
    pub max_packet_amount: Option<u64>,
    /// Packets allowed in flight (the congestion window).
    pub window: u32,
    /// Reconnects since the start.
    pub reconnects: u32,
    /// Whether the path carries less than the paced rate.
    pub throttled: bool,
}

/// The lifecycle of a payment stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Idle,
    /// Connecting or reconnecting.
    Connecting,
    /// Paying at the configured rate.
    Streaming,
    /// Connected, pacing off.
    Paused,
    /// Ended normally.
    Stopped,
    /// Ended by an error.
    Failed,
}

impl State {
    /// The name used in JavaScript.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Streaming => "streaming",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
        }
    }
}

/// Why a stream stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// [`Client::stop`](super::Client::stop) was called.
    Stopped,
    /// `max_total` was reached.
    MaxTotal,
    /// The receiver closed the connection.
    ReceiverClosed,
    /// An error; see the preceding [`Event::Error`].
    Error,
}

impl StopReason {
    /// The name used in JavaScript.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::MaxTotal => "max-total",
            Self::ReceiverClosed => "receiver-closed",
            Self::Error => "error",
        }
    }
}

/// Errors a payment stream reports, each with a stable code. They are
/// structured values; the text is assembled from them on demand (by
/// `Display`, and in wasm without `core::fmt`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The receiver's SPSP query failed.
    SpspFailed(SpspFailure),
    /// The BTP WebSocket could not be opened, or the connector cannot be used.
    BtpConnectFailed(ConnectFailure),
    /// The connector refused the BTP credentials.
    BtpAuthFailed(AuthFailure),
    /// No packet can deliver even one unit.
    RateTooLow(RateTooLow),
    /// The connector keeps refusing for lack of credit; the last T04.
    InsufficientLiquidity(Option<RejectReason>),
    /// The receiver will accept no more.
    ReceiverLimit,
    /// The receiver closed the connection with an error.
    ReceiverClosed {
        /// Its STREAM close code.
        code: CloseCode,
        /// Its message.
        message: String,
    },
    /// The connector stopped answering: requests timed out on every reconnect.
    Timeout,
    /// The link dropped and could not be re-established.
    Disconnected,
    /// The payment path refused packets for good.
    Rejected(Rejection),
    /// The call is not allowed in the current state.
    InvalidState(&'static str),
    /// The stream was stopped before this finished.
    Stopped,
    /// The connection used up RFC 29's 2^31 packets and was closed.
    PacketLimit,
}

/// Why the BTP connection could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// The WebSocket closed before it opened.
    SocketNotOpened,
    /// The platform has no WebSocket (Node.js before 22 without the option).
    NoWebSocket,
    /// The socket did not open, authenticate and answer IL-DCP within
    /// this many ms.
    Timeout(u64),
    /// The connector refused IL-DCP.
    IldcpRejected(RejectReason),
    /// Its IL-DCP answer is not a valid IL-DCP response.
    IldcpInvalid,
    /// It did not answer IL-DCP.
    IldcpUnanswered(RequestFailure),
}

/// Why no packet can deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateTooLow {
    /// No packet the path forwards delivers even one unit.
    NothingDelivers,
    /// The exchange rate could not be learnt.
    RateUnknown,
    /// A `pay()` amount below the smallest that delivers one unit.
    AmountTooSmall {
        /// The smallest amount that delivers one unit.
        min_amount: u64,
    },
    /// One unit takes more than the pacing bound to accumulate.
    PacingTooSlow {
        /// The smallest `amount_per_second` that works.
        min_amount_per_second: u64,
        /// The smallest source amount that delivers one unit.
        min_packet: u64,
    },
}

/// How the path refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// An ILP Reject.
    Ilp(RejectReason),
    /// BTP errors from the connector.
    BtpError {
        /// The BTP error code.
        code: [u8; 3],
        /// The BTP error name.
        name: String,
    },
    /// Answers without an ILP packet.
    NoIlpData,
    /// The receiver sent data beyond the window we gave it (RFC 29
    /// flow-control error); the connection was closed.
    FlowControl {
        /// Where its data ended.
        end: u64,
        /// The window's end.
        limit: u64,
    },
}

impl ClientError {
    /// The stable code used in JavaScript.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::SpspFailed(_) => "spsp-failed",
            Self::BtpConnectFailed(_) => "btp-connect-failed",
            Self::BtpAuthFailed(_) => "btp-auth-failed",
            Self::RateTooLow(_) => "rate-too-low",
            Self::InsufficientLiquidity(_) => "insufficient-liquidity",
            Self::ReceiverLimit => "receiver-limit",
            Self::ReceiverClosed { .. } => "receiver-closed",
            Self::Timeout => "timeout",
            Self::Disconnected => "disconnected",
            Self::Rejected(_) => "rejected",
            Self::InvalidState(_) => "invalid-state",
            Self::Stopped => "stopped",
            Self::PacketLimit => "packet-limit",
        }
    }

    /// The ILP reject that caused it, if one did.
    pub const fn reject(&self) -> Option<&RejectReason> {
        match self {
            Self::InsufficientLiquidity(Some(r))
            | Self::Rejected(Rejection::Ilp(r))
            | Self::BtpConnectFailed(ConnectFailure::IldcpRejected(r)) => Some(r),
            _ => None,
        }
    }

    /// Whether the same call may succeed later, unchanged: the path or the
    /// network may recover (liquidity, timeouts, lost links, temporary
    /// rejects), unlike bad credentials, rates, states or final rejects.
    pub fn retryable(&self) -> bool {
        match self {
            Self::SpspFailed(_)
            | Self::BtpConnectFailed(_)
            | Self::InsufficientLiquidity(_)
            | Self::Timeout
            | Self::Disconnected
            | Self::PacketLimit => true,
            Self::Rejected(Rejection::Ilp(r)) => {
                r.code.class() == crate::ilp::ErrorClass::Temporary
            }
            Self::Rejected(Rejection::FlowControl { .. }) => false,
            Self::Rejected(_) => true,
            _ => false,
        }
    }
}

impl Text for ClientError {
    fn put(&self, out: &mut String) {
        match self {
            Self::SpspFailed(why) => why.put(out),
            Self::BtpConnectFailed(why) => {
                out.push_str("could not connect to the BTP server: ");
                match why {
                    ConnectFailure::SocketNotOpened => out.push_str("the WebSocket could not be opened"),
                    ConnectFailure::NoWebSocket => out.push_str(
                        "this environment has no global WebSocket: on Node.js before 22 pass one as the `WebSocket` option (`import WebSocket from 'ws'`, then `new PaymentStream({ ..., WebSocket })`)",
                    ),
                    ConnectFailure::Timeout(ms) => put!(
                        out,
                        "the BTP server did not open the WebSocket, authenticate and answer IL-DCP within ",
                        ms,
                        " ms (connectTimeout)",
                    ),
                    ConnectFailure::IldcpRejected(r) => put!(
                        out,
                        "the connector cannot be used: it refused IL-DCP with ",
                        r.code,
                        " ",
                        r.message,
                    ),
                    ConnectFailure::IldcpInvalid => out.push_str(
                        "the connector cannot be used: its IL-DCP response is invalid",
                    ),
                    ConnectFailure::IldcpUnanswered(why) => {
                        put!(out, "the connector did not answer IL-DCP: ", why);
                    }
                }
            }
            Self::BtpAuthFailed(why) => put!(out, "BTP authentication failed: ", why),
            Self::RateTooLow(why) => match why {
                RateTooLow::NothingDelivers => out.push_str(sender::RATE_TOO_LOW),
                RateTooLow::RateUnknown => out.push_str(sender::RATE_UNKNOWN),
                RateTooLow::AmountTooSmall { min_amount } => put!(
                    out,
                    "the amount is too small to deliver even one unit to the receiver at this exchange rate (at least ",
                    min_amount,
                    ")",
                ),
                RateTooLow::PacingTooSlow {
                    min_amount_per_second,
                    min_packet,
                } => sender::put_pacing_too_slow(out, *min_amount_per_second, *min_packet),
            },
            Self::InsufficientLiquidity(r) => sender::put_insufficient_liquidity(out, r.as_ref()),
            Self::ReceiverLimit => out.push_str(sender::RECEIVER_LIMIT),
            Self::ReceiverClosed { message, .. } if message.is_empty() => {
                out.push_str("the receiver closed the connection");
            }
            Self::ReceiverClosed { message, .. } => {
                put!(out, "the receiver closed the connection: ", message);
            }
            Self::Timeout => out.push_str(
                "the connector stopped answering: requests timed out on every reconnect",
            ),
            Self::Disconnected => out.push_str(
                "the connection to the BTP server was lost and could not be re-established",
            ),
            Self::Rejected(Rejection::Ilp(r)) => sender::put_rejected(out, r),
            Self::Rejected(Rejection::BtpError { code, name }) => {
                sender::put_btp_error(out, code, name);
            }
            Self::Rejected(Rejection::NoIlpData) => out.push_str(sender::NO_ILP_DATA),
            Self::Rejected(Rejection::FlowControl { end, limit }) => {
                sender::put_flow_control(out, *end, *limit);
            }
            Self::InvalidState(why) => out.push_str(why),
            Self::Stopped => out.push_str("the stream was stopped before this finished"),
            Self::PacketLimit => out.push_str(sender::PACKET_LIMIT),
        }
    }
}

display_via_text!(ClientError);

impl std::error::Error for ClientError {}

impl From<SenderError> for ClientError {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::RateTooLow => Self::RateTooLow(RateTooLow::NothingDelivers),
            SenderError::RateUnknown => Self::RateTooLow(RateTooLow::RateUnknown),
            SenderError::PacingTooSlow {
                min_amount_per_second,
                min_packet,
            } => Self::RateTooLow(RateTooLow::PacingTooSlow {
                min_amount_per_second,
                min_packet,
            }),
            SenderError::PacketLimit => Self::PacketLimit,
            SenderError::ReceiverLimit => Self::ReceiverLimit,
            SenderError::InsufficientLiquidity(r) => Self::InsufficientLiquidity(r),
            SenderError::Timeout => Self::Timeout,
            SenderError::Rejected(r) => Self::Rejected(Rejection::Ilp(r)),
            SenderError::BtpError { code, name } => {
                Self::Rejected(Rejection::BtpError { code, name })
            }
            SenderError::NoIlpData => Self::Rejected(Rejection::NoIlpData),
            SenderError::FlowControl { end, limit } => {
                Self::Rejected(Rejection::FlowControl { end, limit })
            }
        }
    }
}
