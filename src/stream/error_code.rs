//! STREAM close codes (RFC 29 §5.2, carried by `ConnectionClose` and
//! `StreamClose`).

use core::fmt;

/// A STREAM close code.
///
/// Any byte is a valid code on the wire: values the spec does not name are
/// kept as they are and re-encoded unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u8);

impl ErrorCode {
    /// Normal close.
    pub const NO_ERROR: Self = Self(0x01);
    /// The endpoint hit an unexpected error.
    pub const INTERNAL_ERROR: Self = Self(0x02);
    /// The endpoint is temporarily overloaded.
    pub const ENDPOINT_BUSY: Self = Self(0x03);
    /// The peer exceeded an advertised flow-control limit.
    pub const FLOW_CONTROL_ERROR: Self = Self(0x04);
    /// The peer opened more streams than allowed.
    pub const STREAM_ID_ERROR: Self = Self(0x05);
    /// The peer sent frames for a stream that is already closed.
    pub const STREAM_STATE_ERROR: Self = Self(0x06);
    /// The peer sent a malformed frame.
    pub const FRAME_FORMAT_ERROR: Self = Self(0x07);
    /// The peer broke a protocol rule (e.g. wrong stream-id parity).
    pub const PROTOCOL_VIOLATION: Self = Self(0x08);
    /// The application closed with an error.
    pub const APPLICATION_ERROR: Self = Self(0x09);

    /// The spec name of this code, or `None` for a value the spec does not
    /// define.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "NoError",
            0x02 => "InternalError",
            0x03 => "EndpointBusy",
            0x04 => "FlowControlError",
            0x05 => "StreamIdError",
            0x06 => "StreamStateError",
            0x07 => "FrameFormatError",
            0x08 => "ProtocolViolation",
            0x09 => "ApplicationError",
            _ => return None,
        })
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ErrorCode({:#04x})", self.0),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A STREAM packet that decrypted but does not parse closes the connection
/// with `FrameFormatError` (RFC 29 §5.2).
impl From<crate::codec::DecodeError> for ErrorCode {
    fn from(_: crate::codec::DecodeError) -> Self {
        Self::FRAME_FORMAT_ERROR
    }
}

impl From<u8> for ErrorCode {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<ErrorCode> for u8 {
    fn from(code: ErrorCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn debug_prints_spec_names() {
        assert_eq!(format!("{:?}", ErrorCode::NO_ERROR), "NoError");
        assert_eq!(
            format!("{:?}", ErrorCode::APPLICATION_ERROR),
            "ApplicationError"
        );
        assert_eq!(
            ErrorCode::PROTOCOL_VIOLATION.to_string(),
            "ProtocolViolation"
        );
    }

    #[test]
    fn unknown_codes_round_trip_and_print_as_hex() {
        for byte in [0x00u8, 0x0a, 0xff] {
            let code = ErrorCode::from(byte);
            assert_eq!(u8::from(code), byte);
            assert_eq!(code.name(), None);
        }
        assert_eq!(format!("{:?}", ErrorCode(0xff)), "ErrorCode(0xff)");
    }

    #[test]
    fn decode_errors_map_to_frame_format_error() {
        let err = crate::codec::DecodeError::invalid("stream frame");
        assert_eq!(ErrorCode::from(err), ErrorCode::FRAME_FORMAT_ERROR);
    }

    #[test]
    fn named_codes_are_one_through_nine() {
        for byte in 1u8..=9 {
            assert!(ErrorCode(byte).name().is_some(), "{byte}");
        }
    }
}
