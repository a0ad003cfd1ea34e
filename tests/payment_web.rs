//! `PaymentStream` in headless Chromium against the reference Interledger
//! stack (`network/stack.mjs`: ilp-connector + mini-accounts +
//! ilp-protocol-stream), started by `make test`.
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
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "web_support/mod.rs"]
mod web_support;
#[allow(unused_imports)]
use web_support::*;

/// What the receiver got in total (all connections), in its units.
async fn receiver_total() -> u64 {
    let totals = fetch_json("GET", "/control/totals", None).await;
    get_str(&totals, "totalReceived").parse().unwrap()
}

async fn receiver_data_length() -> u64 {
    let totals = fetch_json("GET", "/control/totals", None).await;
    get(&totals, "dataLength").as_f64().unwrap() as u64
}

fn stream(pairs: &[(&str, JsValue)]) -> Result<PaymentStream, JsValue> {
    PaymentStream::new(options(pairs).unchecked_ref())
}

fn default_stream(amount_per_second: &str) -> PaymentStream {
    stream(&[
        ("btp", btp_url().into()),
        ("receiver", pointer_url().into()),
        ("amountPerSecond", amount_per_second.into()),
    ])
    .unwrap()
}

#[wasm_bindgen_test]
fn every_invalid_option_is_refused_by_name() {
    let good = [
        ("btp", JsValue::from_str("btp+ws://a:b@127.0.0.1:9")),
        ("receiver", JsValue::from_str("$wallet.example/bob")),
        ("amountPerSecond", JsValue::from_str("1000")),
    ];
    assert!(stream(&good).is_ok());
    let cases: Vec<(&str, Vec<(&str, JsValue)>)> = vec![
        ("btp", vec![("btp", "https://x".into())]),
        ("btp", vec![("btp", "ws://connector.example".into())]),
        ("btp", vec![("btp", JsValue::from_f64(5.0))]),
        ("receiver", vec![("receiver", "wallet.example/bob".into())]),
        (
            "receiver",
            vec![("receiver", "$wallet.example:8080/bob".into())],
        ),
        (
            "receiver",
            vec![("receiver", "http://wallet.example/pay".into())],
        ),
        ("amountPerSecond", vec![("amountPerSecond", "-5".into())]),
        ("amountPerSecond", vec![("amountPerSecond", "1.5".into())]),
        (
            "amountPerSecond",
            vec![("amountPerSecond", JsValue::from_f64(0.5))],
        ),
        (
            "amountPerSecond",
            vec![("amountPerSecond", "18446744073709551616".into())],
        ),
        ("maxTotal", vec![("maxTotal", "lots".into())]),
        ("slippage", vec![("slippage", JsValue::from_f64(1.5))]),
        ("slippage", vec![("slippage", "abc".into())]),
        (
            "connectTimeout",
            vec![("connectTimeout", JsValue::from_f64(0.0))],
        ),
        (
            "connectTimeout",
            vec![("connectTimeout", JsValue::from_f64(1.5))],
        ),
        ("connectTimeout", vec![("connectTimeout", "soon".into())]),
        ("amountPersecond", vec![("amountPersecond", "1".into())]),
        ("sharedSecret", vec![("sharedSecret", "AAAA".into())]),
        ("WebSocket", vec![("WebSocket", JsValue::from_f64(5.0))]),
        ("WebSocket", vec![("WebSocket", "ws".into())]),
        // A function, but not a constructor.
        (
            "WebSocket",
            vec![("WebSocket", get(&Object::new(), "toString"))],
        ),
    ];
    for (name, changes) in cases {
        let mut pairs: Vec<(&str, JsValue)> = good.to_vec();
        for (k, v) in changes {
            pairs.retain(|(key, _)| *key != k);
            pairs.push((k, v));
        }
        let err = stream(&pairs)
            .err()
            .unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(code_of(&err), "invalid-option", "{name}");
        assert_eq!(get_str(&err, "name"), "PaymentStreamError");
        let message = get_str(&err, "message");
        assert!(message.contains(name), "{name}: {message}");
    }
    // Missing required options.
    for missing in ["btp", "receiver", "amountPerSecond"] {
        let pairs: Vec<_> = good
            .iter()
            .filter(|(k, _)| *k != missing)
            .cloned()
            .collect();
        let err = stream(&pairs).err().unwrap();
        assert_eq!(code_of(&err), "invalid-option");
        assert!(get_str(&err, "message").contains(missing));
    }
    // Not an object at all.
    assert!(PaymentStream::new(JsValue::from_str("x").unchecked_ref()).is_err());
}

