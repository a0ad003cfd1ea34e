//! ILPv4 packets (RFC 27): Prepare, Fulfill and Reject.
//!
//! Every packet is an envelope: a type byte (12, 13, 14), a length
//! determinant, then the contents. Decoding borrows from the input. Bytes
//! after the envelope are ignored (RFC 30 extensibility); inside the envelope
//! every field is checked and leftover bytes are
//! [`TrailingBytes`](crate::codec::DecodeErrorKind::TrailingBytes).
//!
//! ```
//! use ilp_stream_web::codec::{Decode, Encode};
//! use ilp_stream_web::ilp::{Address, Packet, Prepare, Timestamp};
//!
//! let prepare = Prepare {
//!     amount: 10,
//!     expires_at: Timestamp::from_millis(1_514_132_072_279).unwrap(),
//!     execution_condition: [7; 32],
//!     destination: Address::new("g.alice").unwrap(),
//!     data: b"hi",
//! };
//! let bytes = prepare.to_bytes();
//! assert_eq!(Packet::from_bytes(&bytes).unwrap(), Packet::Prepare(prepare));
//! ```

mod address;
mod error_code;
mod fulfill;
mod prepare;
mod reject;
mod timestamp;

pub use address::{Address, AddressError, OwnedAddress, MAX_ADDRESS_LEN, SCHEMES};
pub use error_code::{AmountTooLarge, ErrorClass, ErrorCode};
pub use fulfill::Fulfill;
pub use prepare::Prepare;
pub use reject::Reject;
pub use timestamp::{GeneralizedTime, Timestamp, TimestampError};

use crate::codec::oer::{length_prefix_len, put_length_prefix};
use crate::codec::{Decode, DecodeError, DecodeErrorKind, Encode, Reader};

/// The longest `data` field a Prepare, Fulfill or Reject may carry.
pub const MAX_DATA_LEN: usize = 32767;

/// The type byte of an ILP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `12`, a Prepare.
    Prepare = 12,
    /// `13`, a Fulfill.
    Fulfill = 13,
    /// `14`, a Reject.
    Reject = 14,
}

impl PacketType {
    /// The type of a type byte, if it is an ILPv4 one.
    pub const fn from_u8(b: u8) -> Option<Self> {
        match b {
            12 => Some(Self::Prepare),
            13 => Some(Self::Fulfill),
            14 => Some(Self::Reject),
            _ => None,
        }
    }
}

/// Any ILPv4 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// A Prepare (type 12).
    Prepare(Prepare<'a>),
    /// A Fulfill (type 13).
    Fulfill(Fulfill<'a>),
    /// A Reject (type 14).
    Reject(Reject<'a>),
}

impl Packet<'_> {
    /// Which kind of packet this is.
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Self::Prepare(_) => PacketType::Prepare,
            Self::Fulfill(_) => PacketType::Fulfill,
            Self::Reject(_) => PacketType::Reject,
        }
    }
}

impl<'a> From<Prepare<'a>> for Packet<'a> {
    fn from(p: Prepare<'a>) -> Self {
        Self::Prepare(p)
    }
}

impl<'a> From<Fulfill<'a>> for Packet<'a> {
    fn from(p: Fulfill<'a>) -> Self {
        Self::Fulfill(p)
    }
}

impl<'a> From<Reject<'a>> for Packet<'a> {
    fn from(p: Reject<'a>) -> Self {
        Self::Reject(p)
    }
}

impl Encode for Packet<'_> {
    fn encoded_len(&self) -> usize {
        match self {
            Self::Prepare(p) => p.encoded_len(),
            Self::Fulfill(p) => p.encoded_len(),
            Self::Reject(p) => p.encoded_len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Prepare(p) => p.encode(out),
            Self::Fulfill(p) => p.encode(out),
            Self::Reject(p) => p.encode(out),
        }
    }
}

impl<'a> Decode<'a> for Packet<'a> {
    /// Reads any ILP packet, dispatching on the type byte; an unknown type is
    /// [`DecodeErrorKind::InvalidValue`].
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let ty = r.clone().u8("ilp packet type")?;
        match PacketType::from_u8(ty) {
            Some(PacketType::Prepare) => Prepare::decode(r).map(Self::Prepare),
            Some(PacketType::Fulfill) => Fulfill::decode(r).map(Self::Fulfill),
            Some(PacketType::Reject) => Reject::decode(r).map(Self::Reject),
            None => Err(DecodeError::invalid("ilp packet type")),
        }
    }
}

