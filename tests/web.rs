//! Browser tests: run in headless Chromium by `make test`
//! (`wasm-pack test --headless --chrome`).
//!
//! The test command starts the helper services first and passes their
//! addresses in at compile time (`ILP_TEST_*` variables), because a test in
//! the browser cannot read the environment of the process that started it.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::{ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{BinaryType, MessageEvent, WebSocket};

wasm_bindgen_test_configure!(run_in_browser);

/// The address of a service started by the test command, or a failure that
/// says how to run the tests.
fn service(url: Option<&'static str>, name: &str) -> &'static str {
    url.unwrap_or_else(|| panic!("{name} is not set: run the browser tests with `make test`"))
}

/// Resolves with the first `event` fired on `target` (its event object).
fn next_event(target: &web_sys::EventTarget, event: &str) -> JsFuture {
    let target = target.clone();
    let event = event.to_owned();
    JsFuture::from(Promise::new(&mut move |resolve, reject| {
        let once = Closure::once_into_js(move |e: JsValue| {
            resolve.call1(&JsValue::NULL, &e).unwrap();
        });
        let fail = Closure::once_into_js(move |e: JsValue| {
            reject.call1(&JsValue::NULL, &e).unwrap();
        });
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_once(true);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                &event,
                once.unchecked_ref(),
                &opts,
            )
            .unwrap();
        if event != "error" {
            target
                .add_event_listener_with_callback_and_add_event_listener_options(
                    "error",
                    fail.unchecked_ref(),
                    &opts,
                )
                .unwrap();
        }
    }))
}

#[wasm_bindgen_test]
fn reports_the_package_version() {
    assert_eq!(ilp_stream_web::wasm::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
async fn websocket_echo_round_trips_binary_frames() {
    let url = service(option_env!("ILP_TEST_ECHO_URL"), "ILP_TEST_ECHO_URL");
    let ws = WebSocket::new(url).unwrap();
    ws.set_binary_type(BinaryType::Arraybuffer);
    next_event(&ws, "open")
        .await
        .expect("echo server refused the connection");

    let sent: Vec<u8> = (0u8..=255).chain([0x0c, 0x00, 0xff]).collect();
    let reply = next_event(&ws, "message");
    ws.send_with_u8_array(&sent).unwrap();
    let event: MessageEvent = reply.await.unwrap().unchecked_into();
    let data: ArrayBuffer = event
        .data()
        .dyn_into()
        .expect("a binary frame comes back as an ArrayBuffer");
    assert_eq!(Uint8Array::new(&data).to_vec(), sent);
    ws.close().unwrap();
}
