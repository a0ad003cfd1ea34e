//! What the browser tests share: the reference stack's URLs (set by
//! `make test` from its ready line), JS object access, the stack's control
//! API, and promise helpers. Each test file uses a part of it.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::rc::Rc;

use ilp_stream_web::wasm::PaymentStream;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn env(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run the browser tests with `make test`"))
}

/// The BTP URL of the known user, straight to the connector.
pub fn btp_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_BTP_URL"),
        "ILP_TEST_STACK_BTP_URL",
    )
}

/// The connector's BTP URL without credentials.
pub fn btp_base() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_BTP_BASE_URL"),
        "ILP_TEST_STACK_BTP_BASE_URL",
    )
}

/// The known user's BTP URL through the fault proxy.
pub fn proxy_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_PROXY_BTP_URL"),
        "ILP_TEST_STACK_PROXY_BTP_URL",
    )
}

/// The stack's HTTP server (SPSP and control API).
pub fn http_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_HTTP_URL"),
        "ILP_TEST_STACK_HTTP_URL",
    )
}

/// The stack's control API token (`Authorization: Bearer …` on every control request).
pub fn control_token() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_CONTROL_TOKEN"),
        "ILP_TEST_STACK_CONTROL_TOKEN",
    )
}

/// The default receiver's SPSP URL.
pub fn pointer_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_PAYMENT_POINTER_URL"),
        "ILP_TEST_STACK_PAYMENT_POINTER_URL",
    )
}

/// The SPSP URL of receiver `receiver` (`""`: the default one).
pub fn pointer(receiver: &str) -> String {
    if receiver.is_empty() {
        format!("{}/.well-known/pay", http_url())
    } else {
        format!("{}/{receiver}", http_url())
    }
}

/// `v[key]`.
pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

/// `v[key]`, a string.
pub fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string on {v:?}"))
}

/// `v[key]`, a decimal string.
pub fn get_u64(v: &JsValue, key: &str) -> u64 {
    get_str(v, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a decimal integer on {v:?}"))
}

/// A plain object of `pairs`.
pub fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// Awaits a promise.
pub async fn wait(p: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(p.into())).await
}

/// `(status, json)` of a control API request.
pub async fn fetch_status_json(method: &str, path: &str, body: Option<&str>) -> (u16, JsValue) {
    let headers = options(&[(
        "authorization",
        format!("Bearer {}", control_token()).into(),
    )]);
    let init = options(&[("method", method.into()), ("headers", headers)]);
    if let Some(body) = body {
        Reflect::set(&init, &"body".into(), &body.into()).unwrap();
    }
    let fetch: Function = get(&js_sys::global(), "fetch").unchecked_into();
    let url = format!("{}{path}", http_url());
    let response = wait(fetch.call2(&JsValue::NULL, &url.into(), &init).unwrap())
        .await
        .unwrap();
    // HTTP statuses fit in u16.
    let status = get(&response, "status").as_f64().unwrap() as u16;
    let json: Function = get(&response, "json").unchecked_into();
    (status, wait(json.call0(&response).unwrap()).await.unwrap())
}

/// The json of a control API request, which must succeed.
pub async fn fetch_json(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let (status, json) = fetch_status_json(method, path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: HTTP {status}"
    );
    json
}

/// Resets the stack (receivers, proxy, connector account) and applies `config`.
pub async fn reset(config: &str) {
    fetch_json("POST", "/control/reset", None).await;
    fetch_json("POST", "/control/config", Some(config)).await;
}

/// What receiver `key` (`stream`, `stateless`, `scale6`, `scale0`) got in
/// total, in its own units: its own count, not the sender's.
pub async fn received_by(key: &str) -> u64 {
    let totals = fetch_json("GET", "/control/totals", None).await;
    get_u64(&get(&get(&totals, "receivers"), key), "totalReceived")
}

/// The `code` of a `PaymentStreamError`.
pub fn code_of(error: &JsValue) -> String {
    get(error, "code")
        .as_string()
        .unwrap_or_else(|| format!("no code on {error:?}"))
}

/// Milliseconds since the Unix epoch (a whole number).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Collects the `detail` of every `kind` event of `s`.
pub fn collect(s: &PaymentStream, kind: &str) -> Rc<RefCell<Vec<JsValue>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            sink.borrow_mut().push(e.detail());
        });
    s.add_event_listener(kind, listener.as_ref().unchecked_ref(), None)
        .unwrap();
    listener.forget(); // lives as long as the test page
    seen
}
