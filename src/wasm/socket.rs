//! A binary WebSocket whose listeners live exactly as long as it does.

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a socket reports.
pub(crate) enum SocketEvent {
    Open,
    Message(Vec<u8>),
    Closed,
}

/// An open (or opening) WebSocket. Dropping it removes the listeners and
/// closes the socket, so no callback runs for it afterwards.
pub(crate) struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
}

impl Socket {
    /// Opens `url`; `on_event` is called for every event of this socket.
    pub(crate) fn open(
        url: &str,
        on_event: impl Fn(SocketEvent) + Clone + 'static,
    ) -> Result<Self, JsValue> {
        let ws = WebSocket::new(url)?;
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
        Ok(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one binary message; a socket that is not open drops it (the
    /// BTP session notices through its request timeouts or the close event).
    pub(crate) fn send(&self, bytes: &[u8]) {
        let _ = self.ws.send_with_u8_array(bytes);
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
