//! Rust values to JavaScript values: event details, errors, amounts.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::amount::format_ratio;
use crate::client::{Client, ClientError, Event, Stats};
use crate::spsp::base64;
use crate::stream::connection::RejectReason;
use crate::text::{decimal, Text};

/// A plain object built field by field.
pub(crate) struct Detail(Object);

impl Detail {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    pub(crate) fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    /// An amount, as a decimal string.
    pub(crate) fn amount(self, key: &str, value: u64) -> Self {
        self.set(key, decimal(value))
    }

    pub(crate) fn into_js(self) -> JsValue {
        self.0.into()
    }
}

/// Whether an error of a shell-made `code` may go away by itself.
fn retryable(code: &str) -> bool {
    matches!(code, "spsp-failed" | "btp-connect-failed")
}

/// Sets the fields every error and `error` detail carry: `code`,
/// `retryable`, and, where an ILP reject caused it, `ilpCode`, `ilpMessage`
/// and `triggeredBy` (the rejecting node's address, or null).
fn error_fields(target: &JsValue, code: &str, retryable: bool, reject: Option<&RejectReason>) {
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh Error or object cannot fail.
        let _ = Reflect::set(target, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(code));
    set("retryable", JsValue::from_bool(retryable));
    if let Some(r) = reject {
        set("ilpCode", JsValue::from_str(&crate::text::lossy(&r.code.0)));
        set("ilpMessage", JsValue::from_str(&r.message));
        set(
            "triggeredBy",
            optional(r.triggered_by.as_ref().map(|a| a.as_str())),
        );
    }
}

fn js_error(message: &str) -> JsValue {
    named_error("PaymentStreamError", message)
}

/// A JavaScript `Error` with this `name` and `message`.
fn named_error(name: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name(name);
    e.into()
}

/// A JavaScript `Error` with this `name` and a stable `code` (and nothing
/// else: for errors of other families, such as `ReceiptError`).
pub(crate) fn coded_error(name: &str, code: &str, message: &str) -> JsValue {
    let e = named_error(name, message);
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&e, &JsValue::from_str("code"), &JsValue::from_str(code));
    e
}

/// A JavaScript `Error` named `PaymentStreamError` with a stable `code`,
/// for errors the shell itself finds (options, state, SPSP).
pub(crate) fn error(code: &str, message: &str) -> JsValue {
    let e = js_error(message);
    error_fields(&e, code, retryable(code), None);
    e
}

/// A [`ClientError`] as a JavaScript error.
pub(crate) fn client_error(e: &ClientError) -> JsValue {
    let js = js_error(&e.text());
    error_fields(&js, e.code(), e.retryable(), e.reject());
    js
}

/// The detail of an `error` event for a [`ClientError`]: the same fields
/// as the error object.
fn client_error_detail(e: &ClientError) -> JsValue {
    let d = Detail::new().set("message", e.text()).into_js();
    error_fields(&d, e.code(), e.retryable(), e.reject());
    d
}

fn optional<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map_or(JsValue::NULL, Into::into)
}

/// Our asset and the receiver's, as far as they are known (borrowed from
/// the client: no copy per event).
pub(crate) struct Assets<'a> {
    code: &'a str,
    scale: u8,
    receiver: Option<(&'a str, u8)>,
}

impl<'a> Assets<'a> {
    pub(crate) fn of(client: &'a Client) -> Self {
        let (code, scale) = client
            .source()
            .map_or(("", 0), |s| (s.asset_code.as_str(), s.asset_scale));
        let receiver = client.sender().receiver_asset();
        Self {
            code,
            scale,
            receiver,
        }
    }
}

/// The DOM event name of a client event, if the page sees it as one.
pub(crate) fn name(event: &Event) -> Option<&'static str> {
    Some(match event {
        Event::Started { .. } => "start",
        Event::Progress { .. } => "progress",
        Event::Stopped { .. } => "stop",
        Event::Throttled { .. } => "throttled",
        Event::Error(_) => "error",
        Event::StateChanged(_) => "statechange",
        _ => return None,
    })
}

