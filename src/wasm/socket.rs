//! A binary WebSocket whose listeners live exactly as long as it does.

use js_sys::{Array, ArrayBuffer, Function, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a socket reports (a message's bytes are lent for the call).
pub(crate) enum SocketEvent<'a> {
    Open,
    Message(&'a [u8]),
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
    /// A page-given constructor: sent bytes are copied out of wasm memory.
    copy: bool,
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
        on_event: impl Fn(SocketEvent<'_>) + Clone + 'static,
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
        // One buffer per socket, reused for every message (no allocation
        // per packet once it has grown to the largest message).
        let mut bytes = Vec::new();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            // Text frames are not BTP; ignore them.
            if let Ok(buf) = e.data().dyn_into::<ArrayBuffer>() {
                let array = Uint8Array::new(&buf);
                bytes.resize(array.length() as usize, 0);
                array.copy_to(&mut bytes);
                cb(SocketEvent::Message(&bytes));
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
            copy: constructor.is_some(),
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one binary message; a socket that is not open drops it (the
    /// BTP session notices through its request timeouts or the close event).
    ///
    /// The platform's own `WebSocket` is given a view of wasm memory: its
    /// `send` copies the bytes before it returns (browsers; undici's in
    /// Node.js frames them at once), and measured in Chromium (bench
    /// `metric`: 150 bytes, 1,000 sends/s) `send` costs the same per call
    /// for a view of a `WebAssembly.Memory` as for a small array of its
    /// own, while a fresh copy (`Uint8Array::from`) was our JS glue's
    /// second-largest self time while streaming (bench `idle`, CPU
    /// profile). A page's own constructor (`ws` in Node.js) gets a fresh
    /// `Uint8Array`: it may queue the very view it is given while it
    /// compresses, and a view of wasm memory changes under it.
    pub(crate) fn send(&self, bytes: &[u8]) {
        let _ = if self.copy {
            self.ws.send_with_js_u8_array(&Uint8Array::from(bytes))
        } else {
            self.ws.send_with_u8_array(bytes)
        };
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