/// The envelope size around `contents_len` bytes of contents.
pub(crate) const fn envelope_len(contents_len: usize) -> usize {
    1 + length_prefix_len(contents_len) + contents_len
}

/// Writes the type byte and the length determinant.
pub(crate) fn put_envelope_header(out: &mut Vec<u8>, ty: PacketType, contents_len: usize) {
    out.push(ty as u8);
    put_length_prefix(out, contents_len);
}

/// Reads the envelope of a packet of type `ty` and hands its contents to
/// `contents`, which must consume them all.
pub(crate) fn decode_envelope<'a, T>(
    r: &mut Reader<'a>,
    ty: PacketType,
    context: &'static str,
    contents: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    if r.u8(context)? != ty as u8 {
        return Err(DecodeError::invalid(context));
    }
    let mut inner = r.var_octet_reader(context)?;
    let value = contents(&mut inner)?;
    inner.expect_end(context)?;
    Ok(value)
}

/// How far past [`MAX_DATA_LEN`] a received Prepare's `data` may go.
/// ilp-protocol-stream 2.7.1 sizes a packet to exactly 32,767 bytes and
/// then appends the `ConnectionDataBlocked` / `StreamDataBlocked` frames of
/// a flow-blocked stream, so its data packets overshoot by up to ~20 bytes;
/// JS ilp-packet does not check. Encoding stays strict.
pub const PREPARE_DATA_TOLERANCE: usize = 64;

/// Reads a `data` field of at most [`MAX_DATA_LEN`] bytes.
pub(crate) fn decode_data<'a>(
    r: &mut Reader<'a>,
    context: &'static str,
) -> Result<&'a [u8], DecodeError> {
    decode_data_up_to(r, context, MAX_DATA_LEN)
}

/// Reads a `data` field of at most `max` bytes.
pub(crate) fn decode_data_up_to<'a>(
    r: &mut Reader<'a>,
    context: &'static str,
    max: usize,
) -> Result<&'a [u8], DecodeError> {
    let data = r.var_octet_string(context)?;
    if data.len() > max {
        return Err(DecodeError::new(DecodeErrorKind::InvalidValue, context));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rejects_unknown_packet_type() {
        let err = Packet::from_bytes(&[0x0b, 0x00]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
        let err = Packet::from_bytes(&[]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
    }

    #[test]
    fn ignores_bytes_after_the_envelope_but_not_inside() {
        let fulfill = Fulfill {
            fulfillment: [1; 32],
            data: b"x",
        };
        let mut bytes = fulfill.to_bytes();
        bytes.extend_from_slice(b"junk");
        assert_eq!(
            Packet::from_bytes(&bytes).unwrap(),
            Packet::Fulfill(fulfill)
        );
        // Grow the envelope by one byte so that the junk is inside it.
        let mut inside = fulfill.to_bytes();
        inside[1] += 1;
        inside.push(0);
        let err = Packet::from_bytes(&inside).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingBytes);
    }

    #[test]
    fn accepts_a_prepare_a_little_over_the_data_limit() {
        // ilp-protocol-stream's flow-blocked data packets (see
        // PREPARE_DATA_TOLERANCE); past the tolerance it is refused.
        let data = vec![0; MAX_DATA_LEN + PREPARE_DATA_TOLERANCE + 1];
        let destination = Address::new("test.a").unwrap();
        let bytes = |data: &[u8]| {
            Prepare {
                amount: 0,
                expires_at: Timestamp::from_millis_saturating(1_700_000_000_000),
                execution_condition: [0; 32],
                destination,
                data,
            }
            .to_bytes()
        };
        assert!(Packet::from_bytes(&bytes(&data[1..])).is_ok());
        let err = Packet::from_bytes(&bytes(&data)).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
    }

    #[test]
    fn rejects_oversized_data() {
        let data = vec![0; MAX_DATA_LEN + 1];
        let fulfill = Fulfill {
            fulfillment: [1; 32],
            data: &data,
        };
        let err = Packet::from_bytes(&fulfill.to_bytes()).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
        let ok = Fulfill {
            fulfillment: [1; 32],
            data: &data[1..],
        };
        assert!(Packet::from_bytes(&ok.to_bytes()).is_ok());
    }
}
