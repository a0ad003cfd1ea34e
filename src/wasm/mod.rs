//! The browser shell: the only code that knows about JavaScript.
//!
//! Compiled for `wasm32` alone. [`PaymentStream`] translates between
//! JavaScript values and the sans-IO [`Client`](crate::client::Client); the
//! WebSocket, timers and `fetch` live in the private modules beside it. No
//! protocol decision is made here.

mod abort;
mod convert;
mod driver;
mod options;
mod readable;
pub mod receipt;
mod socket;
mod spsp;
mod timer;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use crate::client::State;
use crate::text::{decimal, join};
use driver::{now, promise, rejected, Inner, Shared};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options of a {@link PaymentStream}. Amounts are integer strings or BigInt, in the sender's asset units. */
export interface PaymentStreamOptions {
  /** BTP server: `btp+wss://user:token@host/path` (also `wss://`; `ws://`/`btp+ws://` only for loopback). */
  btp: string;
  /** Payment pointer (`$wallet.example/bob`) or SPSP URL (`https://…`; `http://` only for localhost). */
  receiver?: string;
  /** Instead of `receiver`: the receiver's ILP address… */
  destinationAccount?: string;
  /** …and the STREAM shared secret, base64 of 32 bytes. */
  sharedSecret?: string;
  /** Paced rate, source units per second (`'0'`: only `pay()`). */
  amountPerSecond: string | bigint;
  /** Stop with reason `'max-total'` once this much has been sent. */
  maxTotal?: string | bigint;
  /** Exchange-rate slippage tolerated, `0 <= slippage < 1`; default 0.01 (1%). */
  slippage?: number;
  /**
   * Milliseconds the SPSP query may take, and the WebSocket open + BTP auth + IL-DCP
   * (default 5000). Past it: `spsp-failed` or `btp-connect-failed` naming what timed out.
   */
  connectTimeout?: number;
  /**
   * The WebSocket constructor to connect with instead of the global one: on Node.js
   * before 22, which has none, `WebSocket` from the `ws` package (`import WebSocket from 'ws'`).
   */
  WebSocket?: WebSocketConstructor;
}
/**
 * A WebSocket class: `new (url)` gives a socket with the browser's `binaryType`,
 * `onopen`, `onmessage`, `onclose`, `onerror`, `send` and `close`, as the `ws` package's does.
 */
export type WebSocketConstructor = new (url: string) => unknown;

/** `detail` of the `start` event. */
export interface StartDetail {
  assetCode: string; assetScale: number;
  receiverAssetCode: string | null; receiverAssetScale: number | null;
  destinationAccount: string;
}
/**
 * `detail` of the `progress` event (coalesced to at most 10 per second).
 * Sent and in-doubt amounts are in the sender's asset (`assetCode`/`assetScale`);
 * delivered amounts in the receiver's (`receiverAssetCode`/`receiverAssetScale`).
 */
export interface ProgressDetail {
  amountSent: string; totalSent: string; amountDelivered: string; totalDelivered: string;
  /** Source units whose outcome became unknown since the last event (the link dropped with them in flight). */
  amountInDoubt: string;
  /** Source units in doubt now: they count against every cap until the receiver's total resolves them. */
  totalInDoubt: string;
  assetCode: string; assetScale: number;
  receiverAssetCode: string | null; receiverAssetScale: number | null;
  /** Latest STREAM receipt (RFC 39), base64, or null. */
  receipt: string | null;
}
/** `detail` of the `stop` event. */
export interface StopDetail {
  reason: 'stopped' | 'max-total' | 'receiver-closed' | 'error';
  totalSent: string; totalDelivered: string; totalInDoubt: string;
}
/** `detail` of the `throttled` event: the path carries less than `amountPerSecond` (or, `throttled: false`, all of it again). */
export interface ThrottledDetail { throttled: boolean; achievedPerSecond: string; }
/** Options of `start()`, `pay()` and `sendData()`. */
export interface CallOptions {
  /** Aborting it rejects the promise with the signal's `reason` (see each method for what stops). */
  signal?: AbortSignal;
}
/** `s.stats`: how the stream is doing, cheap to read (a fresh object each time). */
export interface PaymentStreamStats {
  /** Smoothed round-trip time of Prepares, ms; null before the first reply. */
  rttMs: number | null;
  packetsInFlight: number;
  packetsFulfilled: number;
  /** Rejected Prepares by ILP error code, e.g. `{ F99: 5, T04: 2 }` (the rate probes' F99 included). */
  packetsRejected: Record<string, number>;
  /** The exchange rate in use, receiver units per source unit, as decimal strings: `min` inclusive, `max` exclusive; null until probed. */
  exchangeRate: { min: string; max: string } | null;
  /** The path's largest packet (source units), once an F08 told; else null. */
  maxPacketAmount: string | null;
  /** Packets allowed in flight (congestion window). */
  window: number;
  reconnects: number;
  /** Whether the path carries less than `amountPerSecond`. */
  throttled: boolean;
}
/** `detail` of the `data` event: bytes the receiver sent on the stream, in order, each byte once. */
export interface DataDetail { data: Uint8Array; }
/** What `pay()` resolves with: `sent + inDoubt` is the amount asked. */
export interface PaymentResult { sent: string; delivered: string; inDoubt: string; }
/** Stable error codes. */
export type PaymentStreamErrorCode =
  | 'invalid-option' | 'invalid-state' | 'btp-connect-failed' | 'btp-auth-failed' | 'spsp-failed'
  | 'rate-too-low' | 'insufficient-liquidity' | 'receiver-limit' | 'receiver-closed'
  | 'timeout' | 'disconnected' | 'rejected' | 'stopped' | 'packet-limit';
