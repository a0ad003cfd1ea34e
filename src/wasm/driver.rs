//! The run loop in the browser: socket and timer events in, `Client`
//! outputs out, promises settled, DOM events dispatched.
//!
//! Everything the page can touch lives in one `Rc<RefCell<Inner>>`. No borrow
//! is held while a page listener runs (listeners may call back into the
//! stream), nor across an `.await`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, EventTarget};

use super::convert::{self, Detail};
use super::options::{Options, Receiver};
use super::socket::{Socket, SocketEvent};
use crate::client::{Client, ClientConfig, ClientError, Event, Input, Output, PaymentId, State};

/// A promise's two callbacks, and the `abort` listener that can cancel it.
pub(crate) struct Waiter {
    pub(crate) resolve: Function,
    pub(crate) reject: Function,
    pub(crate) abort: Option<super::abort::AbortWatch>,
}

impl Waiter {
    fn resolve(&self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::NULL, value);
    }

    pub(crate) fn reject(&self, error: &JsValue) {
        let _ = self.reject.call1(&JsValue::NULL, error);
    }
}

/// Creates a promise and hands its callbacks to `keep`.
pub(crate) fn promise(keep: impl FnOnce(Waiter)) -> js_sys::Promise {
    let mut keep = Some(keep);
    js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(keep) = keep.take() {
            keep(Waiter {
                resolve,
                reject,
                abort: None,
            });
        }
    })
}

/// A promise already rejected with `error`.
pub(crate) fn rejected(error: &JsValue) -> js_sys::Promise {
    js_sys::Promise::reject(error)
}

/// The shared state of one `PaymentStream`.
pub(crate) struct Inner {
    pub(crate) options: Options,
    pub(crate) client: Option<Client>,
    /// State before the client exists (idle, connecting during SPSP, failed).
    pub(crate) early_state: State,
    pub(crate) target: EventTarget,
    socket: Option<Socket>,
    socket_id: u32,
    timer: Option<(u64, Timeout)>,
    pub(crate) start_waiters: Vec<Waiter>,
    pub(crate) stop_waiters: Vec<Waiter>,
    pub(crate) pay_waiters: Vec<(PaymentId, Waiter)>,
    pub(crate) data_waiters: Vec<(u64, Waiter)>,
    last_error: Option<ClientError>,
    /// The page's `readable`, once it asked for it.
    pub(crate) readable: Option<super::readable::Readable>,
    /// Data is being handed to the page (`readable::pump`).
    pub(crate) pumping: bool,
}

pub(crate) type Shared = Rc<RefCell<Inner>>;

/// Milliseconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    // Date.now() is a whole number of milliseconds.
    js_sys::Date::now() as u64
}

impl Inner {
    pub(crate) fn new(options: Options, target: EventTarget) -> Self {
        Self {
            options,
            client: None,
            early_state: State::Idle,
            target,
            socket: None,
            socket_id: 0,
            timer: None,
            start_waiters: Vec::new(),
            stop_waiters: Vec::new(),
            pay_waiters: Vec::new(),
            data_waiters: Vec::new(),
            last_error: None,
            readable: None,
            pumping: false,
        }
    }

    pub(crate) fn state(&self) -> State {
        self.client.as_ref().map_or(self.early_state, Client::state)
    }

    fn open_socket(&mut self, weak: &Weak<RefCell<Self>>) -> bool {
        self.socket = None;
        self.socket_id = self.socket_id.wrapping_add(1);
        let id = self.socket_id;
        let weak = weak.clone();
        let url = self.options.btp.websocket_url.clone();
        let constructor = self.options.websocket.as_ref();
        match Socket::open(&url, constructor, move |event| {
            on_socket_event(&weak, id, event)
        }) {
            Ok(socket) => {
                self.socket = Some(socket);
                true
            }
            Err(_) => false,
        }
    }
}

fn on_socket_event(weak: &Weak<RefCell<Inner>>, id: u32, event: SocketEvent) {
    let Some(shared) = weak.upgrade() else { return };
    {
        let mut inner = shared.borrow_mut();
        if inner.socket_id != id {
            return; // an old socket
        }
        let now = now();
        let Some(client) = inner.client.as_mut() else {
            return;
        };
        match &event {
            SocketEvent::Open => client.handle_input(Input::SocketOpened, now),
            SocketEvent::Message(bytes) => client.handle_input(Input::SocketMessage(bytes), now),
            SocketEvent::Closed => client.handle_input(Input::SocketClosed, now),
        }
        if matches!(event, SocketEvent::Closed) {
            inner.socket = None;
        }
    }
    drive(&shared);
}

