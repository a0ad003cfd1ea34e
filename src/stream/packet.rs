//! The plaintext STREAM packet (RFC 29 §5.2).
//!
//! ```text
//! version        UInt8   = 1
//! ilpPacketType  UInt8   12 / 13 / 14
//! sequence       VarUInt
//! prepareAmount  VarUInt
//! frameCount     VarUInt
//! frames         frameCount × Frame
//! junk           anything: ignored (padding is zero bytes)
//! ```
//!
//! [`Packet`] is the decoded form: it checks every frame once while decoding
//! and then borrows the frame bytes, so reading a reply allocates nothing.
//! [`OutgoingPacket`] is the encoder: a header plus a slice of [`Frame`]s.

use super::frame::{Frame, Frames};
use crate::codec::oer::{put_var_uint, var_uint_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};

/// The only STREAM version this crate speaks.
pub const STREAM_VERSION: u8 = 1;

/// The largest plaintext that fits an ILP `data` field (32767 bytes) once
/// sealed: 32767 − 12 (nonce) − 16 (tag).
pub const MAX_PLAINTEXT_LEN: usize = 32_767 - 28;

/// The ILP packet a STREAM packet must ride on. A STREAM packet naming any
/// other type is rejected when decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IlpPacketType {
    /// ILP Prepare (12).
    Prepare,
    /// ILP Fulfill (13).
    Fulfill,
    /// ILP Reject (14).
    Reject,
}

impl IlpPacketType {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Prepare => 12,
            Self::Fulfill => 13,
            Self::Reject => 14,
        }
    }

    /// The type for a wire byte, if it is 12, 13 or 14.
    pub const fn from_u8(byte: u8) -> Option<Self> {
        match byte {
            12 => Some(Self::Prepare),
            13 => Some(Self::Fulfill),
            14 => Some(Self::Reject),
            _ => None,
        }
    }
}

/// A decoded STREAM packet whose frames have all been checked.
///
/// Equality compares the header and the frame bytes; junk is not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The ILP packet this STREAM packet must ride on.
    pub packet_type: IlpPacketType,
    /// The sender's Prepare counter; replies echo the Prepare's value.
    pub sequence: u64,
    /// On a Prepare: minimum amount the receiver must get. On a reply: the
    /// amount that arrived.
    pub prepare_amount: u64,
    frames: &'a [u8],
    frame_count: usize,
}

impl<'a> Packet<'a> {
    /// The frames, in order. They were all checked by [`Packet::decode`], so
    /// this yields plain [`Frame`]s.
    pub fn frames(&self) -> PacketFrames<'a> {
        PacketFrames(Frames::new(
            Reader::new(self.frames),
            self.frame_count as u64,
        ))
    }

    /// The number of frames.
    pub const fn frame_count(&self) -> usize {
        self.frame_count
    }

    /// The encoded frame list (without count and junk).
    pub const fn frame_bytes(&self) -> &'a [u8] {
        self.frames
    }
}

impl<'a> Decode<'a> for Packet<'a> {
    /// Decodes a plaintext packet, checking every frame and ignoring junk.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let version = r.u8("stream version")?;
        if version != STREAM_VERSION {
            return Err(DecodeError::invalid("stream version"));
        }
        let packet_type = IlpPacketType::from_u8(r.u8("stream ilp packet type")?)
            .ok_or(DecodeError::invalid("stream ilp packet type"))?;
        let sequence = r.var_uint("stream sequence")?;
        let prepare_amount = r.var_uint("stream prepare amount")?;
        let count = r.var_uint("stream frame count")?;
        let mut frames = Frames::new(r.clone(), count);
        let mut frame_count = 0usize;
        for frame in frames.by_ref() {
            frame?;
            frame_count += 1;
        }
        let junk_len = frames.into_rest().len();
        // Everything after the frames is junk and is ignored, as RFC 29 requires.
        let all = r.rest();
        let frames = Reader::new(all).take(all.len().saturating_sub(junk_len), "stream frames")?;
        Ok(Self {
            packet_type,
            sequence,
            prepare_amount,
            frames,
            frame_count,
        })
    }
}

impl Encode for Packet<'_> {
    fn encoded_len(&self) -> usize {
        header_len(self.sequence, self.prepare_amount, self.frame_count as u64) + self.frames.len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_header(
            out,
            self.packet_type,
            self.sequence,
            self.prepare_amount,
            self.frame_count as u64,
        );
        out.extend_from_slice(self.frames);
    }
}

/// The frames of a decoded [`Packet`].
#[derive(Clone, Debug)]
pub struct PacketFrames<'a>(Frames<'a>);

impl<'a> Iterator for PacketFrames<'a> {
    type Item = Frame<'a>;

