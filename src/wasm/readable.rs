//! Data the receiver sends, handed to the page: `data` events and the
//! `readable` `ReadableStream<Uint8Array>`.
//!
//! The core keeps the received bytes behind its receive window and lets
//! them out only through `Client::read`; reading re-opens the window. So
//! back-pressure is just *when this module reads*:
//!
//! - Without `readable`, it reads whatever is waiting at once (each chunk
//!   is a `data` event): the page consumes as fast as data arrives.
//! - Once the page has taken `readable`, it reads only as much as the
//!   stream's queue has room for (`desiredSize`, in bytes, high-water mark
//!   [`HIGH_WATER_MARK`]), and again when the page's reader pulls. A page
//!   that stops reading fills the queue, then the core's window, and the
//!   receiver is held back. `data` events still fire, as chunks enter the
//!   queue.
//!
//! When the stream has stopped, what is left is handed out and `readable`
//! closes. When it failed, `readable` errors instead, with a
//! `PaymentStreamError` like the one the `error` event carried, once the
//! page has read every byte that arrived (erroring a `ReadableStream` drops
//! its queue, so this waits for the queue to empty): a reader can tell a
//! cut-off stream from a finished one.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Uint8Array;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    ByteLengthQueuingStrategy, QueuingStrategy, QueuingStrategyInit, ReadableStream,
    ReadableStreamDefaultController, UnderlyingSource,
};

use super::convert::Detail;
use super::driver::{self, Inner, Shared};
use crate::client::State;

/// Bytes `readable` queues before it stops taking data from the core.
pub(crate) const HIGH_WATER_MARK: f64 = 65_536.0;
/// Largest chunk handed to the page at once.
const MAX_CHUNK: usize = 16_384;

type Controller = Rc<RefCell<Option<ReadableStreamDefaultController>>>;

/// The page's `ReadableStream` and the callbacks it calls (dropped with it).
pub(crate) struct Readable {
    stream: ReadableStream,
    controller: Controller,
    closed: bool,
    _start: Closure<dyn FnMut(ReadableStreamDefaultController)>,
    _pull: Closure<dyn FnMut(ReadableStreamDefaultController)>,
    _cancel: Closure<dyn FnMut(JsValue)>,
}

impl Readable {
    fn new(weak: &Weak<RefCell<Inner>>) -> Result<Self, JsValue> {
        let controller: Controller = Rc::new(RefCell::new(None));
        let keep = Rc::clone(&controller);
        let start = Closure::<dyn FnMut(ReadableStreamDefaultController)>::new(
            move |c: ReadableStreamDefaultController| {
                *keep.borrow_mut() = Some(c);
            },
        );
        let on_pull = weak.clone();
        // The stream may call this synchronously from `enqueue` or a
        // reader's `read()`; while `pump` runs, its own loop goes on.
        let pull = Closure::<dyn FnMut(ReadableStreamDefaultController)>::new(
            move |_: ReadableStreamDefaultController| {
                if let Some(shared) = on_pull.upgrade() {
                    let busy = shared.try_borrow().map_or(true, |inner| inner.pumping);
                    if !busy {
                        driver::drive(&shared);
                    }
                }
            },
        );
        let on_cancel = weak.clone();
        let cancel = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            // The page gave up reading through `readable`: data goes to
            // `data` events again, as fast as it comes.
            if let Some(shared) = on_cancel.upgrade() {
                if let Some(r) = shared.borrow_mut().readable.as_mut() {
                    r.closed = true;
                }
                driver::drive(&shared);
            }
        });
        let source = UnderlyingSource::new();
        source.set_start(start.as_ref().unchecked_ref());
        source.set_pull(pull.as_ref().unchecked_ref());
        source.set_cancel(cancel.as_ref().unchecked_ref());
        let strategy = ByteLengthQueuingStrategy::new(&QueuingStrategyInit::new(HIGH_WATER_MARK))?;
        let strategy: QueuingStrategy = strategy.unchecked_into();
        let stream = ReadableStream::new_with_underlying_source_and_strategy(&source, &strategy)?;
        Ok(Self {
            stream,
            controller,
            closed: false,
            _start: start,
            _pull: pull,
            _cancel: cancel,
        })
    }

    /// Bytes the queue has room for (`None`: no limit, not in use).
    fn room(&self) -> Option<usize> {
        if self.closed {
            return None;
        }
        let desired = self.controller.borrow().as_ref()?.desired_size()?;
        // A whole number of bytes, clamped to 0..=MAX_CHUNK.
        Some(if desired >= MAX_CHUNK as f64 {
            MAX_CHUNK
        } else if desired >= 1.0 {
            desired as usize
        } else {
            0
        })
    }

    /// The controller, to call without any borrow of `Inner` held (the
    /// stream may call back into `pull`).
    fn open_controller(&self) -> Option<ReadableStreamDefaultController> {
        if self.closed {
            return None;
        }
        self.controller.borrow().clone()
    }

    /// Ends the stream once everything was handed out: closes it, or after
    /// a failure (the stream's error) errors it once its queue is empty
    /// (else the next `pull`, made when the page reads, comes back here).
    fn finish(&mut self, failure: Option<&JsValue>) {
        if self.closed {
            return;
        }
        let Some(c) = self.controller.borrow().clone() else {
            return;
        };
        match failure {
            None => {
                let _ = c.close();
                self.closed = true;
            }
            Some(error) => {
                if c.desired_size().is_some_and(|d| d >= HIGH_WATER_MARK) {
                    c.error_with_e(error);
                    self.closed = true;
                }
            }
        }
    }
}

