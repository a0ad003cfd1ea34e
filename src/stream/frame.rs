//! STREAM frames (RFC 29 §5.3): `type UInt8, contents VarOctetString`.
//!
//! Known frames borrow their byte fields from the input. A frame whose type
//! this crate does not know is kept as [`Frame::Unknown`] and skipped by the
//! caller, never rejected; the length prefix makes that possible. Inside a
//! known frame every field is checked strictly, including that nothing is
//! left over ([`DecodeErrorKind::TrailingBytes`](crate::codec::DecodeErrorKind)).

use core::fmt;

use super::ErrorCode;
use crate::codec::oer::{
    length_prefix_len, put_length_prefix, put_var_octet_string, put_var_uint, var_octet_string_len,
    var_uint_len,
};
use crate::codec::{Decode, DecodeError, Encode, Reader};

/// A STREAM frame type byte. Unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    /// `ConnectionClose` (0x01).
    pub const CONNECTION_CLOSE: Self = Self(0x01);
    /// `ConnectionNewAddress` (0x02).
    pub const CONNECTION_NEW_ADDRESS: Self = Self(0x02);
    /// `ConnectionMaxData` (0x03).
    pub const CONNECTION_MAX_DATA: Self = Self(0x03);
    /// `ConnectionDataBlocked` (0x04).
    pub const CONNECTION_DATA_BLOCKED: Self = Self(0x04);
    /// `ConnectionMaxStreamId` (0x05).
    pub const CONNECTION_MAX_STREAM_ID: Self = Self(0x05);
    /// `ConnectionStreamIdBlocked` (0x06).
    pub const CONNECTION_STREAM_ID_BLOCKED: Self = Self(0x06);
    /// `ConnectionAssetDetails` (0x07).
    pub const CONNECTION_ASSET_DETAILS: Self = Self(0x07);
    /// `StreamClose` (0x10).
    pub const STREAM_CLOSE: Self = Self(0x10);
    /// `StreamMoney` (0x11).
    pub const STREAM_MONEY: Self = Self(0x11);
    /// `StreamMaxMoney` (0x12).
    pub const STREAM_MAX_MONEY: Self = Self(0x12);
    /// `StreamMoneyBlocked` (0x13).
    pub const STREAM_MONEY_BLOCKED: Self = Self(0x13);
    /// `StreamData` (0x14).
    pub const STREAM_DATA: Self = Self(0x14);
    /// `StreamMaxData` (0x15).
    pub const STREAM_MAX_DATA: Self = Self(0x15);
    /// `StreamDataBlocked` (0x16).
    pub const STREAM_DATA_BLOCKED: Self = Self(0x16);
    /// `StreamReceipt` (0x17; RFC 39, deprecated in 2026 but still sent).
    pub const STREAM_RECEIPT: Self = Self(0x17);

    /// The spec name, or `None` for a type this crate does not know.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "ConnectionClose",
            0x02 => "ConnectionNewAddress",
            0x03 => "ConnectionMaxData",
            0x04 => "ConnectionDataBlocked",
            0x05 => "ConnectionMaxStreamId",
            0x06 => "ConnectionStreamIdBlocked",
            0x07 => "ConnectionAssetDetails",
            0x10 => "StreamClose",
            0x11 => "StreamMoney",
            0x12 => "StreamMaxMoney",
            0x13 => "StreamMoneyBlocked",
            0x14 => "StreamData",
            0x15 => "StreamMaxData",
            0x16 => "StreamDataBlocked",
            0x17 => "StreamReceipt",
            _ => return None,
        })
    }

    /// Whether this crate decodes frames of this type.
    pub const fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Debug for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "FrameType({:#04x})", self.0),
        }
    }
}

