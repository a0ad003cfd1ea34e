//! IL-DCP, the Interledger Dynamic Configuration Protocol (RFC 31).
//!
//! Right after connecting, a child sends its parent a Prepare to
//! `peer.config` ([`request`]); the parent answers with a Fulfill whose
//! fulfillment is 32 zero bytes and whose data is a [`Response`]: the child's
//! ILP address and the link's asset.

use crate::codec::oer::{put_var_octet_string, var_octet_string_len};
use crate::codec::{Decode, DecodeError, Encode, Reader};
use crate::ilp::{Address, Fulfill, Prepare, Timestamp};

/// The destination of every IL-DCP request.
pub const DESTINATION: Address<'static> = Address::new_unchecked("peer.config");

/// The fulfillment of every IL-DCP response: 32 zero bytes.
pub const FULFILLMENT: [u8; 32] = [0; 32];

/// The execution condition of every IL-DCP request: SHA-256 of
/// [`FULFILLMENT`].
pub const CONDITION: [u8; 32] = [
    0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77, 0x6c, 0x8f, 0xc1, 0x8b, 0x8e, 0x9f, 0x8e, 0x20,
    0x08, 0x97, 0x14, 0x85, 0x6e, 0xe2, 0x33, 0xb3, 0x90, 0x2a, 0x59, 0x1d, 0x0d, 0x5f, 0x29, 0x25,
];

/// The IL-DCP request Prepare: amount 0, destination `peer.config`,
/// condition [`CONDITION`], no data. JS and Rust clients expire it 60 s
/// after sending.
pub const fn request(expires_at: Timestamp) -> Prepare<'static> {
    Prepare {
        amount: 0,
        expires_at,
        execution_condition: CONDITION,
        destination: DESTINATION,
        data: &[],
    }
}

/// Whether a Prepare is an IL-DCP request (by destination and condition).
pub fn is_request(prepare: &Prepare<'_>) -> bool {
    prepare.destination == DESTINATION && prepare.execution_condition == CONDITION
}

/// Whether a Fulfill can be an IL-DCP response (its fulfillment is all zero).
pub fn is_response(fulfill: &Fulfill<'_>) -> bool {
    fulfill.fulfillment == FULFILLMENT
}

/// The configuration a parent gives its child, carried in the Fulfill data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// The ILP address the child must use.
    pub client_address: Address<'a>,
    /// Decimal places of the link's asset (amount 1 = 10^-scale units).
    pub asset_scale: u8,
    /// The asset code, e.g. `"USD"` (UTF-8).
    pub asset_code: &'a str,
}

impl<'a> Response<'a> {
    /// Reads the response from a Fulfill, which must have the all-zero
    /// fulfillment. Bytes after the response in `data` are ignored.
    pub fn from_fulfill(fulfill: &Fulfill<'a>) -> Result<Self, DecodeError> {
        if !is_response(fulfill) {
            return Err(DecodeError::invalid("ildcp fulfillment"));
        }
        Self::from_bytes(fulfill.data)
    }

    /// A Fulfill carrying `data`, which should be this response's
    /// [`Encode::to_bytes`].
    pub const fn fulfill(data: &[u8]) -> Fulfill<'_> {
        Fulfill {
            fulfillment: FULFILLMENT,
            data,
        }
    }
}

impl Encode for Response<'_> {
    fn encoded_len(&self) -> usize {
        self.client_address.encoded_len() + 1 + var_octet_string_len(self.asset_code.len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.client_address.encode(out);
        out.push(self.asset_scale);
        put_var_octet_string(out, self.asset_code.as_bytes());
    }
}

impl<'a> Decode<'a> for Response<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let client_address = Address::decode(r)?;
        let asset_scale = r.u8("ildcp asset scale")?;
        let code = r.var_octet_string("ildcp asset code")?;
        let asset_code =
            core::str::from_utf8(code).map_err(|_| DecodeError::invalid("ildcp asset code"))?;
        Ok(Self {
            client_address,
            asset_scale,
            asset_code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn condition_is_sha256_of_zero_fulfillment() {
        let digest = Sha256::digest(FULFILLMENT);
        assert_eq!(digest.as_slice(), &CONDITION);
    }

    #[test]
    fn destination_is_a_valid_address() {
        assert_eq!(Address::new("peer.config").unwrap(), DESTINATION);
    }

    #[test]
    fn builds_request_recognised_as_request() {
        let p = request(Timestamp::EPOCH);
        assert!(is_request(&p));
        assert_eq!(p.amount, 0);
        assert!(p.data.is_empty());
        let bytes = p.to_bytes();
        let decoded = Prepare::from_bytes(&bytes).unwrap();
        assert!(is_request(&decoded));
    }

    #[test]
    fn refuses_response_with_nonzero_fulfillment() {
        let data = Response {
            client_address: Address::new("g.child").unwrap(),
            asset_scale: 9,
            asset_code: "XRP",
        }
        .to_bytes();
        let mut fulfill = Response::fulfill(&data);
        assert_eq!(Response::from_fulfill(&fulfill).unwrap().asset_scale, 9);
        fulfill.fulfillment[31] = 1;
        assert!(!is_response(&fulfill));
        assert!(Response::from_fulfill(&fulfill).is_err());
    }

    #[test]
    fn rejects_non_utf8_asset_code() {
        let data = [3, b'g', b'.', b'a', 2, 2, 0xc3, 0x28];
        assert!(Response::from_bytes(&data).is_err());
    }
}
