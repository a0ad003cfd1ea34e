//! `PaymentStream` in headless Chromium on the ordinary production path
//! conditions of `/work/shared/spec/peers.md`, produced by the reference
//! stack (`network/stack.mjs`): a link lost with Fulfills in flight,
//! a money-throughput limit, a balance maximum without a maximum packet
//! amount, receivers with a coarser asset scale, a throttled path under
//! `pause()`. One test per condition; every test asserts on what the
//! RECEIVER got (the stack's control API), not only on the client's numbers.
//!
//! The stream is driven through its JavaScript face (methods, getters and
//! event details read with `Reflect`), exactly as a web page uses it, so the
//! file compiles whatever the Rust signatures are.
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
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "web_support/mod.rs"]
mod web_support;
#[allow(unused_imports)]
use web_support::*;

async fn proxy_state() -> JsValue {
    fetch_json("GET", "/control/proxy", None).await
}

/// A `PaymentStream` as the page sees it: the JavaScript object.
struct Page {
    js: JsValue,
}

impl Page {
    fn new(btp: &str, receiver: &str, amount_per_second: &str) -> Self {
        let s = PaymentStream::new(
            options(&[
                ("btp", btp.into()),
                ("receiver", receiver.into()),
                ("amountPerSecond", amount_per_second.into()),
            ])
            .unchecked_ref(),
        )
        .unwrap();
        Self { js: s.into() }
    }

    fn call(&self, method: &str, args: &[JsValue]) -> JsValue {
        let f: Function = get(&self.js, method)
            .dyn_into()
            .unwrap_or_else(|_| panic!("PaymentStream has no method {method}"));
        let args: Array = args.iter().collect();
        f.apply(&self.js, &args)
            .unwrap_or_else(|e| panic!("{method}() threw {e:?}"))
    }

    fn start(&self) -> Promise {
        self.call("start", &[]).into()
    }
    fn pay(&self, amount: &str) -> Promise {
        self.call("pay", &[amount.into()]).into()
    }
    fn pause(&self) {
        self.call("pause", &[]);
    }
    fn stop(&self) -> Promise {
        self.call("stop", &[]).into()
    }
    /// A getter that returns a decimal string (`totalSent`, `totalInDoubt`, ...).
    fn total(&self, getter: &str) -> u64 {
        get_u64(&self.js, getter)
    }

    /// Collects the `detail` of every `kind` event.
    fn collect(&self, kind: &str) -> Rc<RefCell<Vec<JsValue>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&seen);
        let listener =
            Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
                sink.borrow_mut().push(e.detail());
            });
        self.call(
            "addEventListener",
            &[kind.into(), listener.as_ref().clone()],
        );
        listener.forget(); // lives as long as the test page
        seen
    }
}