/// One STREAM frame, borrowing its byte fields from the decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The sender closes the connection (normally or with an error).
    ConnectionClose {
        /// Why.
        code: ErrorCode,
        /// Human-readable reason (UTF-8 by convention, not checked).
        message: &'a [u8],
    },
    /// The sender's ILP address, so the peer can send back (empty: send-only).
    ConnectionNewAddress {
        /// ILP address of the frame's sender; UTF-8 checked, grammar not.
        source_address: &'a str,
    },
    /// Total data bytes the sender will accept on the connection.
    ConnectionMaxData {
        /// Highest acceptable offset.
        max_offset: u64,
    },
    /// The sender wants to send more data than the peer allows.
    ConnectionDataBlocked {
        /// Offset the sender wants to reach.
        max_offset: u64,
    },
    /// Highest stream id the sender will accept.
    ConnectionMaxStreamId {
        /// The stream id.
        max_stream_id: u64,
    },
    /// The sender wants to open streams beyond the peer's limit.
    ConnectionStreamIdBlocked {
        /// The stream id it wants to open.
        max_stream_id: u64,
    },
    /// The sender's asset; must not change within a connection.
    ConnectionAssetDetails {
        /// Asset code, e.g. `"USD"`.
        asset_code: &'a str,
        /// Asset scale (decimal places).
        asset_scale: u8,
    },
    /// The sender closes one stream.
    StreamClose {
        /// The stream.
        stream_id: u64,
        /// Why.
        code: ErrorCode,
        /// Human-readable reason (UTF-8 by convention, not checked).
        message: &'a [u8],
    },
    /// This stream's share of the Prepare amount.
    StreamMoney {
        /// The stream.
        stream_id: u64,
        /// Proportion of the packet's amount for this stream.
        shares: u64,
    },
    /// How much the sender of the frame will receive on a stream.
    StreamMaxMoney {
        /// The stream.
        stream_id: u64,
        /// Receive limit; a VarUInt longer than 8 bytes decodes as `u64::MAX`.
        receive_max: u64,
        /// Amount received so far, in the frame sender's units.
        total_received: u64,
    },
    /// The sender wants to send more than the peer allows on a stream.
    StreamMoneyBlocked {
        /// The stream.
        stream_id: u64,
        /// Send limit; a VarUInt longer than 8 bytes decodes as `u64::MAX`.
        send_max: u64,
        /// Amount sent so far, in the frame sender's units.
        total_sent: u64,
    },
    /// Bytes of a stream's data.
    StreamData {
        /// The stream.
        stream_id: u64,
        /// Offset of `data` in the stream.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
    },
    /// Highest data offset the sender will accept on a stream.
    StreamMaxData {
        /// The stream.
        stream_id: u64,
        /// Highest acceptable offset.
        max_offset: u64,
    },
    /// The sender wants to send more data than the peer allows on a stream.
    StreamDataBlocked {
        /// The stream.
        stream_id: u64,
        /// Offset it wants to reach.
        max_offset: u64,
    },
    /// An RFC 39 receipt (see [`crate::receipt`]).
    StreamReceipt {
        /// The stream.
        stream_id: u64,
        /// The receipt bytes (58 for version 1; not checked here).
        receipt: &'a [u8],
    },
    /// A frame of a type this crate does not know: kept so it can be skipped
    /// or re-encoded. Constructing one with a known type makes the encoding
    /// decode as that known frame instead.
    Unknown {
        /// The type byte.
        frame_type: FrameType,
        /// The raw contents.
        contents: &'a [u8],
    },
}

impl<'a> Frame<'a> {
    /// This frame's type byte.
    pub const fn frame_type(&self) -> FrameType {
        match self {
            Self::ConnectionClose { .. } => FrameType::CONNECTION_CLOSE,
            Self::ConnectionNewAddress { .. } => FrameType::CONNECTION_NEW_ADDRESS,
            Self::ConnectionMaxData { .. } => FrameType::CONNECTION_MAX_DATA,
            Self::ConnectionDataBlocked { .. } => FrameType::CONNECTION_DATA_BLOCKED,
            Self::ConnectionMaxStreamId { .. } => FrameType::CONNECTION_MAX_STREAM_ID,
            Self::ConnectionStreamIdBlocked { .. } => FrameType::CONNECTION_STREAM_ID_BLOCKED,
            Self::ConnectionAssetDetails { .. } => FrameType::CONNECTION_ASSET_DETAILS,
            Self::StreamClose { .. } => FrameType::STREAM_CLOSE,
            Self::StreamMoney { .. } => FrameType::STREAM_MONEY,
            Self::StreamMaxMoney { .. } => FrameType::STREAM_MAX_MONEY,
            Self::StreamMoneyBlocked { .. } => FrameType::STREAM_MONEY_BLOCKED,
            Self::StreamData { .. } => FrameType::STREAM_DATA,
            Self::StreamMaxData { .. } => FrameType::STREAM_MAX_DATA,
            Self::StreamDataBlocked { .. } => FrameType::STREAM_DATA_BLOCKED,
            Self::StreamReceipt { .. } => FrameType::STREAM_RECEIPT,
            Self::Unknown { frame_type, .. } => *frame_type,
        }
    }

