//! `PaymentStream` in headless Chromium against the reference stack under
//! the path conditions real peers impose (`shared/spec/peers.md`): a page
//! socket cut while the connector executes its packets (through the fault
//! proxy that drops replies), both receivers (ilp-protocol-stream, which
//! reports totals, and the stateless @interledger/stream-receiver, which
//! does not), a money-throughput limit, a balance limit without a max
//! packet, and receivers with a coarser asset scale. Every test checks the
//! receiver's own count, and prints its figures.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use ilp_stream_web::wasm::PaymentStream;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn env(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run the browser tests with `make test`"))
}
fn btp_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_BTP_URL"),
        "ILP_TEST_STACK_BTP_URL",
    )
}
fn proxy_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_PROXY_BTP_URL"),
        "ILP_TEST_STACK_PROXY_BTP_URL",
    )
}
fn http_url() -> &'static str {
    env(
        option_env!("ILP_TEST_STACK_HTTP_URL"),
        "ILP_TEST_STACK_HTTP_URL",
    )
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}
fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string in {v:?}"))
}
fn amount(v: &JsValue, key: &str) -> u64 {
    get_str(v, key).parse().unwrap()
}

async fn fetch_json(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).unwrap();
    if let Some(body) = body {
        Reflect::set(&init, &"body".into(), &body.into()).unwrap();
    }
    let fetch: js_sys::Function = get(&js_sys::global(), "fetch").unchecked_into();
    let url = format!("{}{path}", http_url());
    let response = fetch.call2(&JsValue::NULL, &url.into(), &init).unwrap();
    let response = JsFuture::from(Promise::from(response)).await.unwrap();
    let json: js_sys::Function = get(&response, "json").unchecked_into();
    JsFuture::from(Promise::from(json.call0(&response).unwrap()))
        .await
        .unwrap()
}

async fn reset(config: &str) {
    fetch_json("POST", "/control/reset", None).await;
    fetch_json("POST", "/control/config", Some(config)).await;
}

/// What receiver `key` (`stream`, `stateless`, `scale6`, `scale0`) got, in its units.
async fn received(key: &str) -> u64 {
    let totals = fetch_json("GET", "/control/totals", None).await;
    amount(&get(&get(&totals, "receivers"), key), "totalReceived")
}

/// Milliseconds since the Unix epoch (a whole number).
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn stream(btp: &str, receiver_path: &str, amount_per_second: &str) -> PaymentStream {
    let o = Object::new();
    for (k, v) in [
        ("btp", btp.to_owned()),
        ("receiver", format!("{}{receiver_path}", http_url())),
        ("amountPerSecond", amount_per_second.to_owned()),
    ] {
        Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(&v)).unwrap();
    }
    PaymentStream::new(JsValue::from(o).unchecked_ref()).unwrap()
}

fn collect(s: &PaymentStream, kind: &str) -> Rc<RefCell<Vec<JsValue>>> {
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

async fn wait(p: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(p.into())).await
}

fn code_of(error: &JsValue) -> String {
    get(error, "code")
        .as_string()
        .unwrap_or_else(|| format!("no code on {error:?}"))
}

