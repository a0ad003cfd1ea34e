//! A binary WebSocket whose listeners live exactly as long as it does.

use js_sys::{Array, ArrayBuffer, Function, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a socket reports.
pub(crate) enum SocketEvent {
    Open,
    Message(Vec<u8>),
    Closed,
}

#[wasm_bindgen]
extern "C" {
    /// `Function.prototype`: a function that takes any arguments and does
    /// nothing. It is every socket's `error` listener, for good: browsers
    /// follow `error` with `close`, which is what we act on, but a Node
    /// EventEmitter socket (the `ws` package) throws when it emits `error`
    /// with no listener, even after we closed it (closing one that is still
    /// connecting emits `error` on the next tick).
    #[wasm_bindgen(thread_local_v2, js_namespace = Function, js_name = prototype)]
    static IGNORE_ERROR: Function;
}

/// An open (or opening) WebSocket. Dropping it removes the listeners and
/// closes the socket, so no callback runs for it afterwards.
pub(crate) struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
}

/// Whether this environment has a global `WebSocket` constructor (browsers,
/// Node.js 22+; not Node.js 20 without `--experimental-websocket`).
pub(crate) fn has_global() -> bool {
    Reflect::get(&js_sys::global(), &JsValue::from_str("WebSocket")).is_ok_and(|v| v.is_function())
}

impl Socket {
    /// Opens `url` with `constructor` (the global `WebSocket` when `None`);
    /// `on_event` is called for every event of this socket.
    pub(crate) fn open(
        url: &str,
        constructor: Option<&Function>,
        on_event: impl Fn(SocketEvent) + Clone + 'static,
    ) -> Result<Self, JsValue> {
        let ws = match constructor {
            // Used through the same properties and methods as the browser's
            // (binaryType, onopen, onmessage, onclose, onerror, send, close),
            // which is what `ws` and undici's WebSocket provide.
            Some(constructor) => {
                Reflect::construct(constructor, &Array::of1(&JsValue::from_str(url)))?
                    .unchecked_into::<WebSocket>()
            }
            None => WebSocket::new(url)?,
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let cb = on_event.clone();
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| cb(SocketEvent::Open));
        let cb = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // Text frames are not BTP; ignore them.
            if let Ok(buf) = e.data().dyn_into::<ArrayBuffer>() {
                cb(SocketEvent::Message(Uint8Array::new(&buf).to_vec()));
            }
        });
        let cb = on_event;
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| cb(SocketEvent::Closed));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // `error` is always followed by `close`; listening to `close` is enough.
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        IGNORE_ERROR.with(|f| ws.set_onerror(Some(f)));
        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one binary message; a socket that is not open drops it (the
    /// BTP session notices through its request timeouts or the close event).
    ///
    /// The bytes are always copied into a fresh `Uint8Array` first. A page's
    /// own constructor (`ws` in Node.js) needs that: it may queue the very
    /// view it is given while it compresses, and a view of wasm memory
    /// changes under it. Chromium's own `send` copies before it returns, but
    /// measured while streaming (bench `idle`, CPU profile, same number of
    /// sends as the reference client) its self time per call was 1.8 times
    /// the reference client's with a view of wasm memory (one run) and 0.6 to
    /// 1.4 times with a small array of its own (three runs): far more than
    /// the copy costs.
    pub(crate) fn send(&self, bytes: &[u8]) {
        let _ = self.ws.send_with_js_u8_array(&Uint8Array::from(bytes));
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