    /// Length of the frame's contents (without type byte and length prefix).
    fn contents_len(&self) -> usize {
        match *self {
            Self::ConnectionClose { message, .. } => 1 + var_octet_string_len(message.len()),
            Self::ConnectionNewAddress { source_address } => {
                var_octet_string_len(source_address.len())
            }
            Self::ConnectionMaxData { max_offset } | Self::ConnectionDataBlocked { max_offset } => {
                var_uint_len(max_offset)
            }
            Self::ConnectionMaxStreamId { max_stream_id }
            | Self::ConnectionStreamIdBlocked { max_stream_id } => var_uint_len(max_stream_id),
            Self::ConnectionAssetDetails { asset_code, .. } => {
                var_octet_string_len(asset_code.len()) + 1
            }
            Self::StreamClose {
                stream_id, message, ..
            } => var_uint_len(stream_id) + 1 + var_octet_string_len(message.len()),
            Self::StreamMoney { stream_id, shares } => {
                var_uint_len(stream_id) + var_uint_len(shares)
            }
            Self::StreamMaxMoney {
                stream_id,
                receive_max: a,
                total_received: b,
            }
            | Self::StreamMoneyBlocked {
                stream_id,
                send_max: a,
                total_sent: b,
            } => var_uint_len(stream_id) + var_uint_len(a) + var_uint_len(b),
            Self::StreamData {
                stream_id,
                offset,
                data,
            } => var_uint_len(stream_id) + var_uint_len(offset) + var_octet_string_len(data.len()),
            Self::StreamMaxData {
                stream_id,
                max_offset,
            }
            | Self::StreamDataBlocked {
                stream_id,
                max_offset,
            } => var_uint_len(stream_id) + var_uint_len(max_offset),
            Self::StreamReceipt { stream_id, receipt } => {
                var_uint_len(stream_id) + var_octet_string_len(receipt.len())
            }
            Self::Unknown { contents, .. } => contents.len(),
        }
    }

    /// Writes the frame's contents (without type byte and length prefix).
    fn encode_contents(&self, out: &mut Vec<u8>) {
        match *self {
            Self::ConnectionClose { code, message } => {
                out.push(code.0);
                put_var_octet_string(out, message);
            }
            Self::ConnectionNewAddress { source_address } => {
                put_var_octet_string(out, source_address.as_bytes());
            }
            Self::ConnectionMaxData { max_offset } | Self::ConnectionDataBlocked { max_offset } => {
                put_var_uint(out, max_offset)
            }
            Self::ConnectionMaxStreamId { max_stream_id }
            | Self::ConnectionStreamIdBlocked { max_stream_id } => put_var_uint(out, max_stream_id),
            Self::ConnectionAssetDetails {
                asset_code,
                asset_scale,
            } => {
                put_var_octet_string(out, asset_code.as_bytes());
                out.push(asset_scale);
            }
            Self::StreamClose {
                stream_id,
                code,
                message,
            } => {
                put_var_uint(out, stream_id);
                out.push(code.0);
                put_var_octet_string(out, message);
            }
            Self::StreamMoney {
                stream_id,
                shares: a,
            }
            | Self::StreamMaxData {
                stream_id,
                max_offset: a,
            }
            | Self::StreamDataBlocked {
                stream_id,
                max_offset: a,
            } => {
                put_var_uint(out, stream_id);
                put_var_uint(out, a);
            }
            Self::StreamMaxMoney {
                stream_id,
                receive_max: a,
                total_received: b,
            }
            | Self::StreamMoneyBlocked {
                stream_id,
                send_max: a,
                total_sent: b,
            } => {
                put_var_uint(out, stream_id);
                put_var_uint(out, a);
                put_var_uint(out, b);
            }
            Self::StreamData {
                stream_id,
                offset,
                data,
            } => {
                put_var_uint(out, stream_id);
                put_var_uint(out, offset);
                put_var_octet_string(out, data);
            }
            Self::StreamReceipt { stream_id, receipt } => {
                put_var_uint(out, stream_id);
                put_var_octet_string(out, receipt);
            }
            Self::Unknown { contents, .. } => out.extend_from_slice(contents),
        }
    }

