// Pay while the media plays: `stream.attachMedia(element)` binds a PaymentStream to an
// <audio> or <video> element, so the payment follows the player (playing -> resume(),
// pause / ended / waiting / stalled / seeking / emptied -> pause()) and, by default,
// the page's visibility.
//
// Shipped in the npm package as pkg/media.js; scripts/finish-pkg.mjs installs
// `attachMedia` on PaymentStream.prototype from the package entry and re-exports
// MediaBinding. DOM wiring only: pausing, resuming and every protocol decision stay
// in the PaymentStream (the core), which keeps its state when the binding ends.

// The element events that stop the money, and those that start it again if the element
// is playing: `playing`, and `seeked`, since an element whose data is all there plays on
// after a seek without a `playing` event.
const STOP_EVENTS = ['pause', 'ended', 'waiting', 'stalled', 'seeking', 'emptied'];
const PLAY_EVENTS = ['playing', 'seeked'];
// HTMLMediaElement.HAVE_FUTURE_DATA: enough data to play on from the current position.
const HAVE_FUTURE_DATA = 3;

function typedError(Kind, code, message) {
  return Object.assign(new Kind(`attachMedia: ${message}`), { name: 'PaymentStreamError', code, retryable: false });
}

/** Whether `el` is an <audio> or <video> element (of any window). */
function isMediaElement(el) {
  const win = el?.ownerDocument?.defaultView;
  return Boolean(win?.HTMLMediaElement) && el instanceof win.HTMLMediaElement;
}

// The streams that currently follow an element: one binding per stream at a time.
const bound = new WeakMap();

/**
 * A PaymentStream following a media element; made by `stream.attachMedia(element)`.
 * `detach()` (or `[Symbol.dispose]()`) removes every listener and leaves the stream as
 * it is; it also happens by itself once the stream stops.
 */
export class MediaBinding {
  #stream;
  #element;
  #doc;
  #pauseWhenHidden;
  #listeners = []; // [target, type, fn]
  #attached = false;
  #stalled = false; // paused by `stalled` while the element may still be playing

  constructor(stream, element, options = {}) {
    if (typeof stream?.pause !== 'function' || typeof stream.resume !== 'function') {
      throw typedError(TypeError, 'invalid-option', 'attachMedia is called on a PaymentStream');
    }
    if (options === null || typeof options !== 'object') {
      throw typedError(TypeError, 'invalid-option', 'options must be an object');
    }
    const { whenHidden = 'pause' } = options;
    if (whenHidden !== 'pause' && whenHidden !== 'continue') {
      throw typedError(TypeError, 'invalid-option', "whenHidden must be 'pause' or 'continue'");
    }
    if (!isMediaElement(element)) {
      throw typedError(TypeError, 'invalid-option', 'the element must be an <audio> or <video> element (an HTMLMediaElement)');
    }
    const state = stream.state;
    if (state === 'stopped' || state === 'failed') {
      throw typedError(Error, 'invalid-state', `the stream has ${state}; create a new PaymentStream`);
    }
    if (bound.has(stream)) {
      throw typedError(Error, 'invalid-state', 'the stream already follows a media element; detach() it first');
    }
    this.#stream = stream;
    this.#element = element;
    this.#doc = element.ownerDocument;
    this.#pauseWhenHidden = whenHidden === 'pause';

    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#listeners.push([target, type, fn]);
    };
    for (const type of PLAY_EVENTS) on(element, type, () => { this.#stalled = false; this.#sync(); });
    for (const type of STOP_EVENTS) {
      on(element, type, () => { this.#stalled = type === 'stalled'; this.#apply(false); });
    }
    // `stalled` (the network is slow) may come while the element still plays what it
    // has buffered, with no `playing` after it: the next `timeupdate` of a playing
    // element resumes. Nothing else resumes on timeupdate, so a page's own pause() of
    // the stream stands until the element next starts playing.
    on(element, 'timeupdate', () => { if (this.#stalled && this.#playing()) { this.#stalled = false; this.#sync(); } });
    if (this.#pauseWhenHidden) on(this.#doc, 'visibilitychange', () => this.#sync());
    on(stream, 'stop', () => this.detach());
    bound.set(stream, this);
    this.#attached = true;
    // A paused (or not yet playing) element: the stream pauses now, and starts paused.
    this.#sync();
  }

  /** The stream this binding drives. */
  get stream() { return this.#stream; }
  /** The media element it follows. */
  get element() { return this.#element; }
  /** False once detached (by `detach()` or because the stream stopped). */
  get attached() { return this.#attached; }

  /** Stops following the element; the stream keeps its state. Harmless to call again. */
  detach() {
    if (!this.#attached) return;
    this.#attached = false;
    for (const [target, type, fn] of this.#listeners) target.removeEventListener(type, fn);
    this.#listeners = [];
    if (bound.get(this.#stream) === this) bound.delete(this.#stream);
  }

  /** The element is playing right now: not paused, ended or seeking, with data to go on. */
  #playing() {
    const el = this.#element;
    return !el.paused && !el.ended && !el.seeking && el.readyState >= HAVE_FUTURE_DATA;
  }

  /** Pays exactly while the element plays (and the page is visible, unless 'continue'). */
  #sync() {
    const hidden = this.#pauseWhenHidden && this.#doc.hidden === true;
    this.#apply(this.#playing() && !hidden);
  }

  #apply(pay) {
    if (!this.#attached) return;
    const state = this.#stream.state;
    if (state === 'stopped' || state === 'failed') return;
    try {
      if (pay) this.#stream.resume(); else this.#stream.pause();
    } catch {
      // Only a stream that is stopping refuses; it pays nothing more either way.
    }
  }
}

// `using binding = stream.attachMedia(video)` detaches at the end of the block, where
// the browser has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  Object.defineProperty(MediaBinding.prototype, Symbol.dispose, { value() { this.detach(); }, writable: true, configurable: true });
}

/**
 * `PaymentStream.prototype.attachMedia`: binds this stream to `element`
 * (an HTMLMediaElement) and returns the MediaBinding.
 */
export function attachMedia(element, options) {
  return new MediaBinding(this, element, options);
}
