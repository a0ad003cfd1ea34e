//! The SPSP query (RFC 9) with the browser's `fetch`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::convert::Detail;
use crate::ilp::OwnedAddress;
use crate::spsp::SpspResponse;

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Queries `url` and returns the receiver's address and shared secret, or a
/// message saying what went wrong.
pub(crate) async fn query(url: &str) -> Result<(OwnedAddress, [u8; 32]), String> {
    let fetch: Function = field(&js_sys::global(), "fetch")
        .dyn_into()
        .map_err(|_| "this environment has no fetch()".to_owned())?;
    let headers = Detail::new()
        .set("Accept", "application/spsp4+json, application/spsp+json")
        .into_js();
    let init = Detail::new()
        .set("headers", headers)
        .set("credentials", "omit")
        .set("cache", "no-cache")
        .set("redirect", "follow")
        .into_js();
    let response = fetch
        .call2(&JsValue::NULL, &JsValue::from_str(url), &init)
        .map_err(|_| format!("could not query {url}"))?;
    let response = JsFuture::from(Promise::from(response))
        .await
        .map_err(|e| format!("could not reach {url}: {}", message_of(&e)))?;
    let status = field(&response, "status").as_f64().unwrap_or(0.0) as u16;
    if !(200..300).contains(&status) {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let json: Function = field(&response, "json")
        .dyn_into()
        .map_err(|_| "not a fetch Response".to_owned())?;
    let body = json
        .call0(&response)
        .map_err(|_| format!("{url} did not answer JSON"))?;
    let body = JsFuture::from(Promise::from(body))
        .await
        .map_err(|_| format!("{url} did not answer JSON"))?;
    let destination = field(&body, "destination_account")
        .as_string()
        .unwrap_or_default();
    let secret = field(&body, "shared_secret")
        .as_string()
        .unwrap_or_default();
    let receipts = field(&body, "receipts_enabled").as_bool();
    let details = SpspResponse::from_fields(&destination, &secret, receipts)
        .map_err(|e| format!("{url} gave an invalid SPSP response: {e}"))?;
    let address = OwnedAddress::new(details.destination_account)
        .map_err(|e| format!("{url} gave an invalid destination_account: {e}"))?;
    Ok((address, details.shared_secret))
}

fn message_of(error: &JsValue) -> String {
    field(error, "message")
        .as_string()
        .unwrap_or_else(|| "network error".to_owned())
}