    /// Decodes the contents of a frame of type `frame_type`.
    fn decode_contents(frame_type: FrameType, c: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let frame = match frame_type {
            FrameType::CONNECTION_CLOSE => Self::ConnectionClose {
                code: ErrorCode(c.u8("connection close code")?),
                message: c.var_octet_string("connection close message")?,
            },
            FrameType::CONNECTION_NEW_ADDRESS => Self::ConnectionNewAddress {
                source_address: utf8(c, "connection new address")?,
            },
            FrameType::CONNECTION_MAX_DATA => Self::ConnectionMaxData {
                max_offset: c.var_uint("connection max data")?,
            },
            FrameType::CONNECTION_DATA_BLOCKED => Self::ConnectionDataBlocked {
                max_offset: c.var_uint("connection data blocked")?,
            },
            FrameType::CONNECTION_MAX_STREAM_ID => Self::ConnectionMaxStreamId {
                max_stream_id: c.var_uint("connection max stream id")?,
            },
            FrameType::CONNECTION_STREAM_ID_BLOCKED => Self::ConnectionStreamIdBlocked {
                max_stream_id: c.var_uint("connection stream id blocked")?,
            },
            FrameType::CONNECTION_ASSET_DETAILS => Self::ConnectionAssetDetails {
                asset_code: utf8(c, "asset code")?,
                asset_scale: c.u8("asset scale")?,
            },
            FrameType::STREAM_CLOSE => Self::StreamClose {
                stream_id: c.var_uint("stream close stream id")?,
                code: ErrorCode(c.u8("stream close code")?),
                message: c.var_octet_string("stream close message")?,
            },
            FrameType::STREAM_MONEY => Self::StreamMoney {
                stream_id: c.var_uint("stream money stream id")?,
                shares: c.var_uint("stream money shares")?,
            },
            FrameType::STREAM_MAX_MONEY => Self::StreamMaxMoney {
                stream_id: c.var_uint("stream max money stream id")?,
                receive_max: c.var_uint_saturating("stream max money receive max")?,
                total_received: c.var_uint("stream max money total received")?,
            },
            FrameType::STREAM_MONEY_BLOCKED => Self::StreamMoneyBlocked {
                stream_id: c.var_uint("stream money blocked stream id")?,
                send_max: c.var_uint_saturating("stream money blocked send max")?,
                total_sent: c.var_uint("stream money blocked total sent")?,
            },
            FrameType::STREAM_DATA => Self::StreamData {
                stream_id: c.var_uint("stream data stream id")?,
                offset: c.var_uint("stream data offset")?,
                data: c.var_octet_string("stream data")?,
            },
            FrameType::STREAM_MAX_DATA => Self::StreamMaxData {
                stream_id: c.var_uint("stream max data stream id")?,
                max_offset: c.var_uint("stream max data offset")?,
            },
            FrameType::STREAM_DATA_BLOCKED => Self::StreamDataBlocked {
                stream_id: c.var_uint("stream data blocked stream id")?,
                max_offset: c.var_uint("stream data blocked offset")?,
            },
            FrameType::STREAM_RECEIPT => Self::StreamReceipt {
                stream_id: c.var_uint("stream receipt stream id")?,
                receipt: c.var_octet_string("stream receipt")?,
            },
            frame_type => Self::Unknown {
                frame_type,
                contents: c.rest(),
            },
        };
        c.expect_end("stream frame contents")?;
        Ok(frame)
    }
}

/// Reads a VarOctetString that must be UTF-8.
fn utf8<'a>(c: &mut Reader<'a>, context: &'static str) -> Result<&'a str, DecodeError> {
    let bytes = c.var_octet_string(context)?;
    core::str::from_utf8(bytes).map_err(|_| DecodeError::invalid(context))
}

impl Encode for Frame<'_> {
    fn encoded_len(&self) -> usize {
        let len = self.contents_len();
        1 + length_prefix_len(len) + len
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.frame_type().0);
        put_length_prefix(out, self.contents_len());
        self.encode_contents(out);
    }
}

impl<'a> Decode<'a> for Frame<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let frame_type = FrameType(r.u8("stream frame type")?);
        let mut contents = r.var_octet_reader("stream frame contents")?;
        Self::decode_contents(frame_type, &mut contents)
    }
}

/// An iterator over a frame list: yields up to `count` frames, then stops.
///
/// It yields `Err` for the first malformed frame and nothing after it, so a
/// `for` loop over it never spins on bad input.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    reader: Reader<'a>,
    remaining: u64,
}

impl<'a> Frames<'a> {
    /// Iterates over `count` frames read from `reader`. Bytes after the last
    /// frame are left in the reader (see [`Frames::into_rest`]).
    pub const fn new(reader: Reader<'a>, count: u64) -> Self {
        Self {
            reader,
            remaining: count,
        }
    }