/// Builds the client once the receiver is known and starts it.
pub(crate) fn begin(
    shared: &Shared,
    destination: crate::ilp::OwnedAddress,
    shared_secret: [u8; 32],
    seed: [u8; 32],
) {
    {
        let mut inner = shared.borrow_mut();
        if inner.early_state != State::Connecting {
            return; // stopped while SPSP was in flight
        }
        let options = &inner.options;
        let mut client = Client::new(ClientConfig {
            credentials: options.btp.credentials.clone(),
            destination,
            shared_secret,
            amount_per_second: options.amount_per_second,
            max_total: options.max_total,
            slippage_ppm: options.slippage_ppm,
            seed,
            tuning: crate::client::Tuning {
                connect_timeout_ms: options.connect_timeout_ms,
                ..crate::client::Tuning::default()
            },
        });
        // The client is Idle, so start() cannot fail.
        let _ = client.start(now());
        inner.client = Some(client);
    }
    drive(shared);
}

/// Ends the stream before a client exists: SPSP failed (`error` is set,
/// state `failed`), or `stop()` was called before or during SPSP. Rejects
/// `start()` with `start_error`, fires `statechange`, `error` (if any) and
/// `stop`, and resolves `stop()`.
pub(crate) fn finish_early(shared: &Shared, start_error: &JsValue, error: Option<(&str, &str)>) {
    let state = if error.is_some() {
        State::Failed
    } else {
        State::Stopped
    };
    let waiters = {
        let mut inner = shared.borrow_mut();
        inner.early_state = state;
        core::mem::take(&mut inner.start_waiters)
    };
    for w in &waiters {
        w.reject(start_error);
    }
    dispatch(
        shared,
        "statechange",
        Detail::new().set("state", state.as_str()).into_js(),
    );
    if let Some((code, message)) = error {
        dispatch(shared, "error", convert::error_detail(code, message));
    }
    let reason = if error.is_some() { "error" } else { "stopped" };
    dispatch(
        shared,
        "stop",
        Detail::new()
            .set("reason", reason)
            .set("totalSent", "0")
            .set("totalDelivered", "0")
            .set("totalInDoubt", "0")
            .into_js(),
    );
    let stop_waiters = core::mem::take(&mut shared.borrow_mut().stop_waiters);
    for w in &stop_waiters {
        w.resolve(&JsValue::UNDEFINED);
    }
}

/// Fails the stream before a client exists (the SPSP query failed, or
/// there is no WebSocket to connect with).
pub(crate) fn fail_early(shared: &Shared, code: &str, message: &str) {
    finish_early(
        shared,
        &convert::error(code, message),
        Some((code, message)),
    );
}

/// Drains the client's outputs, then settles promises and dispatches events.
pub(crate) fn drive(shared: &Shared) {
    let mut events = Vec::new();
    {
        let mut inner = shared.borrow_mut();
        let weak = Rc::downgrade(shared);
        let now = now();
        while let Some(client) = inner.client.as_mut() {
            match client.poll_output(now) {
                Output::Connect => {
                    if !inner.open_socket(&weak) {
                        if let Some(client) = inner.client.as_mut() {
                            client.handle_input(Input::SocketClosed, now);
                        }
                    }
                }
                Output::Send(bytes) => {
                    if let Some(socket) = &inner.socket {
                        socket.send(&bytes);
                    }
                }
                Output::Disconnect => {
                    inner.socket = None;
                    inner.socket_id = inner.socket_id.wrapping_add(1);
                }
                Output::Event(event) => events.push(event),
                Output::Timeout(at) => {
                    schedule(&mut inner, at, now, &weak);
                    break;
                }
            }
        }
    }
    for event in events {
        settle(shared, &event);
        let assets = {
            let inner = shared.borrow();
            inner.client.as_ref().map(convert::Assets::of)
        };
        if let Some((name, detail)) = convert::event(&event, assets.as_ref()) {
            dispatch(shared, name, detail);
        }
    }
    // Received data to the page; reading moves the receive window, so the
    // client may have a window update to send.
    if super::readable::pump(shared) {
        drive(shared);
    }
}

fn schedule(inner: &mut Inner, at: u64, now: u64, weak: &Weak<RefCell<Inner>>) {
    if at == u64::MAX {
        inner.timer = None;
        return;
    }
    // A timer that fires no later than needed is kept: waking early is
    // harmless (the client just polls), and not re-arming on every socket
    // message saves a clearTimeout/setTimeout pair per packet.
    if inner.timer.as_ref().is_some_and(|(when, _)| *when <= at) {
        return;
    }
    let delay = u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX);
    let weak = weak.clone();
    let timeout = Timeout::new(delay, move || {
        if let Some(shared) = weak.upgrade() {
            shared.borrow_mut().timer = None;
            drive(&shared);
        }
    });
    inner.timer = Some((at, timeout));
}

