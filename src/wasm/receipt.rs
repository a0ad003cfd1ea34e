//! STREAM receipts (RFC 39) for a publisher's server: the checks of
//! [`Receipt`], exported as two functions the JavaScript `ReceiptVerifier`
//! (`js/receipts.js`) calls around its store, and the SPSP URL of a receiver.
//!
//! Only translation: text in, a plain object or a `ReceiptError` out.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::{coded_error, Detail};
use crate::receipt::{Receipt, ReceiptError};
use crate::spsp::{base64, Endpoint};
use crate::text::{join, Text};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A receipt's fields, from {@link decodeReceipt} or {@link verifyReceipt}. */
export interface ReceiptFields {
  /** The receipt nonce, base64 of 16 bytes. */
  nonce: string;
  /** The stream the money arrived on (0–255). */
  streamId: number;
  /** Total received on that stream so far, in receiver units. */
  totalReceived: bigint;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `ReceiptFields` in TypeScript.
    #[wasm_bindgen(typescript_type = "ReceiptFields")]
    pub type ReceiptFields;
}

/// A JavaScript `Error` named `ReceiptError` with a stable `code`.
fn error(code: &str, message: &str) -> JsValue {
    coded_error("ReceiptError", code, message)
}

fn receipt_error(e: ReceiptError) -> JsValue {
    error(e.code(), &e.text())
}

fn fields(r: &Receipt) -> ReceiptFields {
    Detail::new()
        .set("nonce", base64::encode(&r.nonce))
        .set("streamId", r.stream_id)
        .set("totalReceived", r.total_received)
        .into_js()
        .unchecked_into()
}

/// Reads a receipt from its base64 text without checking its HMAC (so the
/// verifier can look up the secret of its nonce). Throws a `ReceiptError`
/// with `code` `invalid-receipt-base64`, `invalid-receipt-length` or
/// `invalid-receipt-version`.
#[wasm_bindgen(js_name = decodeReceipt)]
pub fn decode_receipt(receipt: &str) -> Result<ReceiptFields, JsValue> {
    Receipt::decode_base64(receipt)
        .map(|r| fields(&r))
        .map_err(receipt_error)
}

/// Checks a receipt (base64 text) against its secret (base64 of 32 bytes):
/// length, version, then the HMAC in constant time. Throws a `ReceiptError`
/// as `decodeReceipt` does, `invalid-receipt-signature` for a wrong HMAC,
/// or `invalid-receipt-secret` when `secret` is not base64 of 32 bytes.
#[wasm_bindgen(js_name = verifyReceipt)]
pub fn verify_receipt(receipt: &str, secret: &str) -> Result<ReceiptFields, JsValue> {
    let secret = base64::decode(secret)
        .ok()
        .and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
        .ok_or_else(|| {
            error(
                "invalid-receipt-secret",
                "the secret is not base64 of 32 bytes",
            )
        })?;
    Receipt::verify_base64(receipt, &secret)
        .map(|r| fields(&r))
        .map_err(receipt_error)
}

/// The SPSP URL of a payment pointer (`$wallet.example/bob` →
/// `https://wallet.example/bob`) or SPSP URL (`https://…`; `http://` only
/// for localhost), as `PaymentStream` resolves it. Throws a `ReceiptError`
/// with `code` `invalid-receiver` naming what is wrong.
#[wasm_bindgen(js_name = spspUrl)]
pub fn spsp_url(receiver: &str) -> Result<String, JsValue> {
    Endpoint::parse(receiver)
        .map(|e| e.url().to_owned())
        .map_err(|e| error("invalid-receiver", &join!("receiver ", e)))
}