    fn next(&mut self) -> Option<Frame<'a>> {
        // `Packet::decode` decoded these very bytes successfully, so no
        // error can occur; `ok()` ends the iteration if one somehow did.
        self.0.next()?.ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// A STREAM packet to encode: a header and the frames to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutgoingPacket<'f, 'a> {
    /// The ILP packet this STREAM packet will ride on.
    pub packet_type: IlpPacketType,
    /// The Prepare counter (replies echo the Prepare's).
    pub sequence: u64,
    /// Minimum amount to arrive (Prepare) or amount that arrived (replies).
    pub prepare_amount: u64,
    /// The frames, in order.
    pub frames: &'f [Frame<'a>],
}

impl OutgoingPacket<'_, '_> {
    /// Encodes the packet, then appends zero bytes until the packet takes
    /// `target_len` bytes (JS `enablePadding` uses [`MAX_PLAINTEXT_LEN`]).
    /// A packet already that long or longer is not padded.
    pub fn encode_padded(&self, out: &mut Vec<u8>, target_len: usize) {
        let start = out.len();
        out.reserve(self.encoded_len().max(target_len));
        self.encode(out);
        let end = start.saturating_add(target_len);
        if out.len() < end {
            out.resize(end, 0);
        }
    }
}

impl Encode for OutgoingPacket<'_, '_> {
    fn encoded_len(&self) -> usize {
        let frames: usize = self.frames.iter().map(Encode::encoded_len).sum();
        header_len(self.sequence, self.prepare_amount, self.frames.len() as u64) + frames
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_header(
            out,
            self.packet_type,
            self.sequence,
            self.prepare_amount,
            self.frames.len() as u64,
        );
        for frame in self.frames {
            frame.encode(out);
        }
    }
}

const fn header_len(sequence: u64, prepare_amount: u64, count: u64) -> usize {
    2 + var_uint_len(sequence) + var_uint_len(prepare_amount) + var_uint_len(count)
}

fn put_header(out: &mut Vec<u8>, ty: IlpPacketType, sequence: u64, amount: u64, count: u64) {
    out.push(STREAM_VERSION);
    out.push(ty.to_u8());
    put_var_uint(out, sequence);
    put_var_uint(out, amount);
    put_var_uint(out, count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn decodes_empty_prepare() {
        let bytes = [0x01, 0x0c, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00];
        let packet = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(packet.packet_type, IlpPacketType::Prepare);
        assert_eq!((packet.sequence, packet.prepare_amount), (0, 0));
        assert_eq!(packet.frames().count(), 0);
        assert_eq!(packet.to_bytes(), bytes);
    }

    #[test]
    fn ignores_junk_after_frames() {
        let bytes = [1, 12, 1, 1, 1, 99, 1, 1, 0x11, 4, 1, 1, 1, 1, 0, 0, 0, 0];
        let packet = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(packet.frame_count(), 1);
        assert_eq!(packet.to_bytes(), &bytes[..14]);
    }

    #[test]
    fn rejects_wrong_version_and_type() {
        let err = Packet::from_bytes(&[2, 12, 1, 0, 1, 0, 1, 0]).unwrap_err();
        assert_eq!(err, DecodeError::invalid("stream version"));
        let err = Packet::from_bytes(&[1, 15, 1, 0, 1, 0, 1, 0]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
    }

    #[test]
    fn rejects_more_frames_than_present() {
        let err = Packet::from_bytes(&[1, 12, 1, 0, 1, 0, 1, 2, 0x11, 4, 1, 1, 1, 1]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
    }

    #[test]
    fn rejects_packet_with_one_bad_frame() {
        // Second frame is a StreamMoney with a non-canonical VarUInt.
        let bytes = [1, 13, 1, 0, 1, 0, 1, 2, 0x59, 0, 0x11, 5, 1, 1, 2, 0, 1];
        let err = Packet::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::NonCanonical);
    }

    #[test]
    fn encodes_outgoing_packet_and_pads_with_zeros() {
        let frames = [Frame::StreamMoney {
            stream_id: 1,
            shares: 1,
        }];
        let packet = OutgoingPacket {
            packet_type: IlpPacketType::Prepare,
            sequence: 1,
            prepare_amount: 99,
            frames: &frames,
        };
        let expected = [1, 12, 1, 1, 1, 99, 1, 1, 0x11, 4, 1, 1, 1, 1];
        assert_eq!(packet.to_bytes(), expected);
        assert_eq!(packet.encoded_len(), expected.len());
        let mut out = vec![0xEE];
        packet.encode_padded(&mut out, 20);
        assert_eq!(out.len(), 21);
        assert_eq!(&out[1..15], &expected);
        assert!(out[15..].iter().all(|&b| b == 0));
        let decoded = Packet::from_bytes(&out[1..]).unwrap();
        assert_eq!(decoded.frames().collect::<Vec<_>>(), frames);
        let mut short = Vec::new();
        packet.encode_padded(&mut short, 3);
        assert_eq!(short, expected, "never truncates");
    }
}