    /// The bytes after the frames read so far (after a complete iteration:
    /// the packet's junk, which must be ignored).
    pub fn into_rest(mut self) -> &'a [u8] {
        self.reader.rest()
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        match Frame::decode(&mut self.reader) {
            Ok(frame) => {
                self.remaining -= 1;
                Some(Ok(frame))
            }
            Err(err) => {
                self.remaining = 0;
                Some(Err(err))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Each frame takes at least two bytes; at most one error follows.
        let by_bytes = (self.reader.remaining() / 2).saturating_add(1);
        let by_count = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (0, Some(by_bytes.min(by_count)))
    }
}

impl core::iter::FusedIterator for Frames<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn decode(bytes: &[u8]) -> Result<Frame<'_>, DecodeError> {
        Frame::from_bytes(bytes)
    }

    #[test]
    fn decodes_and_reencodes_stream_money() {
        let bytes = [0x11, 0x04, 0x01, 0x7b, 0x01, 0x00];
        let frame = decode(&bytes).unwrap();
        assert_eq!(
            frame,
            Frame::StreamMoney {
                stream_id: 123,
                shares: 0
            }
        );
        assert_eq!(frame.to_bytes(), bytes);
        assert_eq!(frame.encoded_len(), bytes.len());
    }

    #[test]
    fn unknown_frame_is_kept_not_rejected() {
        let bytes = [0x59, 0x03, 0x01, 0x02, 0x03];
        let frame = decode(&bytes).unwrap();
        assert_eq!(
            frame,
            Frame::Unknown {
                frame_type: FrameType(0x59),
                contents: &[1, 2, 3]
            }
        );
        assert_eq!(frame.to_bytes(), bytes);
    }

    #[test]
    fn rejects_trailing_bytes_inside_known_frame() {
        // ConnectionMaxData(0) with one extra byte inside its contents.
        let err = decode(&[0x03, 0x03, 0x01, 0x00, 0xff]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingBytes);
    }

    #[test]
    fn rejects_frame_contents_longer_than_input() {
        let err = decode(&[0x11, 0x09, 0x01, 0x01]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnexpectedEnd);
    }

    #[test]
    fn rejects_non_utf8_asset_code() {
        let err = decode(&[0x07, 0x03, 0x01, 0xff, 0x02]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
    }

    #[test]
    fn saturates_only_receive_max_and_send_max() {
        let too_big = [0x09, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut bytes = vec![0x12, 0x0f, 0x01, 0x7b];
        bytes.extend_from_slice(&too_big);
        bytes.extend_from_slice(&[0x02, 0x01, 0xc8]);
        assert_eq!(
            decode(&bytes).unwrap(),
            Frame::StreamMaxMoney {
                stream_id: 123,
                receive_max: u64::MAX,
                total_received: 456
            }
        );
        // The same nine-byte VarUInt as a stream id is an error.
        let mut bytes = vec![0x11, 0x0c];
        bytes.extend_from_slice(&too_big);
        bytes.extend_from_slice(&[0x01, 0x01]);
        assert_eq!(decode(&bytes).unwrap_err().kind, DecodeErrorKind::Overflow);
    }

    #[test]
    fn iterator_stops_after_first_error() {
        // StreamMoney(1,1), then a malformed frame, then a valid one.
        let bytes = [
            0x11, 0x04, 1, 1, 1, 1, 0x11, 0x02, 1, 1, 0x11, 0x04, 1, 1, 1, 1,
        ];
        let mut frames = Frames::new(Reader::new(&bytes), 3);
        assert!(frames.next().unwrap().is_ok());
        assert!(frames.next().unwrap().is_err());
        assert!(frames.next().is_none(), "nothing after the first error");
        let mut frames = Frames::new(Reader::new(&[0xff]), u64::MAX);
        assert!(frames.next().unwrap().is_err());
        assert!(frames.next().is_none());
    }

    #[test]
    fn iterator_leaves_junk_after_count() {
        let bytes = [0x03, 0x02, 0x01, 0x00, 0, 0, 0];
        let mut frames = Frames::new(Reader::new(&bytes), 1);
        assert!(frames.next().unwrap().is_ok());
        assert!(frames.next().is_none());
        assert_eq!(frames.into_rest(), &[0, 0, 0]);
    }

    #[test]
    fn frame_type_debug_prints_names() {
        assert_eq!(format!("{:?}", FrameType::STREAM_RECEIPT), "StreamReceipt");
        assert_eq!(format!("{:?}", FrameType(0x59)), "FrameType(0x59)");
        assert!(!FrameType(0x08).is_known());
    }
}