/// `pay(3,000,000)` through the fault proxy: once ~30 replies were dropped
/// (the connector executed those packets), the page's socket is cut; the
/// SDK reconnects through the proxy and finishes.
async fn cut_mid_pay(receiver: &str) -> (u64, u64, u64, u64, u64) {
    reset(r#"{"maxPacketAmount":10000}"#).await;
    let s = stream(proxy_url(), &format!("/{receiver}"), "0");
    wait(s.start()).await.expect("start");
    fetch_json(
        "POST",
        "/control/proxy",
        Some(r#"{"dropAfter":40,"cutAfterDropped":30}"#),
    )
    .await;
    let started = now_ms();
    let result = wait(s.pay(JsValue::from_str("3000000").unchecked_ref()))
        .await
        .expect("pay() finishes after the cut");
    let took = now_ms() - started;
    let proxy = fetch_json("GET", "/control/proxy", None).await;
    assert!(
        get(&proxy, "cuts").as_f64().unwrap() >= 1.0,
        "the proxy cut the socket"
    );
    assert!(get(&proxy, "droppedFulfills").as_f64().unwrap() >= 1.0);
    let (sent, delivered, in_doubt) = (
        amount(&result, "sent"),
        amount(&result, "delivered"),
        amount(&result, "inDoubt"),
    );
    wait(s.stop()).await.unwrap();
    let got = received(receiver).await;
    console_log!(
        "cut mid-pay, {receiver}: receiver {got}, sent {sent}, delivered {delivered}, inDoubt {in_doubt}, totalDelivered {}, {took} ms",
        s.total_delivered()
    );
    assert_eq!(sent + in_doubt, 3_000_000, "sent + inDoubt is the amount");
    assert!(got <= 3_000_000, "the receiver got {got}: paid twice");
    assert!(got >= sent, "counted {sent} but the receiver got {got}");
    assert!(got <= sent + in_doubt);
    (
        got,
        sent,
        in_doubt,
        s.total_delivered().parse().unwrap(),
        took,
    )
}

#[wasm_bindgen_test]
async fn a_socket_cut_mid_pay_never_pays_twice_and_the_receivers_total_resolves_it() {
    let (got, sent, in_doubt, delivered, _) = cut_mid_pay("stream").await;
    assert_eq!(in_doubt, 0, "ilp-protocol-stream reports its total");
    assert_eq!(sent, 3_000_000);
    assert_eq!(delivered, got, "totalDelivered equals the receiver's total");
}

#[wasm_bindgen_test]
async fn a_socket_cut_mid_pay_leaves_money_in_doubt_with_a_stateless_receiver() {
    let (got, sent, in_doubt, delivered, _) = cut_mid_pay("stateless").await;
    assert!(in_doubt > 0, "the stateless receiver reports nothing");
    assert!(delivered <= got);
    assert!(sent < got || in_doubt == 0);
}

#[wasm_bindgen_test]
async fn a_money_throughput_limit_slows_pay_down_and_it_finishes() {
    reset(r#"{"throughput":{"incomingAmount":"1000000","refillPeriod":1000}}"#).await;
    let s = stream(btp_url(), "/stream", "0");
    wait(s.start()).await.expect("start");
    let started = now_ms();
    let result = wait(s.pay(JsValue::from_str("5000000").unchecked_ref()))
        .await
        .expect("pay() finishes on a throttled path");
    let took = now_ms() - started;
    let got = received("stream").await;
    console_log!(
        "throughput 1,000,000/s, pay(5,000,000): receiver {got}, sent {}, delivered {}, {took} ms",
        get_str(&result, "sent"),
        get_str(&result, "delivered")
    );
    assert_eq!(amount(&result, "sent"), 5_000_000);
    assert_eq!(got, 5_000_000);
    assert!(
        took >= 3_000,
        "the bucket refills at 1,000,000/s: {took} ms"
    );
    wait(s.stop()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_paced_stream_above_the_throughput_keeps_going_and_pause_stops_it() {
    reset(
        r#"{"maxPacketAmount":10000,"throughput":{"incomingAmount":"200000","refillPeriod":1000}}"#,
    )
    .await;
    let s = stream(btp_url(), "/stream", "1000000");
    let throttled = collect(&s, "throttled");
    wait(s.start()).await.expect("start");
    TimeoutFuture::new(6_000).await;
    let at_6s = received("stream").await;
    assert_eq!(
        JsValue::from(s.state()).as_string().as_deref(),
        Some("streaming"),
        "the stream keeps going"
    );
    assert!(s.throttled(), "the page is told");
    let events = throttled.borrow().clone();
    let first = events.first().expect("a throttled event");
    assert!(get(first, "throttled").as_bool().unwrap());
    // ~200,000 per second (the bucket starts full).
    assert!(
        (800_000..=1_600_000).contains(&at_6s),
        "receiver got {at_6s} in 6 s"
    );
    s.pause().unwrap();
    TimeoutFuture::new(1_000).await;
    let paused = received("stream").await;
    TimeoutFuture::new(2_000).await;
    let later = received("stream").await;
    console_log!(
        "throughput 200,000/s at 1,000,000/s paced: receiver {at_6s} after 6 s, achieved {}/s; paused at {paused}, 2 s later {later}",
        get_str(first, "achievedPerSecond")
    );
    assert_eq!(later, paused, "money arrived after pause()");
    wait(s.stop()).await.unwrap();
    assert_eq!(
        received("stream").await,
        s.total_delivered().parse::<u64>().unwrap()
    );
}

#[wasm_bindgen_test]
async fn a_balance_limit_without_a_max_packet_delivers_the_credit_then_fails() {
    reset(r#"{"balanceMax":"50000"}"#).await;
    let s = stream(btp_url(), "/stream", "0");
    wait(s.start()).await.expect("start");
    let started = now_ms();
    let err = wait(s.pay(JsValue::from_str("100000").unchecked_ref()))
        .await
        .expect_err("more than the credit");
    let took = now_ms() - started;
    let got = received("stream").await;
    console_log!(
        "balance maximum 50,000, pay(100,000): receiver {got}, totalSent {}, totalDelivered {}, {} after {took} ms",
        s.total_sent(),
        s.total_delivered(),
        code_of(&err)
    );
    assert_eq!(code_of(&err), "insufficient-liquidity");
    assert!((45_000..=50_000).contains(&got), "receiver got {got}");
    assert_eq!(s.total_delivered().parse::<u64>().unwrap(), got);
}

#[wasm_bindgen_test]
async fn a_rate_too_low_for_a_coarse_receiver_fails_start_at_once() {
    for (receiver, rate) in [("scale6", "1"), ("scale0", "1000")] {
        reset("{}").await;
        let s = stream(btp_url(), &format!("/{receiver}"), rate);
        let started = now_ms();
        let err = wait(s.start()).await.expect_err("rate too low");
        let took = now_ms() - started;
        let message = get_str(&err, "message");
        console_log!(
            "{receiver} at {rate}/s: {} in {took} ms: {message}",
            code_of(&err)
        );
        assert_eq!(code_of(&err), "rate-too-low");
        assert!(message.contains("amountPerSecond of at least"), "{message}");
        assert!(took < 10_000, "took {took} ms");
        assert_eq!(received(receiver).await, 0);
    }
}

#[wasm_bindgen_test]
async fn a_coarse_receiver_is_paid_whole_units() {
    reset("{}").await;
    let s = stream(btp_url(), "/scale6", "2000");
    let progress = collect(&s, "progress");
    wait(s.start()).await.expect("start");
    TimeoutFuture::new(4_000).await;
    wait(s.stop()).await.unwrap();
    let got = received("scale6").await;
    console_log!(
        "scale 6 at 2000/s for 4 s: receiver {got} (scale 6), totalSent {}, totalDelivered {}",
        s.total_sent(),
        s.total_delivered()
    );
    assert!(got >= 4, "receiver got {got}");
    assert_eq!(s.total_delivered().parse::<u64>().unwrap(), got);
    let last = progress.borrow().last().cloned().expect("progress");
    assert_eq!(get(&last, "receiverAssetScale").as_f64(), Some(6.0));
    assert_eq!(get(&last, "assetScale").as_f64(), Some(9.0));
}