/// The `detail` of the DOM event [`name`] gives for a client event.
pub(crate) fn detail(event: &Event, assets: Option<&Assets<'_>>) -> Option<JsValue> {
    let (code, scale) = assets.map_or(("", 0), |a| (a.code, a.scale));
    let receiver = assets.and_then(|a| a.receiver);
    match event {
        Event::Started {
            asset_code,
            asset_scale,
            receiver_asset_code,
            receiver_asset_scale,
            destination_account,
        } => Some(
            Detail::new()
                .set("assetCode", asset_code.as_str())
                .set("assetScale", *asset_scale)
                .set(
                    "receiverAssetCode",
                    optional(receiver_asset_code.as_deref()),
                )
                .set("receiverAssetScale", optional(*receiver_asset_scale))
                .set("destinationAccount", destination_account.as_str())
                .into_js(),
        ),
        Event::Progress {
            amount_sent,
            total_sent,
            amount_delivered,
            total_delivered,
            amount_in_doubt,
            total_in_doubt,
            receipt,
        } => Some(
            Detail::new()
                .amount("amountSent", *amount_sent)
                .amount("totalSent", *total_sent)
                .amount("amountDelivered", *amount_delivered)
                .amount("totalDelivered", *total_delivered)
                .amount("amountInDoubt", *amount_in_doubt)
                .amount("totalInDoubt", *total_in_doubt)
                .set("assetCode", code)
                .set("assetScale", scale)
                .set("receiverAssetCode", optional(receiver.map(|r| r.0)))
                .set("receiverAssetScale", optional(receiver.map(|r| r.1)))
                .set("receipt", optional(receipt.as_deref().map(base64::encode)))
                .into_js(),
        ),
        Event::Stopped {
            reason,
            total_sent,
            total_delivered,
            total_in_doubt,
            ..
        } => Some(
            Detail::new()
                .set("reason", reason.as_str())
                .amount("totalSent", *total_sent)
                .amount("totalDelivered", *total_delivered)
                .amount("totalInDoubt", *total_in_doubt)
                .into_js(),
        ),
        Event::Throttled {
            throttled,
            achieved_per_second,
        } => Some(
            Detail::new()
                .set("throttled", *throttled)
                .amount("achievedPerSecond", *achieved_per_second)
                .into_js(),
        ),
        Event::Error(e) => Some(client_error_detail(e)),
        Event::StateChanged(state) => Some(Detail::new().set("state", state.as_str()).into_js()),
        _ => None,
    }
}

/// `s.stats` as a plain object (see `PaymentStreamStats`).
pub(crate) fn stats(stats: Option<&Stats>) -> JsValue {
    let rejected = Object::new();
    let Some(s) = stats else {
        return Detail::new()
            .set("rttMs", JsValue::NULL)
            .set("packetsInFlight", 0)
            .set("packetsFulfilled", 0)
            .set("packetsRejected", rejected)
            .set("exchangeRate", JsValue::NULL)
            .set("maxPacketAmount", JsValue::NULL)
            .set("window", 0)
            .set("reconnects", 0)
            .set("throttled", false)
            .into_js();
    };
    for (code, n) in &s.packets_rejected {
        let _ = Reflect::set(
            &rejected,
            &JsValue::from_str(&crate::text::lossy(&code.0)),
            // Counts stay far below 2^53.
            &JsValue::from_f64(*n as f64),
        );
    }
    let rate = s
        .rate
        .map_or(JsValue::NULL, |((lo_n, lo_d), (hi_n, hi_d))| {
            Detail::new()
                .set("min", format_ratio(u128::from(lo_n), lo_d, 9))
                .set("max", format_ratio(hi_n, hi_d, 9))
                .into_js()
        });
    Detail::new()
        .set("rttMs", optional(s.rtt_ms.map(|ms| ms as f64)))
        .set("packetsInFlight", s.packets_in_flight as f64)
        .set("packetsFulfilled", s.packets_fulfilled as f64)
        .set("packetsRejected", rejected)
        .set("exchangeRate", rate)
        .set(
            "maxPacketAmount",
            optional(s.max_packet_amount.map(decimal)),
        )
        .set("window", s.window)
        .set("reconnects", s.reconnects)
        .set("throttled", s.throttled)
        .into_js()
}
