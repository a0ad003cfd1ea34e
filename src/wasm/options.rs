//! The `PaymentStream` constructor options, checked before anything connects.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::amount::{parse_amount, parse_ratio_ppm};
use crate::btp::url::BtpUrl;
use crate::ilp::OwnedAddress;
use crate::spsp::{Endpoint, SpspResponse};

use super::convert::error;
use crate::text::{join, Text};

/// Where the money goes: an SPSP endpoint to query, or details given directly.
pub(crate) enum Receiver {
    Spsp(Endpoint),
    Direct {
        destination: OwnedAddress,
        shared_secret: [u8; 32],
    },
}

/// Validated options.
pub(crate) struct Options {
    pub(crate) btp: BtpUrl,
    pub(crate) receiver: Receiver,
    pub(crate) amount_per_second: u64,
    pub(crate) max_total: Option<u64>,
    pub(crate) slippage_ppm: u32,
    /// WebSocket open + BTP auth + IL-DCP, and the SPSP query, in ms.
    pub(crate) connect_timeout_ms: u64,
    /// The `WebSocket` constructor to use instead of the global one.
    pub(crate) websocket: Option<Function>,
}

/// The largest `connectTimeout` accepted: 10 minutes.
const MAX_CONNECT_TIMEOUT_MS: u64 = 600_000;

const KNOWN: [&str; 9] = [
    "btp",
    "receiver",
    "destinationAccount",
    "sharedSecret",
    "amountPerSecond",
    "maxTotal",
    "slippage",
    "connectTimeout",
    "WebSocket",
];

/// An `invalid-option` error naming the option.
pub(crate) fn invalid(option: &str, why: &str) -> JsValue {
    error("invalid-option", &join!("option `", option, "` ", why))
}

fn get(options: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(options, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn string(options: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    match get(options, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid(key, "must be a string")),
    }
}

/// An amount given as a decimal string, a `BigInt`, or a safe integer.
pub(crate) fn amount_value(value: &JsValue, key: &str) -> Result<u64, JsValue> {
    let text = if let Some(s) = value.as_string() {
        s
    } else if let Some(big) = value.dyn_ref::<js_sys::BigInt>() {
        // Negative BigInts keep their sign in the text and are refused below.
        big.to_string(10)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    } else if let Some(n) = value.as_f64() {
        if !js_sys::Number::is_safe_integer(value) {
            return Err(invalid(
                key,
                "must be an integer string or BigInt (numbers lose precision)",
            ));
        }
        number_text(n)
    } else {
        return Err(invalid(key, "must be an integer string or BigInt"));
    };
    parse_amount(&text).map_err(|e| invalid(key, &e.text()))
}

/// A number's decimal text, as JavaScript's `String(n)` writes it.
fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

impl Options {
    /// Checks every option; the first problem found is the error.
    pub(crate) fn parse(options: &JsValue) -> Result<Self, JsValue> {
        let object: &Object = options
            .dyn_ref::<Object>()
            .filter(|_| options.is_object())
            .ok_or_else(|| error("invalid-option", "PaymentStream needs an options object"))?;
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !KNOWN.contains(&key.as_str()) {
                return Err(invalid(
                    &key,
                    &join!(
                        "is not a PaymentStream option (known: ",
                        KNOWN.join(", "),
                        ")",
                    ),
                ));
            }
        }

        let btp = string(options, "btp")?
            .ok_or_else(|| invalid("btp", "is required (e.g. btp+wss://user:token@host)"))?;
        let btp = BtpUrl::parse(&btp).map_err(|e| invalid("btp", &e.text()))?;

        let receiver = match (
            string(options, "receiver")?,
            string(options, "destinationAccount")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "receiver",
                    "cannot be combined with destinationAccount",
                ))
            }
            (Some(r), None) => {
                if get(options, "sharedSecret").is_some() {
                    return Err(invalid(
                        "sharedSecret",
                        "goes with destinationAccount, not with receiver",
                    ));
                }
                Receiver::Spsp(Endpoint::parse(&r).map_err(|e| invalid("receiver", &e.text()))?)
            }
            (None, Some(destination)) => {
                let secret = string(options, "sharedSecret")?.ok_or_else(|| {
                    invalid("sharedSecret", "is required with destinationAccount")
                })?;
                // Check the address first, so each problem names its own option.
                let destination = OwnedAddress::new(destination)
                    .map_err(|e| invalid("destinationAccount", &e.text()))?;
                let details = SpspResponse::from_fields(destination.as_str(), &secret, None)
                    .map_err(|e| invalid("sharedSecret", &e.text()))?;
                Receiver::Direct {
                    destination,
                    shared_secret: details.shared_secret,
                }
            }
            (None, None) => {
                return Err(invalid(
                    "receiver",
                    "is required: a payment pointer ($wallet.example/bob) or SPSP URL",
                ));
            }
        };

        let amount_per_second = match get(options, "amountPerSecond") {
            Some(v) => amount_value(&v, "amountPerSecond")?,
            None => {
                return Err(invalid(
                    "amountPerSecond",
                    "is required (source units per second, e.g. '100000')",
                ))
            }
        };
        let max_total = get(options, "maxTotal")
            .map(|v| amount_value(&v, "maxTotal"))
            .transpose()?;
        let slippage_ppm = match get(options, "slippage") {
            None => 10_000,
            Some(v) => {
                let text = if let Some(s) = v.as_string() {
                    s
                } else if let Some(n) = v.as_f64() {
                    number_text(n)
                } else {
                    return Err(invalid(
                        "slippage",
                        "must be a number from 0 to less than 1 (0.01 = 1%)",
                    ));
                };
                parse_ratio_ppm(&text).map_err(|e| invalid("slippage", &e.text()))?
            }
        };
        let connect_timeout_ms = match get(options, "connectTimeout") {
            None => crate::client::DEFAULT_CONNECT_TIMEOUT_MS,
            Some(v) => amount_value(&v, "connectTimeout")
                .ok()
                .filter(|ms| (1..=MAX_CONNECT_TIMEOUT_MS).contains(ms))
                .ok_or_else(|| {
                    invalid(
                        "connectTimeout",
                        "must be a whole number of milliseconds from 1 to 600000",
                    )
                })?,
        };
        let websocket = get(options, "WebSocket")
            .map(|v| constructor(&v).ok_or_else(|| invalid("WebSocket", NOT_A_CONSTRUCTOR)))
            .transpose()?;
        Ok(Self {
            btp,
            receiver,
            amount_per_second,
            max_total,
            slippage_ppm,
            connect_timeout_ms,
            websocket,
        })
    }
}

const NOT_A_CONSTRUCTOR: &str =
    "must be a WebSocket constructor (e.g. `import WebSocket from 'ws'` on Node.js before 22)";

/// `value` if it can be called with `new`. `Reflect.construct` with it as
/// `newTarget` throws exactly when it is not a constructor; the object made
/// is a plain `Object`, so `value` itself is not called.
fn constructor(value: &JsValue) -> Option<Function> {
    let f = value.dyn_ref::<Function>()?;
    let object = Object::new().constructor();
    Reflect::construct_with_new_target(&object, &Array::new(), f).ok()?;
    Some(f.clone())
}
