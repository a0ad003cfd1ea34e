//! BTP 2.0 packets (RFC 23): Response, Error, Message and Transfer.
//!
//! Layout: type `u8`, request id `u32`, then the contents as a
//! VarOctetString. Bytes after the contents are ignored (RFC 30); inside the
//! contents every field is checked and leftover bytes are an error.

use core::fmt;

use crate::codec::oer::{
    length_prefix_len, put_length_prefix, put_var_octet_string, var_octet_string_len,
};
use crate::codec::{Decode, DecodeError, Encode, Reader};
use crate::ilp::GeneralizedTime;

use super::Entries;

/// The longest `data` field a BTP Error may carry.
pub const MAX_ERROR_DATA_LEN: usize = 8192;

/// The type byte of a BTP 2.0 packet (3, 4 and 5 were BTP/1 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `1`: the answer to a Message or Transfer.
    Response = 1,
    /// `2`: a request failed at the BTP level.
    Error = 2,
    /// `6`: a request carrying protocol data (e.g. an ILP Prepare).
    Message = 6,
    /// `7`: a settlement transfer.
    Transfer = 7,
}

impl PacketType {
    /// The type of a type byte, if BTP 2.0 defines it.
    pub const fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Response),
            2 => Some(Self::Error),
            6 => Some(Self::Message),
            7 => Some(Self::Transfer),
            _ => None,
        }
    }
}

/// A BTP error code such as `F00` (RFC 23 §"Error codes"). Unknown codes are
/// kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub [u8; 3]);

impl ErrorCode {
    /// `T00` UnreachableError: try again later.
    pub const T00_UNREACHABLE: Self = Self(*b"T00");
    /// `F00` NotAcceptedError: semantically invalid.
    pub const F00_NOT_ACCEPTED: Self = Self(*b"F00");
    /// `F01` InvalidFieldsError: a field is structurally invalid.
    pub const F01_INVALID_FIELDS: Self = Self(*b"F01");
    /// `F03` TransferNotFoundError.
    pub const F03_TRANSFER_NOT_FOUND: Self = Self(*b"F03");
    /// `F04` InvalidFulfillmentError.
    pub const F04_INVALID_FULFILLMENT: Self = Self(*b"F04");
    /// `F05` DuplicateIdError.
    pub const F05_DUPLICATE_ID: Self = Self(*b"F05");
    /// `F06` AlreadyRolledBackError.
    pub const F06_ALREADY_ROLLED_BACK: Self = Self(*b"F06");
    /// `F07` AlreadyFulfilledError.
    pub const F07_ALREADY_FULFILLED: Self = Self(*b"F07");
    /// `F08` InsufficientBalanceError.
    pub const F08_INSUFFICIENT_BALANCE: Self = Self(*b"F08");

    /// The RFC's name for the code, e.g. `"NotAcceptedError"`.
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::T00_UNREACHABLE => Some("UnreachableError"),
            Self::F00_NOT_ACCEPTED => Some("NotAcceptedError"),
            Self::F01_INVALID_FIELDS => Some("InvalidFieldsError"),
            Self::F03_TRANSFER_NOT_FOUND => Some("TransferNotFoundError"),
            Self::F04_INVALID_FULFILLMENT => Some("InvalidFulfillmentError"),
            Self::F05_DUPLICATE_ID => Some("DuplicateIdError"),
            Self::F06_ALREADY_ROLLED_BACK => Some("AlreadyRolledBackError"),
            Self::F07_ALREADY_FULFILLED => Some("AlreadyFulfilledError"),
            Self::F08_INSUFFICIENT_BALANCE => Some("InsufficientBalanceError"),
            _ => None,
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorCode({}", self.0.escape_ascii())?;
        if let Some(name) = self.name() {
            write!(f, " {name}")?;
        }
        f.write_str(")")
    }
}

/// A BTP Response (type 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// The id of the request it answers.
    pub request_id: u32,
    /// Protocol data (an `ilp` entry carries an ILP Fulfill or Reject).
    pub protocol_data: Entries<'a>,
}

/// A BTP Message (type 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Chosen by the sender; echoed by the answer.
    pub request_id: u32,
    /// Protocol data; the first entry is the primary sub-protocol.
    pub protocol_data: Entries<'a>,
}

/// A BTP Transfer (type 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer<'a> {
    /// Chosen by the sender; echoed by the answer.
    pub request_id: u32,
    /// Additional value, in a unit agreed out of band.
    pub amount: u64,
    /// Protocol data.
    pub protocol_data: Entries<'a>,
}

