//! `AbortSignal` support, as the web platform does it: `start({ signal })`,
//! `pay(amount, { signal })`, `sendData(bytes, { signal })` reject with the
//! signal's `reason` when it aborts (at once if it already has).
//!
//! The `abort` listener is owned by the promise it can cancel
//! ([`AbortWatch`], kept in the promise's waiter) and removed when that
//! promise settles. When the signal fires, the listener that is running
//! must not be freed under itself: the waiter's watch is retired and
//! dropped on a later microtask.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use super::convert;
use super::options::invalid;

/// An `abort` listener on a signal, removed on drop.
pub(crate) struct AbortWatch {
    target: EventTarget,
    listener: Closure<dyn FnMut()>,
}

impl Drop for AbortWatch {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}

/// The `signal` of a call's options object: `None` without one; an
/// `invalid-option` error when it is not an `AbortSignal`.
pub(crate) fn signal_of(options: Option<&JsValue>) -> Result<Option<EventTarget>, JsValue> {
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok(None);
    };
    let signal = Reflect::get(options, &JsValue::from_str("signal")).unwrap_or_default();
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    let looks_right = Reflect::get(&signal, &JsValue::from_str("aborted"))
        .is_ok_and(|a| a.as_bool().is_some())
        && signal.is_instance_of::<EventTarget>();
    if !looks_right {
        return Err(invalid("signal", "must be an AbortSignal"));
    }
    Ok(Some(signal.unchecked_into()))
}

/// Whether `signal` has aborted.
pub(crate) fn is_aborted(signal: &EventTarget) -> bool {
    Reflect::get(signal, &JsValue::from_str("aborted"))
        .ok()
        .and_then(|a| a.as_bool())
        .unwrap_or(false)
}

/// What a promise cancelled by `signal` rejects with: its `reason`, or an
/// `AbortError` where the platform gives none.
pub(crate) fn reason(signal: &EventTarget) -> JsValue {
    match Reflect::get(signal, &JsValue::from_str("reason")) {
        Ok(r) if !r.is_undefined() => r,
        _ => {
            let e = convert::error("aborted", "the operation was aborted");
            let _ = Reflect::set(&e, &JsValue::from_str("name"), &"AbortError".into());
            e
        }
    }
}

/// Calls `on_abort` once when `signal` aborts, for as long as the watch lives.
pub(crate) fn watch(signal: &EventTarget, on_abort: impl FnOnce() + 'static) -> Option<AbortWatch> {
    let mut on_abort = Some(on_abort);
    let listener = Closure::<dyn FnMut()>::new(move || {
        if let Some(f) = on_abort.take() {
            f();
        }
    });
    signal
        .add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref())
        .ok()?;
    Some(AbortWatch {
        target: signal.clone(),
        listener,
    })
}

/// Drops `watch` on a later microtask: its listener may be the one running.
pub(crate) fn retire(watch: Option<AbortWatch>) {
    let Some(watch) = watch else { return };
    let drop_later = Closure::once_into_js(move |_: JsValue| drop(watch));
    let then: Option<Function> = Reflect::get(
        &Promise::resolve(&JsValue::UNDEFINED),
        &JsValue::from_str("then"),
    )
    .ok()
    .and_then(|f| f.dyn_into().ok());
    if let Some(then) = then {
        // The resolved promise always calls it once, which frees it.
        let _ = then.call1(&Promise::resolve(&JsValue::UNDEFINED), &drop_later);
    }
}