async fn wait(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// `p`'s outcome, or `None` when it has not settled within `ms`.
async fn within(ms: u32, p: Promise) -> Option<Result<JsValue, JsValue>> {
    let sentinel: JsValue = Object::new().into();
    let marker = sentinel.clone();
    let timer = Promise::new(&mut move |resolve, _reject| {
        let set_timeout: Function = get(&js_sys::global(), "setTimeout").unchecked_into();
        let fire = resolve.bind1(&JsValue::NULL, &marker);
        set_timeout
            .call2(&JsValue::NULL, &fire, &JsValue::from(ms))
            .unwrap();
    });
    // A rejection of `p` must not be mistaken for the timer: map both outcomes
    // (one-shot JS functions, freed when called; never called is fine).
    let on_ok = Closure::once_into_js(|v: JsValue| options(&[("ok", v)]));
    let on_err = Closure::once_into_js(|e: JsValue| options(&[("err", e)]));
    let then: Function = get(&p, "then").unchecked_into();
    let settled = then.call2(&p, &on_ok, &on_err).unwrap();
    let winner = JsFuture::from(Promise::race(&Array::of2(&settled, &timer)))
        .await
        .unwrap();
    if Object::is(&winner, &sentinel) {
        return None;
    }
    let ok = Reflect::has(&winner, &"ok".into()).unwrap();
    Some(if ok {
        Ok(get(&winner, "ok"))
    } else {
        Err(get(&winner, "err"))
    })
}

/// Prints one case's figures (shown with `--nocapture`, as `make test`
/// runs these): the receiver's total, the SDK's totals, the time taken.
fn figure(case: &str, receiver: u64, s: &Page, ms: u64) {
    console_log!(
        "figure | {case} | receiver {receiver} | sent {} delivered {} inDoubt {} | {ms} ms",
        s.total("totalSent"),
        s.total("totalDelivered"),
        s.total("totalInDoubt")
    );
}

// ---------------------------------------------------------------- 1. link lost, Fulfills in flight

/// `pay(3_000_000)` in packets of at most 20,000 (150 packets) through the
/// fault proxy: after 60 replies came through (the congestion window has
/// grown), the proxy drops every reply (the connector still executes the
/// Prepares: the receiver gets the money, the page never hears of it) and
/// cuts the page's socket once 30 were dropped (or after 1.5 s of dropping).
/// The page reconnects through the proxy, which forwards normally again.
async fn pay_through_a_cut(receiver: &str) -> (JsValue, Page) {
    reset(r#"{"maxPacketAmount":"20000"}"#).await;
    let s = Page::new(proxy_url(), &pointer(receiver), "0");
    wait(s.start()).await.expect("start");
    fetch_json(
        "POST",
        "/control/proxy",
        Some(r#"{"dropAfter":60,"cutAfterDropped":30,"cutAfterMs":1500}"#),
    )
    .await;
    let t0 = now_ms();
    let result = within(90_000, s.pay("3000000"))
        .await
        .expect("pay() settles")
        .expect("pay() resolves after the cut");
    let ms = now_ms() - t0;
    let key = if receiver.is_empty() {
        "stream"
    } else {
        receiver
    };
    let got = received_by(key).await;
    figure(
        &format!("socket cut mid-pay(3000000), receiver {key}"),
        got,
        &s,
        ms,
    );
    // The fault really happened: replies carrying Fulfills were lost, the socket was cut.
    let proxy = proxy_state().await;
    assert_eq!(get(&proxy, "cuts").as_f64(), Some(1.0), "{proxy:?}");
    assert!(
        get(&proxy, "droppedFulfills").as_f64().unwrap() >= 1.0,
        "{proxy:?}"
    );
    (result, s)
}

#[wasm_bindgen_test]
async fn cut_with_fulfills_lost_stream_receiver_pays_exactly_once() {
    let (result, s) = pay_through_a_cut("").await;
    let got = received_by("stream").await;
    assert!(got <= 3_000_000, "the receiver got {got}: paid twice");
    let sent = get_u64(&result, "sent");
    let in_doubt = get_u64(&result, "inDoubt");
    assert_eq!(sent + in_doubt, 3_000_000, "{result:?}");
    // ilp-protocol-stream reports its cumulative total: nothing stays in doubt.
    assert_eq!(get_str(&result, "inDoubt"), "0", "{result:?}");
    assert_eq!(s.total("totalInDoubt"), 0);
    assert_eq!(s.total("totalDelivered"), got, "client and receiver agree");
    wait(s.stop()).await.unwrap();
    TimeoutFuture::new(500).await;
    assert_eq!(
        received_by("stream").await,
        got,
        "nothing more after stop()"
    );
}

#[wasm_bindgen_test]
async fn cut_with_fulfills_lost_stateless_receiver_counts_the_doubt() {
    let (result, s) = pay_through_a_cut("stateless").await;
    let got = received_by("stateless").await;
    assert!(got <= 3_000_000, "the receiver got {got}: paid twice");
    let sent = get_u64(&result, "sent");
    let in_doubt = get_u64(&result, "inDoubt");
    assert_eq!(sent + in_doubt, 3_000_000, "{result:?}");
    // No totals from this receiver: what was lost in flight is in doubt, and
    // the truth lies between what is known sent and that plus the doubt.
    assert!(
        sent <= got && got <= sent + in_doubt,
        "sent {sent} <= receiver {got} <= sent + inDoubt {}",
        sent + in_doubt
    );
    assert_eq!(s.total("totalInDoubt"), in_doubt);
    assert_eq!(s.total("totalSent"), sent);
    wait(s.stop()).await.unwrap();
    TimeoutFuture::new(500).await;
    assert_eq!(received_by("stateless").await, got);
}

// ---------------------------------------------------------------- 2. money-throughput limit

#[wasm_bindgen_test]
async fn pay_under_a_money_throughput_limit_arrives_exactly() {
    // T04 "exceeded money bandwidth, throttling." beyond 1,000,000 per second.
    reset(r#"{"throughput":{"incomingAmount":"1000000"}}"#).await;
    let s = Page::new(btp_url(), &pointer(""), "0");
    wait(s.start()).await.expect("start");
    let t0 = now_ms();
    let result = within(60_000, s.pay("5000000"))
        .await
        .expect("pay() settles")
        .unwrap_or_else(|e| panic!("pay() rejected with {}: {e:?}", code_of(&e)));
    let ms = now_ms() - t0;
    figure(
        "throughput 1000000/s, pay(5000000)",
        received_by("stream").await,
        &s,
        ms,
    );
    assert_eq!(get_str(&result, "sent"), "5000000");
    assert_eq!(get_str(&result, "delivered"), "5000000");
    assert_eq!(received_by("stream").await, 5_000_000);
    // A bucket of 1,000,000 then 1,000,000 per second: at least ~4 s.
    assert!(
        ms >= 3_500,
        "5,000,000 in {ms} ms: the limit was not in effect"
    );
    wait(s.stop()).await.unwrap();
}

#[wasm_bindgen_test]
async fn paced_above_the_throughput_keeps_going_and_says_throttled() {
    reset(r#"{"throughput":{"incomingAmount":"1000000"}}"#).await;
    let s = Page::new(btp_url(), &pointer(""), "3000000");
    let throttled = s.collect("throttled");
    let errors = s.collect("error");
    wait(s.start()).await.expect("start");
    let t0 = now_ms();
    TimeoutFuture::new(1_500).await; // the bucket's first 1,000,000 is gone by now
    let (t1, r1) = (now_ms(), received_by("stream").await);
    TimeoutFuture::new(3_000).await;
    let (t2, r2) = (now_ms(), received_by("stream").await);
    let per_second = (r2 - r1) * 1000 / (t2 - t1);
    assert!(
        (600_000..=1_350_000).contains(&per_second),
        "receiver got {per_second}/s on a 1,000,000/s path"
    );
    assert_eq!(get(&s.js, "state").as_string().unwrap(), "streaming");
    assert!(errors.borrow().is_empty(), "{:?}", errors.borrow());
    assert_eq!(get(&s.js, "throttled").as_bool(), Some(true));
    let first = throttled
        .borrow()
        .first()
        .cloned()
        .expect("a throttled event");
    assert_eq!(get(&first, "throttled").as_bool(), Some(true));
    let achieved: u64 = get_str(&first, "achievedPerSecond").parse().unwrap();
    figure(
        &format!("throughput 1000000/s, paced 3000000/s: {per_second}/s at the receiver, throttled event achievedPerSecond {achieved}"),
        r2,
        &s,
        now_ms() - t0,
    );
    assert!(
        (1..3_000_000).contains(&achieved),
        "achieved {achieved}: the rate the path carries, below the paced rate"
    );
    wait(s.stop()).await.unwrap();
    assert_eq!(received_by("stream").await, s.total("totalDelivered"));
}

// ---------------------------------------------------------------- 3. balance maximum, no max packet

#[wasm_bindgen_test]
async fn balance_maximum_without_max_packet_gives_insufficient_liquidity() {
    // T04 "exceeded maximum balance." for every Prepare that does not fit in
    // what is left of 50,000; no maxPacketAmount to learn packet sizes from.
    reset(r#"{"balanceMax":"50000"}"#).await;
    let s = Page::new(btp_url(), &pointer(""), "0");
    wait(s.start()).await.expect("start");
    let t0 = now_ms();
    let err = within(40_000, s.pay("100000"))
        .await
        .expect("pay() settles within 40 s")
        .expect_err("only 50,000 can get through");
    figure(
        &format!(
            "balance maximum 50000, no max packet, pay(100000) -> {}",
            code_of(&err)
        ),
        received_by("stream").await,
        &s,
        now_ms() - t0,
    );
    assert_eq!(code_of(&err), "insufficient-liquidity", "{err:?}");
    // The error carries the connector's reject.
    assert_eq!(get_str(&err, "ilpCode"), "T04");
    assert!(
        get_str(&err, "ilpMessage").contains("exceeded maximum balance"),
        "{err:?}"
    );
    assert!(get_str(&err, "triggeredBy").starts_with("test.connector"));
    assert_eq!(get(&err, "retryable").as_bool(), Some(true));
    let got = received_by("stream").await;
    assert!(
        got <= 50_000,
        "receiver got {got} beyond the balance maximum"
    );
    assert!(got >= 45_000, "receiver got only {got} of the 50,000 room");
    assert_eq!(s.total("totalDelivered"), got);
}

// ---------------------------------------------------------------- 4. coarser receivers

/// The decimal integers in `text`.
fn numbers(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// `start()` rejects with `rate-too-low` within a few seconds; returns the message.
async fn refused_as_too_low(receiver: &str, amount_per_second: &str) -> String {
    let s = Page::new(btp_url(), &pointer(receiver), amount_per_second);
    let t0 = now_ms();
    let err = within(15_000, s.start())
        .await
        .expect("start() settles at once, not after 60 s")
        .expect_err("no packet can deliver a unit within 60 s");
    let ms = now_ms() - t0;
    figure(
        &format!(
            "{receiver} at {amount_per_second}/s -> {}: {}",
            code_of(&err),
            get_str(&err, "message")
        ),
        received_by(receiver).await,
        &s,
        ms,
    );
    assert_eq!(code_of(&err), "rate-too-low", "{err:?}");
    assert!(ms < 10_000, "refused after {ms} ms");
    get_str(&err, "message")
}

#[wasm_bindgen_test]
async fn coarse_receivers_at_too_low_a_rate_are_refused_at_once() {
    reset(r#"{}"#).await;
    // Scale 6: one receiver unit = 1000 source units, 1000 s at 1/s.
    let message = refused_as_too_low("scale6", "1").await;
    // It names the smallest amountPerSecond that works: one unit within 60 s
    // is 1000/60, so 17 (a little more with slippage), and one less is
    // refused too.
    let named = numbers(&message)
        .into_iter()
        .find(|&n| (17..=20).contains(&n))
        .unwrap_or_else(|| panic!("no workable amountPerSecond in {message:?}"));
    let below = refused_as_too_low("scale6", &(named - 1).to_string()).await;
    assert!(!below.is_empty());
    // Scale 0: one receiver unit = 10^9 source units.
    let message = refused_as_too_low("scale0", "1000").await;
    assert!(
        numbers(&message)
            .iter()
            .any(|n| (16_666_667..=17_000_000).contains(n)),
        "{message:?}"
    );
    assert_eq!(received_by("scale6").await, 0);
    assert_eq!(received_by("scale0").await, 0);
}

#[wasm_bindgen_test]
async fn coarse_receiver_at_a_workable_rate_gets_its_units() {
    reset(r#"{}"#).await;
    let s = Page::new(btp_url(), &pointer("scale6"), "2000");
    let starts = s.collect("start");
    let progress = s.collect("progress");
    wait(s.start()).await.expect("start");
    let t0 = now_ms();
    TimeoutFuture::new(3_000).await;
    wait(s.stop()).await.unwrap();
    let got = received_by("scale6").await;
    figure("scale 6 at 2000/s for 3 s", got, &s, now_ms() - t0);
    assert!(got >= 3, "the scale-6 receiver got {got} units");
    assert_eq!(s.total("totalDelivered"), got, "delivered in scale-6 units");
    // 1000 source units per receiver unit (conversion floors).
    assert!(s.total("totalSent") >= got * 1000);
    let start = starts.borrow()[0].clone();
    assert_eq!(get(&start, "receiverAssetScale").as_f64(), Some(6.0));
    let last = progress.borrow().last().cloned().expect("progress events");
    assert_eq!(get(&last, "assetScale").as_f64(), Some(9.0));
    assert_eq!(get(&last, "receiverAssetScale").as_f64(), Some(6.0));
    assert_eq!(get_str(&last, "receiverAssetCode"), "USD");
    assert_eq!(get_u64(&last, "totalDelivered"), got);
}

// ---------------------------------------------------------------- 5. pause on a throttled path

#[wasm_bindgen_test]
async fn pause_on_a_throttled_path_stops_the_money() {
    reset(r#"{"throughput":{"incomingAmount":"200000"}}"#).await;
    let s = Page::new(btp_url(), &pointer(""), "1000000");
    wait(s.start()).await.expect("start");
    TimeoutFuture::new(2_500).await;
    s.pause();
    TimeoutFuture::new(1_000).await; // packets in flight settle
    let settled = received_by("stream").await;
    figure(
        "throughput 200000/s, paced 1000000/s, pause() after 2.5 s: receiver at 1 s after pause",
        settled,
        &s,
        3_500,
    );
    assert!(settled > 0, "money flowed before pause()");
    TimeoutFuture::new(2_000).await;
    assert_eq!(
        received_by("stream").await,
        settled,
        "the receiver still got money after pause()"
    );
    assert_eq!(get(&s.js, "state").as_string().unwrap(), "paused");
    wait(s.stop()).await.unwrap();
}
