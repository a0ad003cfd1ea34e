//! One reusable `setTimeout` per stream.
//!
//! The callback is made once, when the stream first needs a timer, and armed
//! again for every deadline: while streaming the client wakes about once per
//! packet (the pacer's next release), and a fresh closure per wake (as
//! `gloo_timers::Timeout` makes) costs a wasm-bindgen closure and its
//! finalizer registration each time.

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    // The global functions (browsers, workers, Node.js); the id is a number
    // in browsers and an object in Node.js, so it is kept as a `JsValue`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A timer that runs one callback at the deadline it was last armed for.
/// Dropping it clears a pending timeout.
pub(crate) struct Timer {
    callback: Closure<dyn FnMut()>,
    /// The deadline (ms since the epoch) and the platform's timeout id.
    armed: Option<(u64, JsValue)>,
}

impl Timer {
    /// A disarmed timer that calls `on_fire` whenever it fires.
    pub(crate) fn new(on_fire: impl FnMut() + 'static) -> Self {
        Self {
            callback: Closure::new(on_fire),
            armed: None,
        }
    }

    /// The deadline it is armed for.
    pub(crate) fn due(&self) -> Option<u64> {
        self.armed.as_ref().map(|(at, _)| *at)
    }

    /// Arms it for `at`, `delay_ms` from now, replacing any earlier arming.
    pub(crate) fn arm(&mut self, at: u64, delay_ms: u64) {
        self.cancel();
        let delay = i32::try_from(delay_ms).unwrap_or(i32::MAX);
        let id = set_timeout(self.callback.as_ref().unchecked_ref(), delay);
        self.armed = Some((at, id));
    }

    /// Marks it fired (called first thing by the callback).
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }

    /// Clears a pending timeout.
    pub(crate) fn cancel(&mut self) {
        if let Some((_, id)) = self.armed.take() {
            clear_timeout(&id);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.cancel();
    }
}
