//! The run loop in the browser: socket and timer events in, `Client`
//! outputs out, promises settled, DOM events dispatched.
//!
//! Everything the page can touch lives in one `Rc<RefCell<Inner>>`. No borrow
//! is held while a page listener runs (listeners may call back into the
//! stream), nor across an `.await`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, EventTarget};

use super::convert::{self, Detail};
use super::options::{Options, Receiver};
use super::socket::{Socket, SocketEvent};
use super::timer::Timer;
use crate::client::{
    Client, ClientConfig, Event, Input, Output, PaymentId, ReceiverDetails, State,
};

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
///
/// The executor only takes the callbacks (`new Promise` runs it at once), and
/// `keep` runs after it: one executor closure for every caller, not one per
/// `keep`.
pub(crate) fn promise(keep: impl FnOnce(Waiter)) -> js_sys::Promise {
    let mut waiter = None;
    let p = new_promise(&mut waiter);
    if let Some(w) = waiter {
        keep(w);
    }
    p
}

fn new_promise(waiter: &mut Option<Waiter>) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        *waiter = Some(Waiter {
            resolve,
            reject,
            abort: None,
        });
    })
}

/// A promise already rejected with `error`.
pub(crate) fn rejected(error: &JsValue) -> js_sys::Promise {
    js_sys::Promise::reject(error)
}

/// The shared state of one `PaymentStream`.
pub(crate) struct Inner {
    pub(crate) options: Options,
    pub(crate) client: Client,
    pub(crate) target: EventTarget,
    socket: Option<Socket>,
    socket_id: u32,
    /// Made when first needed (its callback holds a weak reference).
    timer: Option<Timer>,
    pub(crate) start_waiters: Vec<Waiter>,
    pub(crate) stop_waiters: Vec<Waiter>,
    pub(crate) pay_waiters: Vec<(PaymentId, Waiter)>,
    pub(crate) data_waiters: Vec<(u64, Waiter)>,
    /// The page's `readable`, once it asked for it.
    pub(crate) readable: Option<super::readable::Readable>,
    /// Data is being handed to the page (`readable::pump`).
    pub(crate) pumping: bool,
    /// The error the stream failed with, for `readable` to end with.
    pub(crate) failure: Option<JsValue>,
    /// The events the page has ever listened to.
    pub(crate) listened: Listened,
}

/// The event names the page has ever passed to `addEventListener`. An
/// event nobody listens to has no effect, so its detail (a dozen JS
/// strings for `progress`) is not built and it is not dispatched; a name
/// stays listed after `removeEventListener` (a listener may also leave by
/// `once` or a signal, which the target does not tell us), so the only
/// events left out are those no listener was ever added for.
#[derive(Default)]
pub(crate) struct Listened(u8);

/// Every event the stream dispatches, each a bit of [`Listened`].
const EVENT_NAMES: [&str; 7] = [
    "start",
    "progress",
    "stop",
    "error",
    "statechange",
    "throttled",
    "data",
];

impl Listened {
    fn bit(name: &str) -> u8 {
        EVENT_NAMES
            .iter()
            .position(|n| *n == name)
            .map_or(0, |i| 1 << i)
    }

    /// Notes a listener added for `name`.
    pub(crate) fn add(&mut self, name: &str) {
        self.0 |= Self::bit(name);
    }

    /// Whether a listener for `name` was ever added.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0 & Self::bit(name) != 0
    }
}

pub(crate) type Shared = Rc<RefCell<Inner>>;

/// Milliseconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    // Date.now() is a whole number of milliseconds.
    js_sys::Date::now() as u64
}

impl Inner {
    /// The stream's state: a client built from `options`, seeded with
    /// `seed` (from a real entropy source), not started.
    pub(crate) fn new(options: Options, target: EventTarget, seed: [u8; 32]) -> Self {
        let receiver = match &options.receiver {
            Receiver::Direct {
                destination,
                shared_secret,
            } => Some(ReceiverDetails {
                destination: destination.clone(),
                shared_secret: *shared_secret,
            }),
            // The client asks for it (Output::ResolveReceiver) when it starts.
            Receiver::Spsp(_) => None,
        };
        let config = ClientConfig {
            credentials: options.btp.credentials.clone(),
            receiver,
            amount_per_second: options.amount_per_second,
            max_total: options.max_total,
            slippage_ppm: options.slippage_ppm,
            seed,
            tuning: crate::client::Tuning {
                connect_timeout_ms: options.connect_timeout_ms,
                ..crate::client::Tuning::default()
            },
        };
        Self {
            options,
            client: Client::new(config),
            target,
            socket: None,
            socket_id: 0,
            timer: None,
            start_waiters: Vec::new(),
            stop_waiters: Vec::new(),
            pay_waiters: Vec::new(),
            data_waiters: Vec::new(),
            readable: None,
            pumping: false,
            failure: None,
            listened: Listened::default(),
        }
    }

