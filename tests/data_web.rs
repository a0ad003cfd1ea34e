//! Data from the receiver to the page, in headless Chromium against the
//! reference stack (`network/stack.mjs`): its ilp-protocol-stream
//! receiver writes bytes to the stream (`POST /control/connections/:id/write`)
//! and the page reads them through `readable` and `data` events. Run by
//! `make browser`.
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
use ilp_stream_web::spsp::base64;
use ilp_stream_web::wasm::PaymentStream;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "web_support/mod.rs"]
mod web_support;
#[allow(unused_imports)]
use web_support::*;

fn new_stream() -> PaymentStream {
    stream_through(btp_url())
}

/// A paced stream to the default receiver through the BTP URL `btp`.
fn stream_through(btp: &str) -> PaymentStream {
    let o = Object::new();
    for (k, v) in [
        ("btp", btp),
        ("receiver", pointer_url()),
        // Paying opens stream 1 at the receiver, which then writes to it.
        ("amountPerSecond", "100000"),
    ] {
        Reflect::set(&o, &k.into(), &v.into()).unwrap();
    }
    PaymentStream::new(o.unchecked_ref()).unwrap()
}

/// Bytes of a recognisable pattern.
fn pattern(seed: usize, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 31 + seed + i / 256) % 256) as u8)
        .collect()
}

/// Starts `s` and returns the receiver's record id once stream 1 is open.
async fn started_connection(s: &PaymentStream) -> String {
    wait(s.start(None)).await.expect("start");
    for _ in 0..100 {
        let (_, body) = fetch_status_json("GET", "/control/connections", None).await;
        let list: js_sys::Array = get(&body, "connections").unchecked_into();
        if let Some(last) = list.iter().last() {
            let streams: js_sys::Array = get(&last, "streams").unchecked_into();
            if streams.length() > 0 {
                return get(&last, "id").as_string().unwrap();
            }
        }
        TimeoutFuture::new(50).await;
    }
    panic!("the receiver never saw stream 1");
}

async fn receiver_writes(id: &str, bytes: &[u8]) {
    let body = format!(r#"{{"base64":"{}"}}"#, base64::encode(bytes));
    let (status, answer) = fetch_status_json(
        "POST",
        &format!("/control/connections/{id}/write"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
}

/// Concatenates the `detail.data` of every `data` event into one buffer.
fn collect_data(s: &PaymentStream) -> Rc<RefCell<Vec<u8>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    let listener =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let data: Uint8Array = get(&e.detail(), "data").unchecked_into();
            sink.borrow_mut().extend(data.to_vec());
        });
    s.add_event_listener("data", listener.as_ref().unchecked_ref(), None)
        .unwrap();
    listener.forget(); // lives as long as the test page
    seen
}

#[wasm_bindgen_test]
async fn the_page_reads_what_the_receiver_writes_through_readable() {
    fetch_status_json("POST", "/control/reset", None).await;
    let s = new_stream();
    let events = collect_data(&s);
    let stops = Rc::new(RefCell::new(Vec::<String>::new()));
    {
        let sink = Rc::clone(&stops);
        let l = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            sink.borrow_mut()
                .push(String::from(js_sys::JSON::stringify(&e.detail()).unwrap()));
        });
        s.add_event_listener("stop", l.as_ref().unchecked_ref(), None)
            .unwrap();
        s.add_event_listener("error", l.as_ref().unchecked_ref(), None)
            .unwrap();
        l.forget();
    }
    let readable: JsValue = s.readable().unwrap().into();
    assert!(
        get(&readable, "getReader").is_function(),
        "readable must be a ReadableStream"
    );
    let same: JsValue = s.readable().unwrap().into();
    assert!(Object::is(&readable, &same), "readable must be one stream");
    let id = started_connection(&s).await;
    // More than the receive window (64 KiB) and readable's queue together
    // hold: the receiver must be held back and let go as the page reads.
    let sent = pattern(3, 200_000);
    receiver_writes(&id, &sent).await;
    let get_reader: js_sys::Function = get(&readable, "getReader").unchecked_into();
    let reader = get_reader.call0(&readable).unwrap();
    let read: js_sys::Function = get(&reader, "read").unchecked_into();
    let mut got = Vec::new();
    let mut slow = true;
    while got.len() < sent.len() {
        let result = wait(read.call0(&reader).unwrap()).await.unwrap();
        if get(&result, "done") == JsValue::TRUE {
            let (_, record) =
                fetch_status_json("GET", &format!("/control/connections/{id}"), None).await;
            let json = js_sys::JSON::stringify(&record).unwrap();
            panic!(
                "closed early after {} bytes: {json:?}; stops {:?}",
                got.len(),
                stops.borrow()
            );
        }
        let chunk: Uint8Array = get(&result, "value").unchecked_into();
        got.extend(chunk.to_vec());
        if slow && got.len() > 50_000 {
            // A slow reader: the receiver waits meanwhile.
            slow = false;
            TimeoutFuture::new(500).await;
        }
    }
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the bytes read differ from the bytes written");
    // `data` events saw the same bytes, as they entered `readable`.
    assert!(*events.borrow() == sent, "data events differ");
    wait(s.stop()).await.unwrap();
    // Closed once stopped and drained.
    let end = wait(read.call0(&reader).unwrap()).await.unwrap();
    assert_eq!(get(&end, "done"), JsValue::TRUE);
    // The receiver saw nothing refused: the connection is whole.
    let (_, record) = fetch_status_json("GET", &format!("/control/connections/{id}"), None).await;
    assert!(get(&record, "error").is_null(), "{record:?}");
}