/// Resolves or rejects the promises an event decides.
fn settle(shared: &Shared, event: &Event) {
    let mut resolve: Vec<(Waiter, JsValue)> = Vec::new();
    let mut reject: Vec<(Waiter, JsValue)> = Vec::new();
    {
        let mut inner = shared.borrow_mut();
        match event {
            Event::Started { .. } => {
                for w in inner.start_waiters.drain(..) {
                    resolve.push((w, JsValue::UNDEFINED));
                }
            }
            Event::PaymentDone {
                id,
                sent,
                delivered,
                in_doubt,
            } => {
                if let Some(i) = inner.pay_waiters.iter().position(|(p, _)| p == id) {
                    let (_, w) = inner.pay_waiters.swap_remove(i);
                    let value = Detail::new()
                        .amount("sent", *sent)
                        .amount("delivered", *delivered)
                        .amount("inDoubt", *in_doubt)
                        .into_js();
                    resolve.push((w, value));
                }
            }
            Event::PaymentFailed { id, error } => {
                if let Some(i) = inner.pay_waiters.iter().position(|(p, _)| p == id) {
                    let (_, w) = inner.pay_waiters.swap_remove(i);
                    reject.push((w, convert::client_error(error)));
                }
            }
            Event::DataAcknowledged { offset } => {
                let (done, waiting): (Vec<_>, Vec<_>) = inner
                    .data_waiters
                    .drain(..)
                    .partition(|(target, _)| target <= offset);
                inner.data_waiters = waiting;
                resolve.extend(done.into_iter().map(|(_, w)| (w, JsValue::UNDEFINED)));
            }
            Event::Error(e) => inner.last_error = Some(e.clone()),
            Event::Stopped { .. } => {
                inner.socket = None;
                inner.timer = None;
                let error = inner.last_error.as_ref().map_or_else(
                    || convert::error("stopped", "the stream stopped"),
                    convert::client_error,
                );
                for w in inner.start_waiters.drain(..) {
                    reject.push((w, error.clone()));
                }
                for (_, w) in inner.data_waiters.drain(..) {
                    reject.push((w, error.clone()));
                }
                for (_, w) in inner.pay_waiters.drain(..) {
                    reject.push((w, error.clone()));
                }
                for w in inner.stop_waiters.drain(..) {
                    resolve.push((w, JsValue::UNDEFINED));
                }
            }
            _ => {}
        }
    }
    for (w, v) in &resolve {
        w.resolve(v);
    }
    for (w, e) in &reject {
        w.reject(e);
    }
}

/// Fires a `CustomEvent` on the stream's event target (no borrow held).
pub(crate) fn dispatch(shared: &Shared, name: &str, detail: JsValue) {
    let target = shared.borrow().target.clone();
    let init = CustomEventInit::new();
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

/// Calls `method` of the event target with `args` (add/removeEventListener).
pub(crate) fn call_target(
    shared: &Shared,
    method: &str,
    args: &js_sys::Array,
) -> Result<JsValue, JsValue> {
    let target = shared.borrow().target.clone();
    let f: Function = Reflect::get(&target, &JsValue::from_str(method))?.into();
    Reflect::apply(&f, &target, args)
}

/// What `start()` rejects with when there is no `WebSocket` option and no
/// global `WebSocket` (Node.js before 22).
pub(crate) const NO_WEBSOCKET: &str = "this environment has no global WebSocket: \
     on Node.js before 22 pass one as the `WebSocket` option \
     (`import WebSocket from 'ws'`, then `new PaymentStream({ ..., WebSocket })`)";

/// Reads the receiver's details from SPSP, or takes them from the options,
/// and hands them to `done` from a later microtask (never before this
/// returns); an SPSP failure is the message of an `spsp-failed` error.
/// With `no_websocket` (no `WebSocket` option and no global one) nothing is
/// queried: `done` gets [`NO_WEBSOCKET`], for a `btp-connect-failed` error.
pub(crate) fn resolve_receiver(
    shared: &Shared,
    no_websocket: bool,
    done: impl FnOnce(super::spsp::Answer) + 'static,
) {
    let (url, timeout_ms) = {
        let inner = shared.borrow();
        let timeout_ms = inner.options.connect_timeout_ms;
        match &inner.options.receiver {
            Receiver::Spsp(endpoint) if !no_websocket => (endpoint.url().to_owned(), timeout_ms),
            receiver => {
                let answer = match receiver {
                    Receiver::Direct {
                        destination,
                        shared_secret,
                    } if !no_websocket => Ok((destination.clone(), *shared_secret)),
                    _ => Err(NO_WEBSOCKET.to_owned()),
                };
                let ready = js_sys::Promise::resolve(&JsValue::UNDEFINED);
                super::spsp::on_settled(&ready, move |_| done(answer));
                return;
            }
        }
    };
    super::spsp::query(&url, timeout_ms, done);
}