/// A BTP Error (type 2).
///
/// `data` must be at most [`MAX_ERROR_DATA_LEN`] bytes; the encoder does not
/// check but the decoder rejects longer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtpError<'a> {
    /// The id of the request that failed.
    pub request_id: u32,
    /// The error code.
    pub code: ErrorCode,
    /// The error's name, e.g. `"NotAcceptedError"` (UTF-8).
    pub name: &'a str,
    /// When the error happened, text kept as received.
    pub triggered_at: GeneralizedTime<'a>,
    /// Details (JS puts `{"message": …}` JSON here).
    pub data: &'a [u8],
    /// Protocol data.
    pub protocol_data: Entries<'a>,
}

/// Any BTP 2.0 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Type 1.
    Response(Response<'a>),
    /// Type 2.
    Error(BtpError<'a>),
    /// Type 6.
    Message(Message<'a>),
    /// Type 7.
    Transfer(Transfer<'a>),
}

impl<'a> Packet<'a> {
    /// The packet's type.
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Self::Response(_) => PacketType::Response,
            Self::Error(_) => PacketType::Error,
            Self::Message(_) => PacketType::Message,
            Self::Transfer(_) => PacketType::Transfer,
        }
    }

    /// The request id.
    pub const fn request_id(&self) -> u32 {
        match self {
            Self::Response(p) => p.request_id,
            Self::Error(p) => p.request_id,
            Self::Message(p) => p.request_id,
            Self::Transfer(p) => p.request_id,
        }
    }

    /// The protocol data entries.
    pub const fn protocol_data(&self) -> Entries<'a> {
        match self {
            Self::Response(p) => p.protocol_data,
            Self::Error(p) => p.protocol_data,
            Self::Message(p) => p.protocol_data,
            Self::Transfer(p) => p.protocol_data,
        }
    }

    /// The data of the `ilp` entry of a Response or Message, if any.
    ///
    /// Both types are accepted whatever the ILP packet inside is, because
    /// interledger-rs swaps them (digest §4.3).
    pub fn ilp(&self) -> Option<&'a [u8]> {
        match self {
            Self::Response(_) | Self::Message(_) => {
                self.protocol_data().get(super::ILP).map(|e| e.data)
            }
            Self::Error(_) | Self::Transfer(_) => None,
        }
    }

    fn contents_len(&self) -> usize {
        match self {
            Self::Response(p) => p.protocol_data.encoded_len(),
            Self::Message(p) => p.protocol_data.encoded_len(),
            Self::Transfer(p) => 8 + p.protocol_data.encoded_len(),
            Self::Error(p) => {
                3 + var_octet_string_len(p.name.len())
                    + var_octet_string_len(p.triggered_at.as_str().len())
                    + var_octet_string_len(p.data.len())
                    + p.protocol_data.encoded_len()
            }
        }
    }
}

macro_rules! from_variant {
    ($($ty:ident => $variant:ident),*) => {$(
        impl<'a> From<$ty<'a>> for Packet<'a> {
            fn from(p: $ty<'a>) -> Self {
                Self::$variant(p)
            }
        }
    )*};
}

from_variant!(Response => Response, BtpError => Error, Message => Message, Transfer => Transfer);

impl Encode for Packet<'_> {
    fn encoded_len(&self) -> usize {
        let n = self.contents_len();
        1 + 4 + length_prefix_len(n) + n
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.packet_type() as u8);
        out.extend_from_slice(&self.request_id().to_be_bytes());
        put_length_prefix(out, self.contents_len());
        match self {
            Self::Response(p) => p.protocol_data.encode(out),
            Self::Message(p) => p.protocol_data.encode(out),
            Self::Transfer(p) => {
                out.extend_from_slice(&p.amount.to_be_bytes());
                p.protocol_data.encode(out);
            }
            Self::Error(p) => {
                out.extend_from_slice(&p.code.0);
                put_var_octet_string(out, p.name.as_bytes());
                put_var_octet_string(out, p.triggered_at.as_str().as_bytes());
                put_var_octet_string(out, p.data);
                p.protocol_data.encode(out);
            }
        }
    }
}

fn utf8<'a>(bytes: &'a [u8], context: &'static str) -> Result<&'a str, DecodeError> {
    core::str::from_utf8(bytes).map_err(|_| DecodeError::invalid(context))
}

fn decode_error<'a>(request_id: u32, r: &mut Reader<'a>) -> Result<BtpError<'a>, DecodeError> {
    let code = r.take_array::<3>("btp error code")?;
    let name = utf8(r.var_octet_string("btp error name")?, "btp error name")?;
    let at = utf8(
        r.var_octet_string("btp error triggered_at")?,
        "btp error triggered_at",
    )?;
    let triggered_at =
        GeneralizedTime::parse(at).map_err(|_| DecodeError::invalid("btp error triggered_at"))?;
    let data = r.var_octet_string("btp error data")?;
    if data.len() > MAX_ERROR_DATA_LEN {
        return Err(DecodeError::invalid("btp error data"));
    }
    Ok(BtpError {
        request_id,
        code: ErrorCode(code),
        name,
        triggered_at,
        data,
        protocol_data: Entries::decode(r)?,
    })
}

