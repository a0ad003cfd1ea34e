//! The ILP Prepare packet (type 12).

use crate::codec::oer::var_octet_string_len;
use crate::codec::{Decode, DecodeError, Encode, Reader};

use super::{
    decode_data_up_to, decode_envelope, envelope_len, put_envelope_header, Address, PacketType,
    Timestamp,
};
use crate::codec::oer::put_var_octet_string;

const CONTEXT: &str = "ilp prepare";

/// An ILP Prepare: a conditional transfer offer.
///
/// `data` must be at most [`MAX_DATA_LEN`](super::MAX_DATA_LEN) bytes; the
/// encoder does not check (that is the caller's job) but the decoder rejects
/// longer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepare<'a> {
    /// Amount in the link's smallest unit.
    pub amount: u64,
    /// When the sender stops waiting for a Fulfill.
    pub expires_at: Timestamp,
    /// SHA-256 digest of the fulfillment.
    pub execution_condition: [u8; 32],
    /// Where the packet goes.
    pub destination: Address<'a>,
    /// End-to-end data (for STREAM: the encrypted STREAM packet).
    pub data: &'a [u8],
}

impl Prepare<'_> {
    fn contents_len(&self) -> usize {
        8 + 17 + 32 + self.destination.encoded_len() + var_octet_string_len(self.data.len())
    }
}

impl Encode for Prepare<'_> {
    fn encoded_len(&self) -> usize {
        envelope_len(self.contents_len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_envelope_header(out, PacketType::Prepare, self.contents_len());
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_ilp_bytes());
        out.extend_from_slice(&self.execution_condition);
        self.destination.encode(out);
        put_var_octet_string(out, self.data);
    }
}

impl<'a> Decode<'a> for Prepare<'a> {
    /// Reads a whole Prepare packet, envelope included.
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        decode_envelope(r, PacketType::Prepare, CONTEXT, |r| {
            let amount = r.u64("ilp prepare amount")?;
            let expires_at = Timestamp::parse_ilp(r.take(17, "ilp prepare expires_at")?)
                .map_err(|_| DecodeError::invalid("ilp prepare expires_at"))?;
            Ok(Self {
                amount,
                expires_at,
                execution_condition: r.take_array("ilp prepare execution_condition")?,
                destination: Address::decode(r)?,
                data: decode_data_up_to(
                    r,
                    "ilp prepare data",
                    super::MAX_DATA_LEN + super::PREPARE_DATA_TOLERANCE,
                )?,
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

    fn sample() -> Prepare<'static> {
        Prepare {
            amount: 107,
            expires_at: Timestamp::parse_ilp(b"20171223012140549").unwrap(),
            execution_condition: [0xab; 32],
            destination: Address::new("example.alice").unwrap(),
            data: &[1, 2, 3],
        }
    }

    #[test]
    fn round_trips_with_exact_length() {
        let p = sample();
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), p.encoded_len());
        assert_eq!(bytes[0], 12);
        assert_eq!(Prepare::from_bytes(&bytes).unwrap(), p);
    }

    #[test]
    fn rejects_invalid_expiry() {
        let mut bytes = sample().to_bytes();
        // amount is bytes 2..10, the timestamp's month starts at byte 14.
        bytes[14] = b'1';
        bytes[15] = b'3';
        let err = Prepare::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::InvalidValue);
        assert_eq!(err.context, "ilp prepare expires_at");
    }

    #[test]
    fn rejects_invalid_destination() {
        let mut p = sample();
        p.destination = Address::new_unchecked("nope.x");
        let err = Prepare::from_bytes(&p.to_bytes()).unwrap_err();
        assert_eq!(err.context, "ilp address");
    }

    #[test]
    fn rejects_other_packet_types() {
        let mut bytes = sample().to_bytes();
        bytes[0] = 13;
        assert_eq!(
            Prepare::from_bytes(&bytes).unwrap_err().kind,
            DecodeErrorKind::InvalidValue
        );
    }
}
