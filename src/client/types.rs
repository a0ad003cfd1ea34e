//! The values that cross the [`Client`](super::Client) boundary: its
//! configuration, its inputs and outputs, the events and errors it reports.

use std::fmt;

use super::PaymentId;
use crate::btp::session::Credentials;
use crate::ilp::OwnedAddress;
use crate::stream::connection::sender::{DEFAULT_PACKET_EXPIRY_MS, MAX_PACKETS};
use crate::stream::connection::SenderError;

/// Everything a [`Client`](super::Client) needs. `Debug` redacts the secrets.
#[derive(Clone)]
pub struct ClientConfig {
    /// BTP credentials.
    pub credentials: Credentials,
    /// Receiver's ILP address (from SPSP).
    pub destination: OwnedAddress,
    /// STREAM shared secret (from SPSP).
    pub shared_secret: [u8; 32],
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
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
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
            .field("destination", &self.destination)
            .field("shared_secret", &"<redacted>")
            .field("amount_per_second", &self.amount_per_second)
            .field("max_total", &self.max_total)
            .field("slippage_ppm", &self.slippage_ppm)
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

/// What happened on the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// The WebSocket opened.
    SocketOpened,
    /// A binary message arrived.
    SocketMessage(&'a [u8]),
    /// The WebSocket closed (or failed to open).
    SocketClosed,
}

/// What the caller must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
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

/// Errors a payment stream reports, each with a stable code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The BTP WebSocket could not be opened.
    BtpConnectFailed(String),
    /// The connector refused the BTP credentials.
    BtpAuthFailed(String),
    /// No packet can deliver even one unit.
    RateTooLow(String),
    /// The connector keeps refusing for lack of credit.
    InsufficientLiquidity,
    /// The receiver will accept no more.
    ReceiverLimit,
    /// The receiver closed the connection.
    ReceiverClosed(String),
    /// No answer in time.
    Timeout(String),
    /// The link dropped and could not be re-established.
    Disconnected,
    /// The payment path rejected packets for good.
    Rejected(String),
    /// The call is not allowed in the current state.
    InvalidState(&'static str),
    /// The stream was stopped before this finished.
    Stopped,
    /// The connection used up RFC 29's 2^31 packets and was closed.
    PacketLimit,
}

impl ClientError {
    /// The stable code used in JavaScript.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::BtpConnectFailed(_) => "btp-connect-failed",
            Self::BtpAuthFailed(_) => "btp-auth-failed",
            Self::RateTooLow(_) => "rate-too-low",
            Self::InsufficientLiquidity => "insufficient-liquidity",
            Self::ReceiverLimit => "receiver-limit",
            Self::ReceiverClosed(_) => "receiver-closed",
            Self::Timeout(_) => "timeout",
            Self::Disconnected => "disconnected",
            Self::Rejected(_) => "rejected",
            Self::InvalidState(_) => "invalid-state",
            Self::Stopped => "stopped",
            Self::PacketLimit => "packet-limit",
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BtpConnectFailed(why) => write!(f, "could not connect to the BTP server: {why}"),
            Self::BtpAuthFailed(why) => write!(f, "BTP authentication failed: {why}"),
            Self::RateTooLow(why) | Self::Timeout(why) | Self::Rejected(why) => f.write_str(why),
            Self::InsufficientLiquidity => {
                f.write_str("the connector keeps refusing packets for lack of liquidity (T04)")
            }
            Self::ReceiverLimit => f.write_str("the receiver will not accept any more money"),
            Self::ReceiverClosed(why) if why.is_empty() => {
                f.write_str("the receiver closed the connection")
            }
            Self::ReceiverClosed(why) => write!(f, "the receiver closed the connection: {why}"),
            Self::Disconnected => f.write_str(
                "the connection to the BTP server was lost and could not be re-established",
            ),
            Self::InvalidState(why) => f.write_str(why),
            Self::Stopped => f.write_str("the stream was stopped before this finished"),
            Self::PacketLimit => f.write_str(
                "the connection reached the STREAM limit of 2^31 packets and was closed",
            ),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<SenderError> for ClientError {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::RateTooLow
            | SenderError::RateUnknown
            | SenderError::PacingTooSlow { .. } => Self::RateTooLow(e.to_string()),
            SenderError::PacketLimit => Self::PacketLimit,
            SenderError::ReceiverLimit => Self::ReceiverLimit,
            SenderError::InsufficientLiquidity => Self::InsufficientLiquidity,
            SenderError::Timeout => Self::Timeout(e.to_string()),
            _ => Self::Rejected(e.to_string()),
        }
    }
}