/** What every error says beyond its message. */
export interface PaymentStreamErrorFields {
  code: PaymentStreamErrorCode;
  /** Whether the same call may succeed later unchanged (liquidity, timeouts, lost links, temporary rejects). */
  retryable: boolean;
  /** The ILP error code of the reject that caused it (e.g. `'T04'`), when one did. */
  ilpCode?: string;
  /** That reject's message, when a reject caused it. */
  ilpMessage?: string;
  /** The address of the node that rejected (or `null` if it gave none), when a reject caused it. */
  triggeredBy?: string | null;
}
/** `detail` of the `error` event: the same fields as the error. */
export interface ErrorDetail extends PaymentStreamErrorFields { message: string; }
/** Errors thrown or rejected by a {@link PaymentStream}: `name` is `'PaymentStreamError'`. */
export interface PaymentStreamError extends Error, PaymentStreamErrorFields {}
export type PaymentStreamState = 'idle' | 'connecting' | 'streaming' | 'paused' | 'stopped' | 'failed';
export interface PaymentStreamEventMap {
  start: CustomEvent<StartDetail>;
  progress: CustomEvent<ProgressDetail>;
  stop: CustomEvent<StopDetail>;
  error: CustomEvent<ErrorDetail>;
  statechange: CustomEvent<{ state: PaymentStreamState }>;
  throttled: CustomEvent<ThrottledDetail>;
  data: CustomEvent<DataDetail>;
}
/** Event listeners, typed per event (merged into the `PaymentStream` class below). */
export interface PaymentStream {
  /** Adds a listener for `start`, `progress`, `stop`, `error`, `statechange`, `throttled` or `data`. */
  addEventListener<K extends keyof PaymentStreamEventMap>(type: K, listener: (ev: PaymentStreamEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof PaymentStreamEventMap>(type: K, listener: (ev: PaymentStreamEventMap[K]) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `PaymentStreamOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "PaymentStreamOptions")]
    pub type PaymentStreamOptions;
    /// An amount: `string | bigint`.
    #[wasm_bindgen(typescript_type = "string | bigint")]
    pub type Amount;
    /// `Promise<PaymentResult>`.
    #[wasm_bindgen(typescript_type = "Promise<PaymentResult>")]
    pub type PaymentResult;
    /// `Promise<void>`.
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type VoidPromise;
    /// `{ signal?: AbortSignal }`: the options of `start`, `pay`, `sendData`.
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptions;
    /// `PaymentStreamStats`.
    #[wasm_bindgen(typescript_type = "PaymentStreamStats")]
    pub type StatsObject;
    /// `PaymentStreamState`.
    #[wasm_bindgen(typescript_type = "PaymentStreamState")]
    pub type StateName;
    /// An event listener.
    #[wasm_bindgen(
        typescript_type = "EventListenerOrEventListenerObject | ((ev: CustomEvent) => void)"
    )]
    pub type Listener;
    /// `ReadableStream<Uint8Array>`.
    #[wasm_bindgen(typescript_type = "ReadableStream<Uint8Array>")]
    pub type ByteStream;
    /// Listener options: `boolean | AddEventListenerOptions`.
    #[wasm_bindgen(typescript_type = "boolean | AddEventListenerOptions")]
    pub type ListenerOptions;
}

/// The version of this package, as in its `package.json`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A paced Interledger STREAM payment from this page to one receiver.
///
/// Events: `start`, `progress`, `stop`, `error`, `statechange`,
/// `throttled`, `data` (see `PaymentStreamEventMap`).
#[wasm_bindgen]
pub struct PaymentStream {
    shared: Shared,
}

fn void(p: js_sys::Promise) -> VoidPromise {
    p.unchecked_into()
}

#[wasm_bindgen]
impl PaymentStream {
    /// Checks every option (throws a `PaymentStreamError` with code
    /// `invalid-option` naming the option) without connecting.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &PaymentStreamOptions) -> Result<Self, JsValue> {
        let options = options::Options::parse(options)?;
        let target = EventTarget::new()?;
        let seed = random_seed()?;
        Ok(Self {
            shared: Rc::new(RefCell::new(Inner::new(options, target, seed))),
        })
    }

    /// Connects (SPSP, BTP, IL-DCP, STREAM) and starts paying. Resolves
    /// once the first packet is fulfilled (or the connection is ready when
    /// the rate is 0); rejects with a `PaymentStreamError`. Aborting
    /// `options.signal` before then stops the stream and rejects with the
    /// signal's reason.
    pub fn start(&self, options: Option<CallOptions>) -> VoidPromise {
        let signal = match abort::signal_of(options.as_deref()) {
            Ok(signal) => signal,
            Err(e) => return void(rejected(&e)),
        };
        if let Some(signal) = signal.as_ref().filter(|s| abort::is_aborted(s)) {
            return void(rejected(&abort::reason(signal)));
        }
        // The client owns the lifecycle: SPSP, connecting, paying.
        if let Err(e) = self.shared.borrow_mut().client.start(now()) {
            return void(rejected(&convert::client_error(&e)));
        }
        let shared = Rc::clone(&self.shared);
        let weak = Rc::downgrade(&self.shared);
        let p = promise(|mut w| {
            if let Some(signal) = signal {
                w.abort = abort::watch(&signal.clone(), move || {
                    if let Some(shared) = weak.upgrade() {
                        abort_start(&shared, &abort::reason(&signal));
                    }
                });
            }
            shared.borrow_mut().start_waiters.push(w);
        });
        driver::drive(&self.shared);
        void(p)
    }

    /// Stops pacing; the connection stays open (`pay()` still works).
    pub fn pause(&self) -> Result<(), JsValue> {
        let result = self.with_client(|c, now| c.pause(now));
        driver::drive(&self.shared);
        result
    }

    /// Resumes pacing.
    pub fn resume(&self) -> Result<(), JsValue> {
        let result = self.with_client(|c, now| c.resume(now));
        driver::drive(&self.shared);
        result
    }

    /// Changes the paced rate (source units per second, an integer string
    /// or BigInt) from now on: time before is paced at the old rate. Works
    /// while connecting, streaming or paused; `'0'` sends nothing paced
    /// until a later non-zero rate (`pay()` still works). Throws
    /// `invalid-option` for a bad amount, `invalid-state` once stopped.
    #[wasm_bindgen(js_name = setAmountPerSecond)]
    pub fn set_amount_per_second(&self, amount: &Amount) -> Result<(), JsValue> {
        let amount = options::amount_value(amount, "amountPerSecond")?;
        let result = self.with_client(|c, now| c.set_amount_per_second(amount, now));
        driver::drive(&self.shared);
        result
    }

    /// The paced rate in use, source units per second (decimal string).
    #[wasm_bindgen(getter, js_name = amountPerSecond)]
    pub fn amount_per_second(&self) -> String {
        decimal(self.shared.borrow().client.amount_per_second())
    }

    /// Runs `f` on the client, without holding the borrow afterwards. Call
    /// `driver::drive` once whatever `f` returned has been recorded.
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut crate::client::Client, u64) -> Result<T, crate::client::ClientError>,
    ) -> Result<T, JsValue> {
        let mut inner = self.shared.borrow_mut();
        f(&mut inner.client, now()).map_err(|e| convert::client_error(&e))
    }

    /// Sends `amount` more as one discrete payment over the same connection.
    /// Resolves with `{ sent, delivered, inDoubt }`: money whose outcome is
    /// unknown (`inDoubt`) counts toward the amount and is never sent twice.
    /// Aborting `options.signal` sends nothing more for it (packets in
    /// flight settle and stay counted) and rejects with the signal's reason.
    pub fn pay(&self, amount: &Amount, options: Option<CallOptions>) -> PaymentResult {
        let p = match abort::signal_of(options.as_deref()).and_then(|signal| {
            if let Some(signal) = signal.as_ref().filter(|s| abort::is_aborted(s)) {
                return Err(abort::reason(signal));
            }
            let amount = options::amount_value(amount, "amount")?;
            let id = self.with_client(|c, now| c.pay(amount, now))?;
            Ok((id, signal))
        }) {
            Ok((id, signal)) => {
                let shared = Rc::clone(&self.shared);
                let weak = Rc::downgrade(&self.shared);
                promise(move |mut w| {
                    if let Some(signal) = signal {
                        w.abort = abort::watch(&signal.clone(), move || {
                            if let Some(shared) = weak.upgrade() {
                                abort_pay(&shared, id, &abort::reason(&signal));
                            }
                        });
                    }
                    shared.borrow_mut().pay_waiters.push((id, w));
                })
            }
            Err(e) => rejected(&e),
        };
        driver::drive(&self.shared);
        p.unchecked_into()
    }

    /// Sends bytes to the receiver on the STREAM; resolves once acknowledged.
    /// Aborting `options.signal` rejects with the signal's reason (bytes
    /// already queued are still delivered, in order).
    #[wasm_bindgen(js_name = sendData)]
    pub fn send_data(&self, bytes: &Uint8Array, options: Option<CallOptions>) -> VoidPromise {
        let data = bytes.to_vec();
        let p = match abort::signal_of(options.as_deref()).and_then(|signal| {
            if let Some(signal) = signal.as_ref().filter(|s| abort::is_aborted(s)) {
                return Err(abort::reason(signal));
            }
            let offset = self.with_client(|c, _| c.send_data(&data))?;
            Ok((offset, signal))
        }) {
            Ok((offset, signal)) => {
                let shared = Rc::clone(&self.shared);
                let weak = Rc::downgrade(&self.shared);
                promise(move |mut w| {
                    if let Some(signal) = signal {
                        // Several sendData() calls may wait for one offset:
                        // the abort finds its own by its resolve function.
                        let own = w.resolve.clone();
                        w.abort = abort::watch(&signal.clone(), move || {
                            if let Some(shared) = weak.upgrade() {
                                abort_data(&shared, &own, &abort::reason(&signal));
                            }
                        });
                    }
                    shared.borrow_mut().data_waiters.push((offset, w));
                })
            }
            Err(e) => rejected(&e),
        };
        driver::drive(&self.shared);
        void(p)
    }

    /// Stops gracefully: in-flight packets settle, the receiver is told, the
    /// socket closes. Resolves when the totals are final.
    pub fn stop(&self) -> VoidPromise {
        let state = self.shared.borrow().state();
        if matches!(state, State::Stopped | State::Failed) {
            return void(js_sys::Promise::resolve(&JsValue::UNDEFINED));
        }
        let shared = Rc::clone(&self.shared);
        let p = promise(move |w| shared.borrow_mut().stop_waiters.push(w));
        stop_stream(&self.shared);
        void(p)
    }

    /// Source units fulfilled so far (decimal string).
    #[wasm_bindgen(getter, js_name = totalSent)]
    pub fn total_sent(&self) -> String {
        decimal(self.shared.borrow().client.total_sent())
    }

    /// Destination units the receiver reported so far (decimal string).
    #[wasm_bindgen(getter, js_name = totalDelivered)]
    pub fn total_delivered(&self) -> String {
        decimal(self.shared.borrow().client.total_delivered())
    }

    /// Source units whose outcome is unknown (decimal string): the link
    /// dropped with them in flight and the receiver has not (or cannot)
    /// confirm them. They count against every cap.
    #[wasm_bindgen(getter, js_name = totalInDoubt)]
    pub fn total_in_doubt(&self) -> String {
        decimal(self.shared.borrow().client.total_in_doubt())
    }

    /// How the stream is doing: round-trip time, packets in flight,
    /// fulfilled and rejected by ILP code, exchange-rate bounds, the path's
    /// largest packet, window, reconnects (`PaymentStreamStats`).
    #[wasm_bindgen(getter)]
    pub fn stats(&self) -> StatsObject {
        let inner = self.shared.borrow();
        convert::stats(Some(&inner.client.stats())).unchecked_into()
    }

    /// Bytes the receiver sends on the stream, in order, as a
    /// `ReadableStream<Uint8Array>` (the same one on every call). Its
    /// reader sets the pace: data the page has not read holds the receiver
    /// back (the STREAM receive window only re-opens as it is read). It
    /// closes once the stream has stopped and everything was read; if the
    /// stream failed, it errors instead (with a `PaymentStreamError`, like
    /// the `error` event's) once everything that arrived was read. `data`
    /// events fire for each chunk as it enters the stream.
    #[wasm_bindgen(getter)]
    pub fn readable(&self) -> Result<ByteStream, JsValue> {
        let stream = readable::get(&self.shared)?;
        driver::drive(&self.shared);
        Ok(stream.unchecked_into())
    }

    /// Whether the path carries less than `amountPerSecond` right now.
    #[wasm_bindgen(getter)]
    pub fn throttled(&self) -> bool {
        self.shared.borrow().client.sender().is_throttled()
    }

    /// `'idle' | 'connecting' | 'streaming' | 'paused' | 'stopped' | 'failed'`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> StateName {
        JsValue::from_str(self.shared.borrow().state().as_str()).unchecked_into()
    }

    /// Adds an event listener (`start`, `progress`, `stop`, `error`,
    /// `statechange`, `throttled`, `data`).
    /// Its TypeScript signature (typed per event) is in the custom section.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        kind: &str,
        listener: &Listener,
        options: Option<ListenerOptions>,
    ) -> Result<(), JsValue> {
        self.listen("addEventListener", kind, listener, options)
    }

    /// Removes an event listener.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        kind: &str,
        listener: &Listener,
        options: Option<ListenerOptions>,
    ) -> Result<(), JsValue> {
        self.listen("removeEventListener", kind, listener, options)
    }

    fn listen(
        &self,
        method: &str,
        kind: &str,
        listener: &Listener,
        options: Option<ListenerOptions>,
    ) -> Result<(), JsValue> {
        if method == "addEventListener" {
            self.shared.borrow_mut().listened.add(kind);
        }
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let args = Array::of3(&JsValue::from_str(kind), listener, &options);
        driver::call_target(&self.shared, method, &args).map(|_| ())
    }

    /// A description without secrets.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        let inner = self.shared.borrow();
        // The server without any query string (some servers take tokens there).
        let url = &inner.options.btp.websocket_url;
        let server = url.split(['?', '#']).next().unwrap_or(url);
        join!(
            "PaymentStream(",
            server,
            ", ",
            inner.state().as_str(),
            ", sent ",
            inner.client.total_sent(),
            ")",
        )
    }
}

/// Stops the stream gracefully (before `start()` too: it just ends).
fn stop_stream(shared: &Shared) {
    shared.borrow_mut().client.stop(now());
    driver::drive(shared);
}

/// `start()`'s signal aborted: reject the start with `reason`, then stop.
fn abort_start(shared: &Shared, reason: &JsValue) {
    let waiters = core::mem::take(&mut shared.borrow_mut().start_waiters);
    if waiters.is_empty() {
        return; // already settled
    }
    for mut w in waiters {
        abort::retire(w.abort.take());
        w.reject(reason);
    }
    stop_stream(shared);
}

/// A `pay()`'s signal aborted: nothing more is sent for it.
fn abort_pay(shared: &Shared, id: crate::client::PaymentId, reason: &JsValue) {
    let waiter = {
        let mut inner = shared.borrow_mut();
        let Some(i) = inner.pay_waiters.iter().position(|(p, _)| *p == id) else {
            return; // already settled
        };
        let (_, waiter) = inner.pay_waiters.swap_remove(i);
        inner.client.cancel_payment(id);
        waiter
    };
    let mut waiter = waiter;
    abort::retire(waiter.abort.take());
    waiter.reject(reason);
    driver::drive(shared);
}

/// A `sendData()`'s signal aborted: its promise rejects.
fn abort_data(shared: &Shared, own: &js_sys::Function, reason: &JsValue) {
    let waiter = {
        let mut inner = shared.borrow_mut();
        let Some(i) = inner
            .data_waiters
            .iter()
            .position(|(_, w)| js_sys::Object::is(&w.resolve, own))
        else {
            return;
        };
        inner.data_waiters.remove(i).1
    };
    let mut waiter = waiter;
    abort::retire(waiter.abort.take());
    waiter.reject(reason);
}

/// 32 bytes from `crypto.getRandomValues`.
fn random_seed() -> Result<[u8; 32], JsValue> {
    let crypto: web_sys::Crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?
        .dyn_into()
        .map_err(|_| {
            convert::error(
                "invalid-state",
                "this environment has no crypto.getRandomValues",
            )
        })?;
    let mut seed = [0u8; 32];
    crypto.get_random_values_with_u8_array(&mut seed)?;
    Ok(seed)
}
