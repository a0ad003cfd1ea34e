//! ILP Reject error codes (RFC 27 §"Error Codes") and the F08 data layout.

use core::fmt;

use crate::text::{display_via_text, put, Text};

use crate::codec::{Decode, DecodeError, Encode, Reader};

/// Whether and how a sender may retry after a Reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// `F`: do not retry the same packet unchanged.
    Final,
    /// `T`: retry the same packet, possibly after a delay.
    Temporary,
    /// `R`: retry only with more margin (amount or time).
    Relative,
    /// Any other first letter.
    Unknown,
}

/// A three-letter ILP error code such as `F08`.
///
/// Codes the RFC does not define (for instance `F09`, which only
/// interledger-rs uses) are kept as they are and classified by their first
/// letter.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(pub [u8; 3]);

/// The three bytes of a code written as text (`"F08"`).
const fn code(s: &str) -> [u8; 3] {
    match s.as_bytes() {
        [a, b, c] => [*a, *b, *c],
        _ => [0; 3],
    }
}

macro_rules! error_codes {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl ErrorCode {
            $(
                #[doc = concat!("`", $code, " ", $text, "`.")]
                pub const $name: Self = Self(code($code));
            )*

            /// The name RFC 27 gives the code, e.g. `"Amount Too Large"`, or
            /// `None` for codes it does not define.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$name => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    F00_BAD_REQUEST = "F00", "Bad Request";
    F01_INVALID_PACKET = "F01", "Invalid Packet";
    F02_UNREACHABLE = "F02", "Unreachable";
    F03_INVALID_AMOUNT = "F03", "Invalid Amount";
    F04_INSUFFICIENT_DESTINATION_AMOUNT = "F04", "Insufficient Destination Amount";
    F05_WRONG_CONDITION = "F05", "Wrong Condition";
    F06_UNEXPECTED_PAYMENT = "F06", "Unexpected Payment";
    F07_CANNOT_RECEIVE = "F07", "Cannot Receive";
    F08_AMOUNT_TOO_LARGE = "F08", "Amount Too Large";
    F99_APPLICATION_ERROR = "F99", "Application Error";
    T00_INTERNAL_ERROR = "T00", "Internal Error";
    T01_PEER_UNREACHABLE = "T01", "Peer Unreachable";
    T02_PEER_BUSY = "T02", "Peer Busy";
    T03_CONNECTOR_BUSY = "T03", "Connector Busy";
    T04_INSUFFICIENT_LIQUIDITY = "T04", "Insufficient Liquidity";
    T05_RATE_LIMITED = "T05", "Rate Limited";
    T99_APPLICATION_ERROR = "T99", "Application Error";
    R00_TRANSFER_TIMED_OUT = "R00", "Transfer Timed Out";
    R01_INSUFFICIENT_SOURCE_AMOUNT = "R01", "Insufficient Source Amount";
    R02_INSUFFICIENT_TIMEOUT = "R02", "Insufficient Timeout";
    R99_APPLICATION_ERROR = "R99", "Application Error";
}

impl ErrorCode {
    /// The code as three bytes.
    pub const fn as_bytes(&self) -> &[u8; 3] {
        &self.0
    }

    /// The retry class, from the first letter.
    pub const fn class(self) -> ErrorClass {
        match self.0[0] {
            b'F' => ErrorClass::Final,
            b'T' => ErrorClass::Temporary,
            b'R' => ErrorClass::Relative,
            _ => ErrorClass::Unknown,
        }
    }
}

impl Text for ErrorCode {
    /// `F08 Amount Too Large`, or just the code when it has no RFC name.
    fn put(&self, out: &mut String) {
        crate::text::push_escaped_ascii(out, &self.0);
        if let Some(name) = self.name() {
            put!(out, " ", name);
        }
    }
}

display_via_text!(ErrorCode);

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorCode({self})")
    }
}