#[wasm_bindgen_test]
async fn data_events_carry_what_the_receiver_writes() {
    fetch_status_json("POST", "/control/reset", None).await;
    let s = new_stream();
    let events = collect_data(&s);
    let id = started_connection(&s).await;
    let first = pattern(7, 1_000);
    receiver_writes(&id, &first).await;
    let second = pattern(11, 30_000);
    receiver_writes(&id, &second).await;
    let mut expected = first.clone();
    expected.extend(&second);
    for _ in 0..200 {
        if events.borrow().len() >= expected.len() {
            break;
        }
        TimeoutFuture::new(50).await;
    }
    assert_eq!(events.borrow().len(), expected.len());
    assert!(*events.borrow() == expected, "data events differ");
    // Money still flows while data does.
    let sent: u64 = s.total_sent().parse().unwrap();
    assert!(sent > 0);
    wait(s.stop()).await.unwrap();
}

/// A stream that fails with data still unread: `readable` hands out every
/// byte that arrived, then `read()` rejects with the stream's error (it
/// does not end as if the receiver had finished).
#[wasm_bindgen_test]
async fn readable_errors_after_the_last_byte_when_the_stream_fails() {
    fetch_status_json("POST", "/control/reset", None).await;
    let (status, _) = fetch_status_json(
        "POST",
        "/control/users",
        Some(r#"{"username":"reader","token":"reader-secret"}"#),
    )
    .await;
    assert_eq!(status, 200);
    let s = stream_through(&btp_base().replacen("btp+ws://", "btp+ws://reader:reader-secret@", 1));
    let events = collect_data(&s);
    let errors = Rc::new(RefCell::new(Vec::<String>::new()));
    {
        let sink = Rc::clone(&errors);
        let l = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            sink.borrow_mut()
                .push(get(&e.detail(), "code").as_string().unwrap_or_default());
        });
        s.add_event_listener("error", l.as_ref().unchecked_ref(), None)
            .unwrap();
        l.forget();
    }
    let readable: JsValue = s.readable().unwrap().into();
    let id = started_connection(&s).await;
    // Less than readable's queue holds: all of it is queued, none read.
    let sent = pattern(5, 20_000);
    receiver_writes(&id, &sent).await;
    for _ in 0..200 {
        if events.borrow().len() >= sent.len() {
            break;
        }
        TimeoutFuture::new(50).await;
    }
    assert_eq!(
        events.borrow().len(),
        sent.len(),
        "all of it entered readable"
    );
    // The account gets another token and the connector restarts (its
    // token cache with it): the socket drops and the reconnect is refused,
    // so the stream fails with the bytes still queued.
    for (route, body) in [
        ("/control/users/remove", r#"{"username":"reader"}"#),
        (
            "/control/users",
            r#"{"username":"reader","token":"another-secret"}"#,
        ),
        ("/control/connector/restart", "{}"),
    ] {
        let (status, _) = fetch_status_json("POST", route, Some(body)).await;
        assert_eq!(status, 200, "{route}");
    }
    for _ in 0..200 {
        if !errors.borrow().is_empty() {
            break;
        }
        TimeoutFuture::new(50).await;
    }
    assert_eq!(*errors.borrow(), ["btp-auth-failed"]);
    assert_eq!(s.state().as_string().unwrap(), "failed");
    let get_reader: js_sys::Function = get(&readable, "getReader").unchecked_into();
    let reader = get_reader.call0(&readable).unwrap();
    let read: js_sys::Function = get(&reader, "read").unchecked_into();
    let mut got = Vec::new();
    let failure = loop {
        match wait(read.call0(&reader).unwrap()).await {
            Ok(result) => {
                assert_ne!(
                    get(&result, "done"),
                    JsValue::TRUE,
                    "readable closed as if finished after {} bytes",
                    got.len()
                );
                let chunk: Uint8Array = get(&result, "value").unchecked_into();
                got.extend(chunk.to_vec());
            }
            Err(e) => break e,
        }
    };
    assert!(
        got == sent,
        "{} bytes read before the error, not the {} that arrived",
        got.len(),
        sent.len()
    );
    assert_eq!(
        get(&failure, "name").as_string().as_deref(),
        Some("PaymentStreamError")
    );
    assert_eq!(
        get(&failure, "code").as_string().as_deref(),
        Some("btp-auth-failed")
    );
    fetch_status_json("POST", "/control/reset", None).await;
}

/// `readable` taken only after the stream failed errors too.
#[wasm_bindgen_test]
async fn readable_taken_after_a_failure_errors() {
    let s = stream_through(&btp_base().replacen("btp+ws://", "btp+ws://alice:not-the-token@", 1));
    assert!(wait(s.start(None)).await.is_err());
    assert_eq!(s.state().as_string().unwrap(), "failed");
    let readable: JsValue = s.readable().unwrap().into();
    let get_reader: js_sys::Function = get(&readable, "getReader").unchecked_into();
    let reader = get_reader.call0(&readable).unwrap();
    let read: js_sys::Function = get(&reader, "read").unchecked_into();
    let failure = wait(read.call0(&reader).unwrap())
        .await
        .expect_err("read() must reject, not end");
    assert_eq!(
        get(&failure, "code").as_string().as_deref(),
        Some("btp-auth-failed")
    );
}