impl<'a> Decode<'a> for Packet<'a> {
    /// Reads any BTP 2.0 packet; an unknown type is
    /// [`InvalidValue`](crate::codec::DecodeErrorKind::InvalidValue).
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let ty = PacketType::from_u8(r.u8("btp packet type")?)
            .ok_or(DecodeError::invalid("btp packet type"))?;
        let request_id = r.u32("btp request id")?;
        let mut c = r.var_octet_reader("btp contents")?;
        let packet = match ty {
            PacketType::Response => Self::Response(Response {
                request_id,
                protocol_data: Entries::decode(&mut c)?,
            }),
            PacketType::Message => Self::Message(Message {
                request_id,
                protocol_data: Entries::decode(&mut c)?,
            }),
            PacketType::Transfer => Self::Transfer(Transfer {
                request_id,
                amount: c.u64("btp transfer amount")?,
                protocol_data: Entries::decode(&mut c)?,
            }),
            PacketType::Error => Self::Error(decode_error(request_id, &mut c)?),
        };
        c.expect_end("btp contents")?;
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btp::ProtocolData;
    use crate::codec::DecodeErrorKind;
    use crate::ilp::Timestamp;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rejects_unknown_packet_type() {
        for ty in [0u8, 3, 4, 5, 8, 255] {
            let err = Packet::from_bytes(&[ty, 0, 0, 0, 1, 2, 1, 0]).unwrap_err();
            assert_eq!(err.kind, DecodeErrorKind::InvalidValue, "type {ty}");
        }
    }

    #[test]
    fn rejects_trailing_bytes_inside_contents() {
        let err = Packet::from_bytes(&[1, 0, 0, 0, 1, 3, 1, 0, 0]).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::TrailingBytes);
        // After the contents, bytes are ignored.
        assert!(Packet::from_bytes(&[1, 0, 0, 0, 1, 2, 1, 0, 0]).is_ok());
    }

    #[test]
    fn error_round_trips_with_canonical_time() {
        let mut buf = String::new();
        let t = Timestamp::parse_ilp(b"20171224161432200").unwrap();
        let e = Packet::Error(BtpError {
            request_id: 7,
            code: ErrorCode::F00_NOT_ACCEPTED,
            name: "NotAcceptedError",
            triggered_at: GeneralizedTime::from_timestamp(t, &mut buf),
            data: b"{}",
            protocol_data: Entries::EMPTY,
        });
        let bytes = e.to_bytes();
        assert_eq!(bytes.len(), e.encoded_len());
        let d = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(d, e);
        let Packet::Error(d) = d else { panic!() };
        assert_eq!(d.triggered_at.as_str(), "20171224161432.2Z");
        assert_eq!(d.triggered_at.timestamp(), t);
    }

    #[test]
    fn rejects_bad_triggered_at_and_oversized_error_data() {
        let mut buf = String::new();
        let big = vec![0; MAX_ERROR_DATA_LEN + 1];
        let mut e = BtpError {
            request_id: 7,
            code: ErrorCode(*b"F00"),
            name: "x",
            triggered_at: GeneralizedTime::from_timestamp(Timestamp::EPOCH, &mut buf),
            data: &big,
            protocol_data: Entries::EMPTY,
        };
        let err = Packet::from_bytes(&Packet::Error(e).to_bytes()).unwrap_err();
        assert_eq!(err.context, "btp error data");
        e.data = b"";
        let mut bytes = Packet::Error(e).to_bytes();
        let z = bytes.iter().position(|&b| b == b'Z').unwrap();
        bytes[z] = b'z';
        let err = Packet::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.context, "btp error triggered_at");
    }

    #[test]
    fn finds_ilp_entry_in_response_and_message_only() {
        let entries = [ProtocolData {
            name: "ilp",
            content_type: super::super::ContentType::OCTET_STREAM,
            data: b"\x0d",
        }];
        let m = Packet::Message(Message {
            request_id: 1,
            protocol_data: Entries::new(&entries),
        });
        assert_eq!(m.ilp(), Some(&b"\x0d"[..]));
        let t = Packet::Transfer(Transfer {
            request_id: 1,
            amount: 5,
            protocol_data: Entries::new(&entries),
        });
        assert_eq!(t.ilp(), None);
    }

    #[test]
    fn names_error_codes() {
        assert_eq!(
            ErrorCode::F01_INVALID_FIELDS.name(),
            Some("InvalidFieldsError")
        );
        assert_eq!(
            format!("{:?}", ErrorCode::T00_UNREACHABLE),
            "ErrorCode(T00 UnreachableError)"
        );
        assert_eq!(format!("{:?}", ErrorCode(*b"L13")), "ErrorCode(L13)");
    }
}
