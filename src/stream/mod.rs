//! STREAM (RFC 29): the transport that carries money and data inside ILP
//! packets.
//!
//! - [`frame`]: the frames and the [`Frames`] iterator.
//! - [`packet`]: the plaintext packet ([`Packet`] decoded, [`OutgoingPacket`]
//!   to encode).
//! - [`crypto`]: key derivation, AES-256-GCM sealing and fulfillments.
//! - [`error_code`]: close codes.
//! - [`connection`]: the sending side of a connection and its control loops.
//!
//! A received STREAM packet goes `crypto::open` → [`Packet`] decode →
//! [`Packet::frames`]; an outgoing one goes [`OutgoingPacket`] encode →
//! `crypto::seal` → `crypto::fulfillment` / `crypto::condition`.

pub mod connection;
pub mod crypto;
pub mod error_code;
pub mod frame;
pub mod packet;

pub use crypto::{condition, fulfillment, open, seal, DecryptError, Keys, SealError};
pub use error_code::ErrorCode;
pub use frame::{Frame, FrameType, Frames};
pub use packet::{
    IlpPacketType, OutgoingPacket, Packet, PacketFrames, MAX_PLAINTEXT_LEN, STREAM_VERSION,
};