#[wasm_bindgen_test]
fn token_never_appears_in_to_string() {
    let s = stream(&[
        (
            "btp",
            "btp+wss://alice:sup3r-secret@connector.example".into(),
        ),
        ("receiver", "$wallet.example".into()),
        ("amountPerSecond", JsValue::bigint_from_str("1000")),
    ])
    .unwrap();
    assert!(stream(&[
        (
            "btp",
            "btp+wss://alice:sup3r-secret@connector.example".into()
        ),
        ("receiver", "$wallet.example".into()),
        (
            "amountPerSecond",
            JsValue::bigint_from_str("18446744073709551615")
        ),
    ])
    .is_ok());
    let text = s.to_string_js();
    assert!(!text.contains("sup3r-secret"), "{text}");
    assert_eq!(s.total_sent(), "0");
}

#[wasm_bindgen_test]
async fn streams_at_the_rate_and_totals_match_the_receiver() {
    reset(r#"{"maxPacketAmount":1000}"#).await;
    let s = default_stream("100000");
    let starts = collect(&s, "start");
    let progress = collect(&s, "progress");
    let stops = collect(&s, "stop");
    let t0 = js_sys::Date::now() as u64;
    wait(s.start(None)).await.expect("start");
    assert_eq!(starts.borrow().len(), 1);
    let start = starts.borrow()[0].clone();
    assert_eq!(get_str(&start, "assetCode"), "USD");
    assert!(get_str(&start, "destinationAccount").starts_with("test.connector"));
    TimeoutFuture::new(3_000).await;
    // Live stats, while streaming, are sane.
    let stats: JsValue = s.stats().into();
    let rtt = get(&stats, "rttMs").as_f64().expect("rttMs");
    // Loopback: well under a second (whole ms, so possibly 0).
    assert!((0.0..1_000.0).contains(&rtt), "rtt {rtt}");
    assert!(get(&stats, "packetsFulfilled").as_f64().unwrap() >= 100.0);
    assert!(
        get(&get(&stats, "packetsRejected"), "F99")
            .as_f64()
            .unwrap()
            >= 1.0
    );
    assert_eq!(get_str(&stats, "maxPacketAmount"), "1000");
    let rate = get(&stats, "exchangeRate");
    assert_eq!(get_str(&rate, "min"), "1");
    assert!(get_str(&rate, "max").starts_with("1.0"), "{rate:?}");
    assert_eq!(get(&stats, "reconnects").as_f64(), Some(0.0));
    assert_eq!(get(&stats, "throttled").as_bool(), Some(false));
    wait(s.stop()).await.unwrap();
    let elapsed_ms = js_sys::Date::now() as u64 - t0;
    let sent: u64 = s.total_sent().parse().unwrap();
    let delivered: u64 = s.total_delivered().parse().unwrap();
    // Paced: at least a second's worth, at most elapsed time × rate + one packet.
    assert!(sent >= 100_000, "sent {sent}");
    assert!(
        sent <= elapsed_ms * 100 + 1000,
        "sent {sent} in {elapsed_ms} ms"
    );
    assert_eq!(delivered, sent, "one-to-one path");
    assert_eq!(receiver_total().await, delivered);
    assert!(!progress.borrow().is_empty());
    let last = progress.borrow().last().cloned().unwrap();
    assert_eq!(get_str(&last, "totalDelivered"), delivered.to_string());
    assert!(
        get(&last, "receipt").is_string(),
        "the stack issues receipts"
    );
    assert_eq!(get_str(&stops.borrow()[0], "reason"), "stopped");
    assert_eq!(s.state().as_string().unwrap(), "stopped");
    // Nothing more arrives after stop().
    TimeoutFuture::new(600).await;
    assert_eq!(receiver_total().await, delivered);
}

#[wasm_bindgen_test]
async fn pay_arrives_exactly_through_1000_unit_packets() {
    reset(r#"{"maxPacketAmount":1000,"rateLimit":100000}"#).await;
    let s = default_stream("0");
    wait(s.start(None)).await.expect("start");
    let result = wait(s.pay(JsValue::from_str("5000000").unchecked_ref(), None))
        .await
        .expect("pay");
    assert_eq!(get_str(&result, "sent"), "5000000");
    assert_eq!(get_str(&result, "delivered"), "5000000");
    wait(s.stop()).await.unwrap();
    assert_eq!(s.total_sent(), "5000000");
    assert_eq!(receiver_total().await, 5_000_000);
}

#[wasm_bindgen_test]
async fn pays_through_a_websocket_given_as_an_option() {
    reset(r#"{"maxPacketAmount":1000,"rateLimit":100000}"#).await;
    // The page's own class, through the path that Node's `ws` takes.
    let s = stream(&[
        ("btp", btp_url().into()),
        ("receiver", pointer_url().into()),
        ("amountPerSecond", "0".into()),
        ("WebSocket", get(&js_sys::global(), "WebSocket")),
    ])
    .unwrap();
    wait(s.start(None)).await.expect("start");
    let result = wait(s.pay(JsValue::from_str("50000").unchecked_ref(), None))
        .await
        .expect("pay");
    assert_eq!(get_str(&result, "sent"), "50000");
    wait(s.stop()).await.unwrap();
    assert_eq!(receiver_total().await, 50_000);
    assert_eq!(s.total_delivered(), "50000");
}

#[wasm_bindgen_test]
async fn discovers_a_small_max_packet_amount() {
    reset(r#"{"maxPacketAmount":137}"#).await;
    let s = default_stream("0");
    wait(s.start(None)).await.expect("start");
    let result = wait(s.pay(JsValue::from_str("10000").unchecked_ref(), None))
        .await
        .expect("pay");
    assert_eq!(get_str(&result, "sent"), "10000");
    wait(s.stop()).await.unwrap();
    assert_eq!(receiver_total().await, 10_000);
}

#[wasm_bindgen_test]
async fn a_capped_receiver_gives_receiver_limit() {
    reset(r#"{"maxPacketAmount":1000,"receiverCap":5000}"#).await;
    let s = default_stream("0");
    let errors = collect(&s, "error");
    wait(s.start(None)).await.expect("start");
    let err = wait(s.pay(JsValue::from_str("20000").unchecked_ref(), None))
        .await
        .expect_err("cannot all arrive");
    assert_eq!(code_of(&err), "receiver-limit");
    assert_eq!(get_str(&errors.borrow()[0], "code"), "receiver-limit");
    let delivered: u64 = s.total_delivered().parse().unwrap();
    assert!(delivered <= 5000 && delivered > 0, "{delivered}");
    assert_eq!(receiver_total().await, delivered);
}

#[wasm_bindgen_test]
async fn sends_data_to_the_receiver() {
    reset(r#"{}"#).await;
    let s = default_stream("0");
    wait(s.start(None)).await.expect("start");
    let bytes = Uint8Array::from(&b"hello, receiver"[..]);
    wait(s.send_data(&bytes, None)).await.expect("sendData");
    wait(s.stop()).await.unwrap();
    assert_eq!(receiver_data_length().await, 15);
}

#[wasm_bindgen_test]
async fn wrong_token_gives_btp_auth_failed() {
    reset(r#"{}"#).await;
    let url = btp_base().replacen("btp+ws://", "btp+ws://alice:not-the-token@", 1);
    let s = stream(&[
        ("btp", url.into()),
        ("receiver", pointer_url().into()),
        ("amountPerSecond", "1000".into()),
    ])
    .unwrap();
    let err = wait(s.start(None)).await.expect_err("auth must fail");
    assert_eq!(code_of(&err), "btp-auth-failed");
    assert!(!get_str(&err, "message").contains("not-the-token"));
    // Bad credentials stay bad, and no ILP reject was involved.
    assert_eq!(get(&err, "retryable").as_bool(), Some(false));
    assert!(get(&err, "ilpCode").is_undefined());
    assert_eq!(s.state().as_string().unwrap(), "failed");
}

#[wasm_bindgen_test]
async fn nothing_listening_gives_btp_connect_failed() {
    let s = stream(&[
        ("btp", "btp+ws://a:b@127.0.0.1:9".into()),
        ("destinationAccount", "test.nowhere".into()),
        (
            "sharedSecret",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
        ),
        ("amountPerSecond", "1000".into()),
    ])
    .unwrap();
    let err = wait(s.start(None))
        .await
        .expect_err("nothing listens on port 9");
    assert_eq!(code_of(&err), "btp-connect-failed");
}

#[wasm_bindgen_test]
async fn a_connector_that_never_answers_gives_btp_connect_failed_within_connect_timeout() {
    reset(r#"{}"#).await;
    // The proxy accepts the WebSocket and forwards to the connector, but
    // drops every answer: the BTP auth is never answered.
    fetch_json("POST", "/control/proxy", Some(r#"{"dropReplies":true}"#)).await;
    let s = stream(&[
        ("btp", proxy_url().into()),
        ("receiver", pointer_url().into()),
        ("amountPerSecond", "1000".into()),
        ("connectTimeout", JsValue::from_f64(1_500.0)),
    ])
    .unwrap();
    let t0 = now_ms();
    let err = wait(s.start(None)).await.expect_err("never answered");
    let ms = now_ms() - t0;
    fetch_json("POST", "/control/proxy", Some(r#"{"dropReplies":false}"#)).await;
    assert_eq!(code_of(&err), "btp-connect-failed");
    assert!(get_str(&err, "message").contains("within 1500 ms (connectTimeout)"));
    assert!((1_400..5_000).contains(&ms), "failed after {ms} ms");
    assert_eq!(get(&err, "retryable").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn a_black_holed_spsp_server_gives_spsp_failed_within_connect_timeout() {
    let s = stream(&[
        ("btp", btp_url().into()),
        ("receiver", format!("{}/never", http_url()).into()),
        ("amountPerSecond", "1000".into()),
        ("connectTimeout", JsValue::from_f64(1_000.0)),
    ])
    .unwrap();
    let t0 = now_ms();
    let err = wait(s.start(None)).await.expect_err("never answered");
    let ms = now_ms() - t0;
    assert_eq!(code_of(&err), "spsp-failed");
    assert!(
        get_str(&err, "message").contains("did not answer within 1000 ms (connectTimeout)"),
        "{err:?}"
    );
    assert!((900..5_000).contains(&ms), "failed after {ms} ms");
}

#[wasm_bindgen_test]
async fn unknown_spsp_receiver_gives_spsp_failed() {
    let s = stream(&[
        ("btp", btp_url().into()),
        ("receiver", format!("{}/unknown", http_url()).into()),
        ("amountPerSecond", "1000".into()),
    ])
    .unwrap();
    let err = wait(s.start(None)).await.expect_err("404");
    assert_eq!(code_of(&err), "spsp-failed");
    assert!(get_str(&err, "message").contains("404"));
}

#[wasm_bindgen_test]
async fn resumes_after_the_connector_restarts_and_totals_agree() {
    reset(r#"{"maxPacketAmount":1000}"#).await;
    let s = default_stream("200000");
    wait(s.start(None)).await.expect("start");
    TimeoutFuture::new(1_000).await;
    fetch_json(
        "POST",
        "/control/connector/restart",
        Some(r#"{"downMs":300}"#),
    )
    .await;
    let before: u64 = s.total_sent().parse().unwrap();
    TimeoutFuture::new(3_000).await;
    let after: u64 = s.total_sent().parse().unwrap();
    assert!(after > before, "payments resumed: {before} -> {after}");
    wait(s.stop()).await.unwrap();
    assert_eq!(
        receiver_total().await,
        s.total_delivered().parse::<u64>().unwrap()
    );
}

#[wasm_bindgen_test]
async fn stop_while_connecting_rejects_start_and_stops() {
    let s = default_stream("1000");
    let stops = collect(&s, "stop");
    let started = s.start(None);
    wait(s.stop()).await.expect("stop resolves");
    let err = wait(started)
        .await
        .expect_err("start cannot succeed after stop");
    assert_eq!(code_of(&err), "stopped");
    assert_eq!(s.state().as_string().unwrap(), "stopped");
    assert_eq!(get_str(&stops.borrow()[0], "reason"), "stopped");
    // Stopping again is harmless, starting again says why it cannot.
    wait(s.stop()).await.unwrap();
    let again = wait(s.start(None))
        .await
        .expect_err("a stopped stream does not restart");
    assert_eq!(code_of(&again), "invalid-state");
}

/// A new `AbortController`.
fn abort_controller() -> JsValue {
    let ctor: js_sys::Function = get(&js_sys::global(), "AbortController").unchecked_into();
    Reflect::construct(&ctor, &js_sys::Array::new()).unwrap()
}

fn abort(controller: &JsValue) {
    let f: js_sys::Function = get(controller, "abort").unchecked_into();
    f.call0(controller).unwrap();
}

fn with_signal(controller: &JsValue) -> ilp_stream_web::wasm::CallOptions {
    options(&[("signal", get(controller, "signal"))]).unchecked_into()
}

#[wasm_bindgen_test]
async fn an_aborted_pay_stops_paying_and_rejects_with_the_reason() {
    // A slow path: 100,000 per second through a money-throughput limit.
    reset(r#"{"maxPacketAmount":10000,"throughput":{"incomingAmount":"100000"}}"#).await;
    let s = default_stream("0");
    wait(s.start(None)).await.expect("start");
    let controller = abort_controller();
    let paying = s.pay(
        JsValue::from_str("5000000").unchecked_ref(),
        Some(with_signal(&controller)),
    );
    TimeoutFuture::new(1_000).await;
    abort(&controller);
    let err = wait(paying).await.expect_err("aborted");
    assert_eq!(get_str(&err, "name"), "AbortError");
    TimeoutFuture::new(1_000).await; // packets in flight settle
    let settled = receiver_total().await;
    TimeoutFuture::new(1_500).await;
    assert_eq!(receiver_total().await, settled, "paid after the abort");
    assert!(settled > 0 && settled < 5_000_000, "receiver got {settled}");
    // The stream goes on: another payment works.
    let result = wait(s.pay(JsValue::from_str("20000").unchecked_ref(), None))
        .await
        .expect("pay after an aborted pay");
    assert_eq!(get_str(&result, "sent"), "20000");
    wait(s.stop()).await.unwrap();
    assert_eq!(
        receiver_total().await,
        s.total_delivered().parse::<u64>().unwrap()
    );
}

#[wasm_bindgen_test]
async fn an_already_aborted_signal_rejects_at_once() {
    reset(r#"{}"#).await;
    let controller = abort_controller();
    abort(&controller);
    let s = default_stream("1000");
    let err = wait(s.start(Some(with_signal(&controller))))
        .await
        .expect_err("aborted");
    assert_eq!(get_str(&err, "name"), "AbortError");
    assert_eq!(s.state().as_string().unwrap(), "idle", "nothing started");
    // With a good start, pay() and sendData() refuse an aborted signal too.
    wait(s.start(None)).await.expect("start");
    let err = wait(s.pay(
        JsValue::from_str("1000").unchecked_ref(),
        Some(with_signal(&controller)),
    ))
    .await
    .expect_err("aborted");
    assert_eq!(get_str(&err, "name"), "AbortError");
    let bytes = Uint8Array::from(&b"hi"[..]);
    let err = wait(s.send_data(&bytes, Some(with_signal(&controller))))
        .await
        .expect_err("aborted");
    assert_eq!(get_str(&err, "name"), "AbortError");
    wait(s.stop()).await.unwrap();
}

#[wasm_bindgen_test]
async fn aborting_start_while_connecting_stops_the_stream() {
    let s = stream(&[
        ("btp", btp_url().into()),
        ("receiver", format!("{}/never", http_url()).into()),
        ("amountPerSecond", "1000".into()),
        ("connectTimeout", JsValue::from_f64(20_000.0)),
    ])
    .unwrap();
    let controller = abort_controller();
    let starting = s.start(Some(with_signal(&controller)));
    TimeoutFuture::new(200).await;
    abort(&controller);
    let err = wait(starting).await.expect_err("aborted");
    assert_eq!(get_str(&err, "name"), "AbortError");
    TimeoutFuture::new(100).await;
    assert_eq!(s.state().as_string().unwrap(), "stopped");
}

/// The `state` of every `statechange` so far.
fn states(seen: &Rc<RefCell<Vec<JsValue>>>) -> Vec<String> {
    seen.borrow().iter().map(|d| get_str(d, "state")).collect()
}

#[wasm_bindgen_test]
async fn statechange_follows_start_pause_resume_stop_exactly() {
    reset(r#"{"maxPacketAmount":1000}"#).await;
    let s = default_stream("10000");
    let seen = collect(&s, "statechange");
    wait(s.start(None)).await.expect("start");
    s.pause().unwrap();
    s.resume().unwrap();
    wait(s.stop()).await.unwrap();
    assert_eq!(
        states(&seen),
        ["connecting", "streaming", "paused", "streaming", "stopped"]
    );
}

#[wasm_bindgen_test]
async fn statechange_of_a_failed_start_is_connecting_then_failed() {
    let s = stream(&[
        ("btp", btp_url().into()),
        ("receiver", format!("{}/unknown", http_url()).into()),
        ("amountPerSecond", "1000".into()),
    ])
    .unwrap();
    let seen = collect(&s, "statechange");
    let err = wait(s.start(None)).await.expect_err("404");
    assert_eq!(code_of(&err), "spsp-failed");
    assert_eq!(states(&seen), ["connecting", "failed"]);
    let again = wait(s.start(None)).await.expect_err("once only");
    assert!(get_str(&again, "message").contains("create a new PaymentStream"));
}

#[wasm_bindgen_test]
async fn statechange_of_a_reconnect_goes_back_to_connecting_then_streaming() {
    reset(r#"{"maxPacketAmount":1000}"#).await;
    let s = stream(&[
        ("btp", proxy_url().into()),
        ("receiver", pointer_url().into()),
        ("amountPerSecond", "10000".into()),
    ])
    .unwrap();
    let seen = collect(&s, "statechange");
    wait(s.start(None)).await.expect("start");
    fetch_json("POST", "/control/proxy/cut", Some("{}")).await;
    for _ in 0..50 {
        TimeoutFuture::new(100).await;
        if states(&seen).len() >= 4 {
            break;
        }
    }
    assert_eq!(
        states(&seen),
        ["connecting", "streaming", "connecting", "streaming"]
    );
    wait(s.stop()).await.unwrap();
}

/// What the stack's receivers got on every connection whose SPSP path was `name`.
async fn received_by_name(name: &str) -> u64 {
    let list = get(
        &fetch_json("GET", "/control/connections", None).await,
        "connections",
    );
    js_sys::Array::from(&list)
        .iter()
        .filter(|c| get(c, "name").as_string().as_deref() == Some(name))
        .map(|c| get_str(&c, "totalReceived").parse::<u64>().unwrap())
        .sum()
}

#[wasm_bindgen_test]
async fn set_amount_per_second_changes_the_rate_on_the_wire() {
    reset("{}").await;
    let s = default_stream("100000");
    wait(s.start(None)).await.expect("start");
    TimeoutFuture::new(1_000).await;
    s.set_amount_per_second(JsValue::from_str("20000").unchecked_ref())
        .unwrap();
    assert_eq!(s.amount_per_second(), "20000");
    TimeoutFuture::new(600).await; // packets priced at the old rate settle
    let before = receiver_total().await;
    let t0 = js_sys::Date::now() as u64;
    TimeoutFuture::new(2_000).await;
    let grew = receiver_total().await - before;
    let elapsed = js_sys::Date::now() as u64 - t0;
    // 20 units per ms, give or take a packet (4000) at each end; the old rate
    // would have sent five times as much.
    assert!(
        grew <= elapsed * 20 + 8_000 && grew + 8_000 >= (elapsed - 300) * 20,
        "grew {grew} in {elapsed} ms at 20000/s"
    );
    let bad = s
        .set_amount_per_second(JsValue::from_str("-1").unchecked_ref())
        .unwrap_err();
    assert_eq!(code_of(&bad), "invalid-option");
    wait(s.stop()).await.unwrap();
    let late = s
        .set_amount_per_second(JsValue::from_str("1").unchecked_ref())
        .unwrap_err();
    assert_eq!(code_of(&late), "invalid-state");
}

/// Several streams on one BTP account (one ILP address at the connector)
/// each get their own receiver's packets: ilp-protocol-stream sends each
/// sender a packet of its own (ConnectionAssetDetails), which the connector
/// hands to every socket of the account.
#[wasm_bindgen_test]
async fn streams_sharing_one_account_pay_their_own_receivers() {
    reset("{}").await;
    let names = [
        "stream/shared-one",
        "stream/shared-two",
        "stream/shared-three",
    ];
    let streams: Vec<PaymentStream> = names
        .iter()
        .map(|name| {
            stream(&[
                ("btp", btp_url().into()),
                ("receiver", format!("{}/{name}", http_url()).into()),
                ("amountPerSecond", "50000".into()),
            ])
            .unwrap()
        })
        .collect();
    let errors: Vec<_> = streams.iter().map(|s| collect(s, "error")).collect();
    for s in &streams {
        wait(s.start(None)).await.expect("start");
    }
    TimeoutFuture::new(2_500).await;
    for s in &streams {
        wait(s.stop()).await.unwrap();
    }
    for ((s, name), errors) in streams.iter().zip(names).zip(&errors) {
        assert!(errors.borrow().is_empty(), "{name}: {:?}", errors.borrow());
        assert_eq!(s.state().as_string().unwrap(), "stopped", "{name}");
        let delivered: u64 = s.total_delivered().parse().unwrap();
        assert!(delivered >= 50_000, "{name}: {delivered}");
        assert_eq!(received_by_name(name).await, delivered, "{name}");
    }
}
