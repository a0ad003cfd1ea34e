//! STREAM receipts (RFC 39, deprecated 2026 but used by Web Monetization
//! 2020–2022).
//!
//! ```text
//! version        UInt8     = 1
//! nonce          16 bytes  identifies the STREAM connection
//! streamId       UInt8
//! totalReceived  UInt64    big-endian, receiver units
//! hmac           32 bytes  HMAC-SHA256(receipt_secret, first 26 bytes)
//! ```
//!
//! A sender only passes receipts on (it never has the secret); verifiers and
//! test receivers use [`Receipt::verify`] and [`Receipt::create`].

use core::fmt;

use hmac::Mac;

use crate::codec::Reader;
use crate::stream::crypto::hmac_sha256_key;

/// Length of a version 1 receipt.
pub const RECEIPT_LEN: usize = 58;
/// The receipt version this crate understands.
pub const RECEIPT_VERSION: u8 = 1;
/// Length of the signed part (everything before the HMAC).
const SIGNED_LEN: usize = 26;

/// A decoded receipt (its HMAC is checked only by [`Receipt::verify`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The receipt nonce the verifier gave the receiver.
    pub nonce: [u8; 16],
    /// The stream the money arrived on.
    pub stream_id: u8,
    /// Total received on that stream so far, in receiver units.
    pub total_received: u64,
    /// HMAC-SHA256 over the first 26 bytes.
    pub hmac: [u8; 32],
}

/// Why a receipt was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptError {
    /// Not 58 bytes long (the length found).
    WrongLength(usize),
    /// A version other than 1 (the version found).
    UnsupportedVersion(u8),
    /// The HMAC does not match the secret.
    BadHmac,
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(len) => write!(f, "receipt is {len} bytes, expected 58"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported receipt version {v}"),
            Self::BadHmac => f.write_str("receipt HMAC does not match"),
        }
    }
}

impl std::error::Error for ReceiptError {}

impl Receipt {
    /// Decodes a receipt without checking its HMAC.
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiptError> {
        if bytes.len() != RECEIPT_LEN {
            return Err(ReceiptError::WrongLength(bytes.len()));
        }
        let mut r = Reader::new(bytes);
        let wrong_length = |_| ReceiptError::WrongLength(bytes.len());
        let version = r.u8("receipt version").map_err(wrong_length)?;
        if version != RECEIPT_VERSION {
            return Err(ReceiptError::UnsupportedVersion(version));
        }
        Ok(Self {
            nonce: r.take_array("receipt nonce").map_err(wrong_length)?,
            stream_id: r.u8("receipt stream id").map_err(wrong_length)?,
            total_received: r.u64("receipt total").map_err(wrong_length)?,
            hmac: r.take_array("receipt hmac").map_err(wrong_length)?,
        })
    }

    /// Decodes a receipt and checks its HMAC under `secret` in constant time.
    pub fn verify(bytes: &[u8], secret: &[u8; 32]) -> Result<Self, ReceiptError> {
        let receipt = Self::decode(bytes)?;
        let mut mac = hmac_sha256_key(secret);
        mac.update(&receipt.signed_part());
        mac.verify_slice(&receipt.hmac)
            .map_err(|_| ReceiptError::BadHmac)?;
        Ok(receipt)
    }

    /// Creates a signed receipt.
    pub fn create(
        nonce: [u8; 16],
        stream_id: u8,
        total_received: u64,
        secret: &[u8; 32],
    ) -> [u8; RECEIPT_LEN] {
        let mut receipt = Self {
            nonce,
            stream_id,
            total_received,
            hmac: [0; 32],
        };
        let mut mac = hmac_sha256_key(secret);
        mac.update(&receipt.signed_part());
        receipt.hmac = mac.finalize().into_bytes().into();
        receipt.to_bytes()
    }

    /// The 58-byte wire form.
    pub fn to_bytes(&self) -> [u8; RECEIPT_LEN] {
        let mut out = [0u8; RECEIPT_LEN];
        let (signed, hmac) = out.split_at_mut(SIGNED_LEN);
        signed.copy_from_slice(&self.signed_part());
        hmac.copy_from_slice(&self.hmac);
        out
    }

    /// version ‖ nonce ‖ streamId ‖ totalReceived.
    fn signed_part(&self) -> [u8; SIGNED_LEN] {
        let mut out = [0u8; SIGNED_LEN];
        let (version, rest) = out.split_at_mut(1);
        version.copy_from_slice(&[RECEIPT_VERSION]);
        let (nonce, rest) = rest.split_at_mut(16);
        nonce.copy_from_slice(&self.nonce);
        let (stream_id, total) = rest.split_at_mut(1);
        stream_id.copy_from_slice(&[self.stream_id]);
        total.copy_from_slice(&self.total_received.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_hex as hex;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // interledgerjs ilp-protocol-stream test/util/receipt.spec.ts.
    const JS_RECEIPT: &str = concat!(
        "01000000000000000000000000000000000100000000000001f4",
        "c122fa0252debb672d591823f710e99516d67385cf397da87cc8f9e8c8bf5130"
    );

    #[test]
    fn creates_js_receipt_vector() {
        assert_eq!(
            Receipt::create([0; 16], 1, 500, &[0; 32]).to_vec(),
            hex(JS_RECEIPT)
        );
    }

    #[test]
    fn verifies_js_receipt_vector() {
        let receipt = Receipt::verify(&hex(JS_RECEIPT), &[0; 32]).unwrap();
        assert_eq!((receipt.stream_id, receipt.total_received), (1, 500));
        assert_eq!(receipt.nonce, [0; 16]);
    }

    #[test]
    fn rejects_wrong_secret_and_tampering() {
        let bytes = hex(JS_RECEIPT);
        assert_eq!(
            Receipt::verify(&bytes, &[1; 32]),
            Err(ReceiptError::BadHmac)
        );
        let mut more = bytes;
        more[25] = 0xf5;
        assert_eq!(Receipt::verify(&more, &[0; 32]), Err(ReceiptError::BadHmac));
        assert!(
            Receipt::decode(&more).is_ok(),
            "decode alone does not check"
        );
    }

    #[test]
    fn rejects_wrong_length_and_version() {
        let bytes = hex(JS_RECEIPT);
        assert_eq!(
            Receipt::decode(&bytes[..57]),
            Err(ReceiptError::WrongLength(57))
        );
        assert_eq!(Receipt::decode(&[]), Err(ReceiptError::WrongLength(0)));
        let mut v2 = bytes;
        v2[0] = 2;
        assert_eq!(
            Receipt::decode(&v2),
            Err(ReceiptError::UnsupportedVersion(2))
        );
    }

    #[test]
    fn decoded_receipt_re_encodes_identically() {
        let bytes = hex(JS_RECEIPT);
        assert_eq!(Receipt::decode(&bytes).unwrap().to_bytes().to_vec(), bytes);
    }
}
