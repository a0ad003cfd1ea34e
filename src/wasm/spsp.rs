//! The SPSP query (RFC 9) with the browser's `fetch`.
//!
//! Plain promise callbacks rather than `async`/`await`: this is the only
//! asynchronous step, and an executor (`wasm-bindgen-futures`) would cost
//! more code than the two callbacks it saves writing.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::Detail;
use crate::client::{ReceiverDetails, SpspFailure, SpspProblem};
use crate::ilp::OwnedAddress;
use crate::spsp::SpspResponse;
use crate::text::{join, Text};

#[wasm_bindgen]
extern "C" {
    /// A promise, seen only for its `then`.
    type Thenable;
    /// `promise.then(f)` with a plain function.
    #[wasm_bindgen(method, js_name = then)]
    fn then(this: &Thenable, f: &JsValue) -> JsValue;
}

/// The receiver's address and shared secret, or what went wrong.
pub(crate) type Answer = Result<ReceiverDetails, SpspFailure>;

fn failed(url: &str, problem: SpspProblem) -> Answer {
    Err(SpspFailure {
        url: url.to_owned(),
        problem,
    })
}

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `f` once `promise` settles, with its value or its rejection reason.
/// (`Promise.allSettled` never rejects, so exactly one function is needed
/// and it is always called once, which frees it.)
pub(crate) fn on_settled(promise: &Promise, f: impl FnOnce(Result<JsValue, JsValue>) + 'static) {
    let callback = Closure::once_into_js(move |results: JsValue| {
        let outcome = Reflect::get_u32(&results, 0).unwrap_or(JsValue::UNDEFINED);
        if field(&outcome, "status").as_string().as_deref() == Some("fulfilled") {
            f(Ok(field(&outcome, "value")));
        } else {
            f(Err(field(&outcome, "reason")));
        }
    });
    let settled = Promise::all_settled(&Array::of1(promise));
    let _ = settled.unchecked_ref::<Thenable>().then(&callback);
}

/// `AbortSignal.timeout(ms)`, where the platform has it.
fn timeout_signal(ms: u64) -> Option<JsValue> {
    let abort_signal = field(&js_sys::global(), "AbortSignal");
    let timeout: Function = field(&abort_signal, "timeout").dyn_into().ok()?;
    // ms <= 600,000 (checked with the options), exact as a JS number.
    timeout
        .call1(&abort_signal, &JsValue::from_f64(ms as f64))
        .ok()
}

/// Queries `url`, giving up after `timeout_ms`; `done` gets the receiver's
/// address and shared secret, or a message saying what went wrong. It is
/// always called, and never before this returns.
pub(crate) fn query(url: &str, timeout_ms: u64, done: impl FnOnce(Answer) + 'static) {
    let fetch: Function = match field(&js_sys::global(), "fetch").dyn_into() {
        Ok(fetch) => fetch,
        Err(_) => return later(done, failed(url, SpspProblem::NoFetch)),
    };
    let headers = Detail::new()
        .set("Accept", "application/spsp4+json, application/spsp+json")
        .into_js();
    let init = Detail::new()
        .set("headers", headers)
        .set("credentials", "omit")
        .set("cache", "no-cache")
        .set("redirect", "follow")
        .into_js();
    if let Some(signal) = timeout_signal(timeout_ms) {
        let _ = Reflect::set(&init, &JsValue::from_str("signal"), &signal);
    }
    let response = match fetch.call2(&JsValue::NULL, &JsValue::from_str(url), &init) {
        Ok(response) => Promise::from(response),
        Err(e) => return later(done, failed(url, SpspProblem::Unreachable(message_of(&e)))),
    };
    let url = url.to_owned();
    on_settled(&response, move |response| match response {
        Ok(response) => on_response(url, timeout_ms, &response, done),
        Err(e) => done(failed(&url, unreachable(timeout_ms, &e))),
    });
}

/// What a failed `fetch` means.
fn unreachable(timeout_ms: u64, error: &JsValue) -> SpspProblem {
    match field(error, "name").as_string().as_deref() {
        Some("TimeoutError" | "AbortError") => SpspProblem::Timeout(timeout_ms),
        // fetch gives the same TypeError for a network failure and for a
        // response the browser withholds because it lacks CORS headers.
        _ => SpspProblem::Unreachable(message_of(error)),
    }
}

fn on_response(
    url: String,
    timeout_ms: u64,
    response: &JsValue,
    done: impl FnOnce(Answer) + 'static,
) {
    let status = field(response, "status").as_f64().unwrap_or(0.0) as u16;
    if !(200..300).contains(&status) {
        return done(failed(&url, SpspProblem::Status(status)));
    }
    let json: Function = match field(response, "json").dyn_into() {
        Ok(json) => json,
        Err(_) => return done(failed(&url, SpspProblem::NotJson)),
    };
    let Ok(body) = json.call0(response) else {
        return done(failed(&url, SpspProblem::NotJson));
    };
    on_settled(&Promise::from(body), move |body| match body {
        Ok(body) => done(read_body(&url, &body)),
        Err(e)
            if matches!(
                field(&e, "name").as_string().as_deref(),
                Some("TimeoutError" | "AbortError")
            ) =>
        {
            done(failed(&url, unreachable(timeout_ms, &e)))
        }
        Err(_) => done(failed(&url, SpspProblem::NotJson)),
    });
}

fn read_body(url: &str, body: &JsValue) -> Answer {
    let destination = field(body, "destination_account")
        .as_string()
        .unwrap_or_default();
    let secret = field(body, "shared_secret").as_string().unwrap_or_default();
    let receipts = field(body, "receipts_enabled").as_bool();
    let invalid = |why: String| SpspFailure {
        url: url.to_owned(),
        problem: SpspProblem::Invalid(why),
    };
    let details = SpspResponse::from_fields(&destination, &secret, receipts)
        .map_err(|e| invalid(e.text()))?;
    let address = OwnedAddress::new(details.destination_account)
        .map_err(|e| invalid(join!("destination_account: ", e)))?;
    Ok(ReceiverDetails {
        destination: address,
        shared_secret: details.shared_secret,
    })
}

/// Calls `done` with `answer` from a microtask, as a settled promise would.
fn later(done: impl FnOnce(Answer) + 'static, answer: Answer) {
    on_settled(&Promise::resolve(&JsValue::UNDEFINED), move |_| {
        done(answer)
    });
}

fn message_of(error: &JsValue) -> String {
    field(error, "message")
        .as_string()
        .unwrap_or_else(|| "network error".to_owned())
}
