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
//! test receivers use [`Receipt::verify`] and [`Receipt::create`]. A
//! publisher's server gets receipts as base64 text (the `receipt` of a
//! progress or monetization event): [`Receipt::decode_base64`] reads the
//! nonce to look its secret up, [`Receipt::verify_base64`] checks the HMAC.

use crate::text::{display_via_text, put, Text};

use hmac::Mac;

use crate::codec::Reader;
use crate::spsp::base64::{self, Base64Error};
use crate::stream::crypto::hmac_sha256_key;

/// Length of a version 1 receipt.
pub const RECEIPT_LEN: usize = 58;
/// The receipt version this crate understands.
pub const RECEIPT_VERSION: u8 = 1;
/// Length of the signed part (everything before the HMAC).
const SIGNED_LEN: usize = 26;
/// The longest base64 text of a receipt: 58 bytes are 80 characters padded.
pub const RECEIPT_BASE64_MAX_LEN: usize = 80;

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
    /// The receipt text is not base64.
    Base64(Base64Error),
}

impl ReceiptError {
    /// A stable code for this error (what the JavaScript `ReceiptError`
    /// carries as `code`).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongLength(_) => "invalid-receipt-length",
            Self::UnsupportedVersion(_) => "invalid-receipt-version",
            Self::BadHmac => "invalid-receipt-signature",
            Self::Base64(_) => "invalid-receipt-base64",
        }
    }
}

impl Text for ReceiptError {
    fn put(&self, out: &mut String) {
        match self {
            Self::WrongLength(len) => put!(out, "receipt is ", len, " bytes, expected 58"),
            Self::UnsupportedVersion(v) => put!(out, "unsupported receipt version ", v),
            Self::BadHmac => out.push_str("receipt HMAC does not match"),
            Self::Base64(e) => put!(out, "receipt is not base64: ", e),
        }
    }
}

display_via_text!(ReceiptError);

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

    /// Decodes a receipt from its base64 text (standard or URL-safe, padded
    /// or not) without checking its HMAC. Text longer than any receipt's is
    /// refused as [`ReceiptError::WrongLength`] before it is decoded.
    pub fn decode_base64(text: &str) -> Result<Self, ReceiptError> {
        Self::decode(&Self::bytes_of(text)?)
    }

    /// Decodes a receipt from its base64 text and checks its HMAC under
    /// `secret` in constant time.
    pub fn verify_base64(text: &str, secret: &[u8; 32]) -> Result<Self, ReceiptError> {
        Self::verify(&Self::bytes_of(text)?, secret)
    }

    fn bytes_of(text: &str) -> Result<Vec<u8>, ReceiptError> {
        if text.len() > RECEIPT_BASE64_MAX_LEN {
            // What it would decode to (at least), without decoding it.
            let body = text.trim_end_matches('=').len();
            return Err(ReceiptError::WrongLength(body / 4 * 3 + (body % 4) * 3 / 4));
        }
        base64::decode(text).map_err(ReceiptError::Base64)
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

    // vectors/receipts.json receipt_v1 and receipt_v1_b.
    const JS_RECEIPT_BASE64: &str =
        "AQAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAfTBIvoCUt67Zy1ZGCP3EOmVFtZzhc85fah8yPnoyL9RMA==";
    const RECEIPT_B_BASE64: &str =
        "AQABAgMEBQYHCAkKCwwNDg8BAAAAAAAAMDn5Xu7QNRbE42BlzHZeHGPYL23ZqQ8NM4oeVtueNaJujw==";

    #[test]
    fn verifies_base64_vectors() {
        let a = Receipt::verify_base64(JS_RECEIPT_BASE64, &[0; 32]).unwrap();
        assert_eq!((a.nonce, a.stream_id, a.total_received), ([0; 16], 1, 500));
        let secret: [u8; 32] = core::array::from_fn(|i| 0x20 + i as u8);
        let b = Receipt::verify_base64(RECEIPT_B_BASE64, &secret).unwrap();
        let nonce: [u8; 16] = core::array::from_fn(|i| i as u8);
        assert_eq!((b.nonce, b.stream_id, b.total_received), (nonce, 1, 12345));
        assert_eq!(
            Receipt::verify_base64(RECEIPT_B_BASE64, &[0; 32]),
            Err(ReceiptError::BadHmac)
        );
    }

    #[test]
    fn decode_base64_reads_the_nonce_without_the_secret() {
        let unpadded = JS_RECEIPT_BASE64.trim_end_matches('=');
        let url_safe = RECEIPT_B_BASE64.replace('+', "-").replace('/', "_");
        assert_eq!(
            Receipt::decode_base64(unpadded).unwrap().total_received,
            500
        );
        assert_eq!(
            Receipt::decode_base64(&url_safe).unwrap().total_received,
            12345
        );
    }

    #[test]
    fn refuses_bad_base64_text_with_codes() {
        let cases = [
            ("not base64!", "invalid-receipt-base64"),
            ("AQAB", "invalid-receipt-length"),
            ("", "invalid-receipt-length"),
        ];
        for (text, code) in cases {
            assert_eq!(
                Receipt::decode_base64(text).unwrap_err().code(),
                code,
                "{text}"
            );
        }
        for len in [57, 59, 60, 61, 100] {
            let text = base64::encode(&vec![1; len]);
            assert_eq!(
                Receipt::decode_base64(&text),
                Err(ReceiptError::WrongLength(len)),
                "{len} bytes, {} characters",
                text.len()
            );
        }
        let huge = "A".repeat(1 << 20);
        assert_eq!(
            Receipt::decode_base64(&huge),
            Err(ReceiptError::WrongLength(786_432))
        );
        let mut v2 = hex(JS_RECEIPT);
        v2[0] = 2;
        let v2 = base64::encode(&v2);
        assert_eq!(
            Receipt::decode_base64(&v2).unwrap_err().code(),
            "invalid-receipt-version"
        );
        assert_eq!(
            Receipt::verify_base64(JS_RECEIPT_BASE64, &[7; 32])
                .unwrap_err()
                .code(),
            "invalid-receipt-signature"
        );
    }

    #[test]
    fn decoded_receipt_re_encodes_identically() {
        let bytes = hex(JS_RECEIPT);
        assert_eq!(Receipt::decode(&bytes).unwrap().to_bytes().to_vec(), bytes);
    }
}
