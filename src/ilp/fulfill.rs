//! The ILP Fulfill packet (type 13).

use crate::codec::oer::{put_var_octet_string, var_octet_string_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};

use super::{decode_data, decode_envelope, envelope_len, put_envelope_header, PacketType};

/// An ILP Fulfill: the preimage of a Prepare's condition.
///
/// `data` must be at most [`MAX_DATA_LEN`](super::MAX_DATA_LEN) bytes; the
/// encoder does not check but the decoder rejects longer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fulfill<'a> {
    /// The 32 bytes whose SHA-256 is the Prepare's execution condition.
    pub fulfillment: [u8; 32],
    /// End-to-end data.
    pub data: &'a [u8],
}

impl Fulfill<'_> {
    fn contents_len(&self) -> usize {
        32 + var_octet_string_len(self.data.len())
    }
}

impl Encode for Fulfill<'_> {
    fn encoded_len(&self) -> usize {
        envelope_len(self.contents_len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_envelope_header(out, PacketType::Fulfill, self.contents_len());
        out.extend_from_slice(&self.fulfillment);
        put_var_octet_string(out, self.data);
    }
}

impl<'a> Decode<'a> for Fulfill<'a> {
    /// Reads a whole Fulfill packet, envelope included.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        decode_envelope(r, PacketType::Fulfill, "ilp fulfill", |r| {
            Ok(Self {
                fulfillment: r.take_array("ilp fulfill fulfillment")?,
                data: decode_data(r, "ilp fulfill data")?,
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
    fn round_trips_empty_data() {
        let f = Fulfill {
            fulfillment: [9; 32],
            data: &[],
        };
        let bytes = f.to_bytes();
        assert_eq!(bytes.len(), 2 + 32 + 1);
        assert_eq!(Fulfill::from_bytes(&bytes).unwrap(), f);
    }

    #[test]
    fn rejects_truncated_fulfillment() {
        let bytes = [13, 3, 1, 2, 3];
        assert_eq!(
            Fulfill::from_bytes(&bytes).unwrap_err().kind,
            DecodeErrorKind::UnexpectedEnd
        );
    }
}
