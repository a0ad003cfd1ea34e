//! The ILP Reject packet (type 14).

use crate::codec::oer::{put_var_octet_string, var_octet_string_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};

use super::{
    decode_data, decode_envelope, envelope_len, put_envelope_header, Address, ErrorCode, PacketType,
};

/// An ILP Reject: why a Prepare was not fulfilled.
///
/// `data` must be at most [`MAX_DATA_LEN`](super::MAX_DATA_LEN) bytes; the
/// encoder does not check but the decoder rejects longer data. `message` is
/// meant to be UTF-8 of at most 8191 bytes but is neither checked nor
/// limited: it is debugging text from a peer, kept as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject<'a> {
    /// The error code, e.g. [`ErrorCode::F08_AMOUNT_TOO_LARGE`].
    pub code: ErrorCode,
    /// The node that produced the error; `None` is an empty address on the
    /// wire (accepted as JS does; interledger-rs refuses to parse it).
    pub triggered_by: Option<Address<'a>>,
    /// Human-readable detail (UTF-8 by convention).
    pub message: &'a [u8],
    /// Code-specific data, e.g. [`AmountTooLarge`](super::AmountTooLarge) for F08.
    pub data: &'a [u8],
}

impl Reject<'_> {
    fn contents_len(&self) -> usize {
        3 + var_octet_string_len(self.triggered_by.map_or(0, |a| a.len()))
            + var_octet_string_len(self.message.len())
            + var_octet_string_len(self.data.len())
    }
}

impl Encode for Reject<'_> {
    fn encoded_len(&self) -> usize {
        envelope_len(self.contents_len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_envelope_header(out, PacketType::Reject, self.contents_len());
        self.code.encode(out);
        put_var_octet_string(out, self.triggered_by.map_or(&[], |a| a.as_bytes()));
        put_var_octet_string(out, self.message);
        put_var_octet_string(out, self.data);
    }
}

impl<'a> Decode<'a> for Reject<'a> {
    /// Reads a whole Reject packet, envelope included.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        decode_envelope(r, PacketType::Reject, "ilp reject", |r| {
            let code = ErrorCode::decode(r)?;
            let by = r.var_octet_string("ilp reject triggered_by")?;
            let triggered_by = if by.is_empty() {
                None
            } else {
                Some(
                    Address::from_bytes(by)
                        .map_err(|_| DecodeError::invalid("ilp reject triggered_by"))?,
                )
            };
            Ok(Self {
                code,
                triggered_by,
                message: r.var_octet_string("ilp reject message")?,
                data: decode_data(r, "ilp reject data")?,
            })
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
    fn empty_triggered_by_is_none() {
        let r = Reject {
            code: ErrorCode::T00_INTERNAL_ERROR,
            triggered_by: None,
            message: b"",
            data: b"",
        };
        let bytes = r.to_bytes();
        assert_eq!(bytes, [14, 6, b'T', b'0', b'0', 0, 0, 0]);
        assert_eq!(Reject::from_bytes(&bytes).unwrap(), r);
    }

    #[test]
    fn rejects_invalid_triggered_by() {
        let bytes = [14, 9, b'F', b'0', b'0', 3, b'g', b'.', b'.', 0, 0];
        let err = Reject::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
        assert_eq!(err.context, "ilp reject triggered_by");
    }
}