    pub(crate) fn state(&self) -> State {
        self.client.state()
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

fn on_socket_event(weak: &Weak<RefCell<Inner>>, id: u32, event: SocketEvent<'_>) {
    let Some(shared) = weak.upgrade() else { return };
    let now = {
        let mut inner = shared.borrow_mut();
        if inner.socket_id != id {
            return; // an old socket
        }
        let now = now();
        let client = &mut inner.client;
        match &event {
            SocketEvent::Open => client.handle_input(Input::SocketOpened, now),
            SocketEvent::Message(bytes) => client.handle_input(Input::SocketMessage(bytes), now),
            SocketEvent::Closed => client.handle_input(Input::SocketClosed, now),
        }
        if matches!(event, SocketEvent::Closed) {
            inner.socket = None;
        }
        now
    };
    drive_at(&shared, now);
}

/// Drains the client's outputs, then settles promises and dispatches events.
pub(crate) fn drive(shared: &Shared) {
    drive_at(shared, now());
}

/// [`drive`] at `now`, the time its caller just gave the client (one
/// `Date.now()` per socket message instead of two).
fn drive_at(shared: &Shared, now: u64) {
    let mut events = Vec::new();
    let mut resolve = None;
    {
        let mut inner = shared.borrow_mut();
        let weak = Rc::downgrade(shared);
        loop {
            match inner.client.poll_output(now) {
                Output::ResolveReceiver => {
                    if let Receiver::Spsp(endpoint) = &inner.options.receiver {
                        resolve =
                            Some((endpoint.url().to_owned(), inner.options.connect_timeout_ms));
                    }
                }
                Output::Connect => {
                    if !inner.open_socket(&weak) {
                        let input =
                            if inner.options.websocket.is_none() && !super::socket::has_global() {
                                Input::NoWebSocket
                            } else {
                                Input::SocketClosed
                            };
                        inner.client.handle_input(input, now);
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
    if let Some((url, timeout_ms)) = resolve {
        let weak = Rc::downgrade(shared);
        super::spsp::query(&url, timeout_ms, move |answer| {
            let Some(shared) = weak.upgrade() else { return };
            let input = match answer {
                Ok(receiver) => Input::ReceiverResolved(receiver),
                Err(failure) => Input::ReceiverFailed(failure),
            };
            shared.borrow_mut().client.handle_input(input, self::now());
            drive(&shared);
        });
    }
    for event in events {
        settle(shared, &event);
        let Some(name) = convert::name(&event) else {
            continue;
        };
        if !shared.borrow().listened.has(name) {
            continue;
        }
        // Building the detail runs no page code (plain objects, strings).
        let detail = {
            let inner = shared.borrow();
            convert::detail(&event, Some(&convert::Assets::of(&inner.client)))
        };
        if let Some(detail) = detail {
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
    let timer = inner.timer.get_or_insert_with(|| {
        let weak = weak.clone();
        Timer::new(move || {
            if let Some(shared) = weak.upgrade() {
                if let Some(timer) = shared.borrow_mut().timer.as_mut() {
                    timer.fired();
                }
                drive(&shared);
            }
        })
    });
    if at == u64::MAX {
        timer.cancel();
        return;
    }
    // A timer that fires no later than needed is kept: waking early is
    // harmless (the client just polls), and not re-arming on every socket
    // message saves a clearTimeout/setTimeout pair per packet.
    if timer.due().is_some_and(|when| when <= at) {
        return;
    }
    timer.arm(at, at.saturating_sub(now));
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
            Event::Stopped { error, .. } => {
                inner.socket = None;
                if let Some(timer) = inner.timer.as_mut() {
                    timer.cancel();
                }
                inner.failure = error.as_ref().map(convert::client_error);
                let error = error.as_ref().map_or_else(
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