impl From<DecodeError> for ErrorCode {
    /// A packet that does not parse is answered with `F01 Invalid Packet`.
    fn from(_: DecodeError) -> Self {
        Self::F01_INVALID_PACKET
    }
}

impl Encode for ErrorCode {
    fn encoded_len(&self) -> usize {
        3
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl<'a> Decode<'a> for ErrorCode {
    /// Reads three IA5 (7-bit ASCII) bytes, no length prefix.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let code = r.take_array::<3>("ilp error code")?;
        if !code.is_ascii() {
            return Err(DecodeError::invalid("ilp error code"));
        }
        Ok(Self(code))
    }
}

/// The data of an `F08 Amount Too Large` Reject: two big-endian `u64`s,
/// exactly 16 bytes, in the rejecting connector's incoming units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AmountTooLarge {
    /// The amount the rejecting connector received.
    pub received: u64,
    /// The largest amount (inclusive) it will forward.
    pub maximum: u64,
}

impl AmountTooLarge {
    /// Reads Reject data that must be exactly 16 bytes.
    pub fn from_data(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let value = Self::decode(&mut r)?;
        r.expect_end("ilp f08 data")?;
        Ok(value)
    }
}

impl Encode for AmountTooLarge {
    fn encoded_len(&self) -> usize {
        16
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.received.to_be_bytes());
        out.extend_from_slice(&self.maximum.to_be_bytes());
    }
}

impl<'a> Decode<'a> for AmountTooLarge {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(Self {
            received: r.u64("ilp f08 received amount")?,
            maximum: r.u64("ilp f08 maximum amount")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DecodeErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_and_classes_follow_the_rfc() {
        assert_eq!(ErrorCode::F08_AMOUNT_TOO_LARGE.0, *b"F08");
        assert_eq!(
            ErrorCode::F08_AMOUNT_TOO_LARGE.name(),
            Some("Amount Too Large")
        );
        assert_eq!(
            ErrorCode::T04_INSUFFICIENT_LIQUIDITY.class(),
            ErrorClass::Temporary
        );
        assert_eq!(
            ErrorCode::R00_TRANSFER_TIMED_OUT.class(),
            ErrorClass::Relative
        );
        assert_eq!(ErrorCode::F99_APPLICATION_ERROR.class(), ErrorClass::Final);
        assert_eq!(
            ErrorCode::R02_INSUFFICIENT_TIMEOUT.name(),
            Some("Insufficient Timeout")
        );
    }

    #[test]
    fn unknown_codes_keep_their_bytes_and_class() {
        let f09 = ErrorCode(*b"F09");
        assert_eq!(f09.name(), None);
        assert_eq!(f09.class(), ErrorClass::Final);
        assert_eq!(ErrorCode(*b"L13").class(), ErrorClass::Unknown);
        assert_eq!(ErrorCode::decode(&mut Reader::new(b"F09")).unwrap(), f09);
        assert_eq!(f09.to_bytes(), b"F09");
    }

    #[test]
    fn prints_code_and_name() {
        assert_eq!(ErrorCode::F02_UNREACHABLE.to_string(), "F02 Unreachable");
        assert_eq!(
            format!("{:?}", ErrorCode::T00_INTERNAL_ERROR),
            "ErrorCode(T00 Internal Error)"
        );
        assert_eq!(ErrorCode(*b"X\x01Z").to_string(), "X\\x01Z");
    }

    #[test]
    fn rejects_non_ascii_code() {
        let err = ErrorCode::decode(&mut Reader::new(b"F\xc30")).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
    }

    #[test]
    fn rejects_f08_data_of_wrong_size() {
        assert_eq!(
            AmountTooLarge::from_data(&[0; 15]).unwrap_err().kind,
            DecodeErrorKind::UnexpectedEnd
        );
        assert_eq!(
            AmountTooLarge::from_data(&[0; 17]).unwrap_err().kind,
            DecodeErrorKind::TrailingBytes
        );
    }
}