/// The `readable` getter: the same stream every time.
pub(crate) fn get(shared: &Shared) -> Result<ReadableStream, JsValue> {
    if let Some(r) = shared.borrow().readable.as_ref() {
        return Ok(r.stream.clone());
    }
    let readable = Readable::new(&Rc::downgrade(shared))?;
    let stream = readable.stream.clone();
    shared.borrow_mut().readable = Some(readable);
    Ok(stream)
}

/// Hands the page whatever data the core lets out now (see the module
/// docs). Returns whether anything was read (the window moved: the client
/// may have a window update to send).
pub(crate) fn pump(shared: &Shared) -> bool {
    {
        let mut inner = shared.borrow_mut();
        if inner.pumping {
            return false; // called back from inside the loop below
        }
        inner.pumping = true;
    }
    let read_any = pump_loop(shared);
    shared.borrow_mut().pumping = false;
    read_any
}

fn pump_loop(shared: &Shared) -> bool {
    let mut read_any = false;
    loop {
        let chunk = {
            let mut inner = shared.borrow_mut();
            let room = inner.readable.as_ref().and_then(Readable::room);
            let finished = matches!(inner.state(), State::Stopped | State::Failed);
            let client = &mut inner.client;
            let waiting = client.readable();
            // After the stream stopped nothing more comes: hand out the rest.
            let n = waiting
                .min(if finished {
                    usize::MAX
                } else {
                    room.unwrap_or(usize::MAX)
                })
                .min(MAX_CHUNK);
            if n == 0 {
                if finished && waiting == 0 {
                    let failure = inner.failure.clone();
                    if let Some(r) = inner.readable.as_mut() {
                        r.finish(failure.as_ref());
                    }
                }
                return read_any;
            }
            let mut buf = vec![0; n];
            let got = client.read(&mut buf);
            buf.truncate(got);
            buf
        };
        if chunk.is_empty() {
            return read_any;
        }
        read_any = true;
        let array = Uint8Array::from(chunk.as_slice());
        let controller = shared
            .borrow()
            .readable
            .as_ref()
            .and_then(Readable::open_controller);
        if let Some(c) = controller {
            let _ = c.enqueue_with_chunk(&array);
        }
        if shared.borrow().listened.has("data") {
            driver::dispatch(shared, "data", Detail::new().set("data", array).into_js());
        }
    }
}
