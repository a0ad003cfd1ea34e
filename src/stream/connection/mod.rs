//! The sending side of a STREAM connection.
//!
//! [`Sender`] is the connection state machine; it is built from the pure
//! control-loop components below. Each one is sans-IO: it reads no clock
//! (time comes in as `now_ms`, milliseconds since the Unix epoch), does no
//! I/O, uses only integer arithmetic (`u128` products, rational factors) and
//! never panics.
//!
//! - [`Pacer`]: how much money may have been sent by now, growing with
//!   active time at a configured rate.
//! - [`Congestion`]: how many packets may be in flight (AIMD window) and
//!   when sending must pause after temporary errors.
//! - [`ExchangeRate`]: what the path's exchange rate is, learned from probe
//!   replies, and the minimum destination amount for a paying packet.
//! - [`MaxPacket`]: the largest amount the path will forward, learned from
//!   F08 rejects and fulfills.
//! - [`Incoming`]: the data the peer sends on our stream, reassembled in
//!   order behind a bounded receive window.

pub mod congestion;
pub mod incoming;
pub mod max_packet;
pub mod pacing;
pub mod rate;
pub mod sender;

pub use congestion::Congestion;
pub use incoming::Incoming;
pub use max_packet::MaxPacket;
pub use pacing::Pacer;
pub use rate::ExchangeRate;
pub use sender::{
    Failure, Outgoing, RejectReason, Sender, SenderConfig, SenderError, SenderEvent, SenderStats,
    Source,
};
