// Web Monetization for any browser: monetize() turns the page's
// <link rel="monetization" href="…"> elements into PaymentStreams and fires the
// spec's `monetization` events (a MonetizationEvent) at each link as money is sent.
//
// Shipped in the npm package as pkg/monetize.js and re-exported from the package
// entry by scripts/finish-pkg.mjs. Only DOM plumbing lives here: every protocol
// decision (SPSP, BTP, STREAM, pacing) is the PaymentStream's, in the core.
import { PaymentStream } from './ilp_stream_web.js';

const REL = 'monetization';
const ROTATE_MS = 1000;

/** Amount `units` at `scale` as a decimal monetary value: ('100000', 9) -> '0.0001'. */
function decimal(units, scale) {
  const digits = String(units).padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

/**
 * The spec's MonetizationEvent: `amountSent` ({ value, currency }), `paymentPointer`,
 * `incomingPayment`, `receipt`, and the deprecated `amount`, `assetCode`, `assetScale`.
 */
export class MonetizationEvent extends Event {
  #init;
  constructor(type, init = {}) {
    super(type, init);
    this.#init = {
      amountSent: init.amountSent ? { value: String(init.amountSent.value), currency: String(init.amountSent.currency) } : null,
      paymentPointer: init.paymentPointer ?? '',
      incomingPayment: init.incomingPayment ?? null,
      receipt: init.receipt ?? null,
      amount: init.amount ?? null,
      assetCode: init.assetCode ?? null,
      assetScale: init.assetScale ?? null,
    };
  }
  get amountSent() { return this.#init.amountSent; }
  get paymentPointer() { return this.#init.paymentPointer; }
  get incomingPayment() { return this.#init.incomingPayment; }
  get receipt() { return this.#init.receipt; }
  /** @deprecated */
  get amount() { return this.#init.amount; }
  /** @deprecated */
  get assetCode() { return this.#init.assetCode; }
  /** @deprecated */
  get assetScale() { return this.#init.assetScale; }
}

/** Whether a browser or an extension already implements Web Monetization. */
function supportedElsewhere(doc) {
  try {
    return doc.createElement('link').relList.supports(REL) === true;
  } catch {
    return false;
  }
}

// `onmonetization` as an event handler property (GlobalEventHandlers), where the
// browser has none: on elements, documents and windows.
const handlers = new WeakMap();
function defineHandlerProperty(win) {
  const protos = [win.HTMLElement?.prototype, win.Document?.prototype, win.Window?.prototype];
  for (const proto of protos) {
    if (!proto || Object.prototype.hasOwnProperty.call(proto, 'onmonetization')) continue;
    Object.defineProperty(proto, 'onmonetization', {
      configurable: true,
      enumerable: true,
      get() { return handlers.get(this)?.fn ?? null; },
      set(fn) {
        const old = handlers.get(this);
        if (old) this.removeEventListener(REL, old.listener);
        if (typeof fn !== 'function') { handlers.delete(this); return; }
        const listener = (ev) => {
          if (fn.call(this, ev) === false) ev.preventDefault();
        };
        handlers.set(this, { fn, listener });
        this.addEventListener(REL, listener);
      },
    });
  }
  if (!('MonetizationEvent' in win)) win.MonetizationEvent = MonetizationEvent;
}

function optionError(message) {
  return Object.assign(new TypeError(`monetize: ${message}`), { name: 'PaymentStreamError', code: 'invalid-option', retryable: false });
}

function isMonetizationLink(el) {
  return el.localName === 'link' && el.relList?.contains(REL);
}

/** An active monetization link: in the document, not disabled, with an href. */
function isActive(el) {
  return el.isConnected && isMonetizationLink(el) && !el.disabled && !el.hasAttribute('disabled') &&
    (el.getAttribute('href') ?? '').trim() !== '';
}

/**
 * Pays the page's `<link rel="monetization">` elements over STREAM. See the README
 * ("Web Monetization") and the declarations for the options and the controller.
 */
export function monetize(options = {}) {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  const { btp, whenHidden = 'pause', force = false, WebSocket } = options;
  const doc = options.document ?? globalThis.document;
  if (!doc) throw optionError('there is no document to monetize');
  if (typeof btp !== 'string' || btp === '') throw optionError('btp must be a BTP URL string');
  let rate;
  try {
    rate = BigInt(options.amountPerSecond);
  } catch {
    throw optionError('amountPerSecond must be an integer (string or BigInt)');
  }
  if (rate < 0n || rate > 0xffff_ffff_ffff_ffffn) throw optionError('amountPerSecond must be an unsigned 64-bit integer');
  if (whenHidden !== 'pause' && whenHidden !== 'continue') throw optionError("whenHidden must be 'pause' or 'continue'");

  // Feature detection: never charge a visitor twice.
  if (!force && supportedElsewhere(doc)) {
    return {
      active: false,
      get links() { return []; },
      get totalSent() { return '0'; },
      stop: async () => ({ totalSent: '0', links: [] }),
    };
  }
  defineHandlerProperty(doc.defaultView ?? globalThis);

  /** @type {Map<Element, object>} link -> entry, in the order they became active */
  const entries = new Map();
  const retired = []; // entries of links no longer monetized (their money still counts)
  let offset = 0; // rotation of the rate's remainder across links
  let stopped = false;
  const pauseWhenHidden = whenHidden === 'pause';
  const hidden = () => pauseWhenHidden && doc.hidden === true;

  const paying = () => [...entries.values()].filter((e) => !e.failed);

  // Exact integer shares: rate / n each, and the remainder's units to `r` links,
  // rotated every second so that over n seconds every link gets rate / n × n to the unit.
  function shares() {
    const list = paying();
    const n = list.length;
    if (n === 0) return;
    const base = rate / BigInt(n);
    const r = Number(rate % BigInt(n));
    list.forEach((e, i) => {
      const share = base + (((i - offset) % n + n) % n < r ? 1n : 0n);
      if (share === e.share && e.stream) return;
      e.share = share;
      if (e.stream) {
        try { e.stream.setAmountPerSecond(share); } catch { /* stopped meanwhile */ }
      }
    });
  }

  function report(entry, detail) {
    const ev = new CustomEvent('error', { detail });
    Object.defineProperties(ev, { code: { value: detail.code }, message: { value: detail.message } });
    entry.element.dispatchEvent(ev);
  }

  // A link no longer monetized: its stream stops (packets in flight settle and
  // still count toward totalSent).
  function retire(entry) {
    entries.delete(entry.element);
    retired.push(entry);
    entry.state = 'stopped';
    return release(entry);
  }

  // Stops an entry's stream, keeps its final totals and frees its wasm memory.
  function release(entry) {
    const { stream } = entry;
    if (!stream) return Promise.resolve();
    return stream.stop().catch(() => {}).then(() => {
      if (entry.stream !== stream) return;
      entry.finalSent = BigInt(stream.totalSent);
      entry.finalDelivered = BigInt(stream.totalDelivered);
      entry.stream = null;
      try { stream.free(); } catch { /* already freed */ }
    });
  }

  function fail(entry, detail) {
    if (entry.failed) return;
    entry.failed = true;
    entry.error = detail;
    report(entry, detail);
    shares();
    setTimeout(() => release(entry), 0); // outside the stream's own event dispatch
  }

  function open(element, href) {
    const entry = {
      element,
      href,
      stream: null,
      share: 0n,
      failed: false,
      error: null,
      state: 'connecting',
      asset: null,
      finalSent: 0n,
      finalDelivered: 0n,
      totalSent() { return this.stream ? BigInt(this.stream.totalSent) : this.finalSent; },
      totalDelivered() { return this.stream ? BigInt(this.stream.totalDelivered) : this.finalDelivered; },
    };
    entries.set(element, entry);
    // An `onmonetization="…"` content attribute, as for the browser's own handlers
    // (where the page's CSP forbids compiling it, it is skipped).
    const inline = element.getAttribute('onmonetization');
    if (inline && !handlers.has(element)) {
      try {
        element.onmonetization = new Function('event', inline); // eslint-disable-line no-new-func
      } catch { /* CSP without 'unsafe-eval' */ }
    }
    return entry;
  }

  function connect(entry) {
    const { element, href } = entry;
    const receiver = href.startsWith('$') ? href : new URL(href, doc.baseURI).href;
    let stream;
    try {
      stream = new PaymentStream({ btp, receiver, amountPerSecond: entry.share, ...(WebSocket ? { WebSocket } : {}) });
    } catch (err) {
      fail(entry, { code: err.code ?? 'invalid-option', message: err.message, retryable: false });
      return;
    }
    entry.stream = stream;
    const live = () => entries.get(element) === entry;
    if (hidden()) stream.pause();
    stream.addEventListener('statechange', (ev) => { if (live()) entry.state = ev.detail.state; });
    stream.addEventListener('progress', (ev) => {
      const d = ev.detail;
      entry.asset = { code: d.assetCode, scale: d.assetScale };
      if (!live() || BigInt(d.amountSent) === 0n) return;
      element.dispatchEvent(new MonetizationEvent(REL, {
        bubbles: true,
        amountSent: { value: decimal(d.amountSent, d.assetScale), currency: d.assetCode },
        paymentPointer: href,
        incomingPayment: null,
        receipt: d.receipt,
        amount: d.amountSent,
        assetCode: d.assetCode,
        assetScale: d.assetScale,
      }));
    });
    let errored = false;
    stream.addEventListener('error', (ev) => {
      errored = true;
      if (live()) fail(entry, ev.detail);
    });
    stream.addEventListener('stop', (ev) => {
      // A receiver that ends the stream is no longer paid; its share goes to the others.
      if (live() && !stopped && ev.detail.reason !== 'stopped' && !entry.failed) {
        entry.failed = true;
        shares();
        setTimeout(() => release(entry), 0);
      }
    });
    stream.start().catch((err) => {
      // Reported through the `error` event; one that did not come is reported here.
      queueMicrotask(() => {
        if (!errored && live() && !entry.failed) fail(entry, { code: err?.code ?? 'invalid-state', message: String(err?.message ?? err), retryable: Boolean(err?.retryable) });
      });
    });
  }

  // The document's active monetization links against the streams: start, stop, restart.
  function sync() {
    if (stopped) return;
    const active = [...doc.querySelectorAll('link')].filter(isActive);
    const now = new Set(active);
    const stopping = [];
    for (const entry of [...entries.values()]) {
      const href = entry.element.getAttribute('href')?.trim();
      if (!now.has(entry.element) || href !== entry.href) stopping.push(retire(entry));
    }
    const fresh = [];
    for (const el of active) {
      if (!entries.has(el)) fresh.push(open(el, el.getAttribute('href').trim()));
    }
    shares();
    for (const entry of fresh) connect(entry);
    return Promise.all(stopping);
  }

  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; sync(); });
  };
  const observer = new MutationObserver((records) => {
    const relevant = records.some((r) => r.type === 'attributes'
      ? r.target.localName === 'link'
      : [...r.addedNodes, ...r.removedNodes].some((n) => n.nodeType === 1 && (n.localName === 'link' || n.querySelector?.('link'))));
    if (relevant) schedule();
  });
  observer.observe(doc, { subtree: true, childList: true, attributes: true, attributeFilter: ['href', 'rel', 'disabled'] });

  const onVisibility = () => {
    for (const entry of entries.values()) {
      if (!entry.stream || entry.failed) continue;
      try {
        if (hidden()) entry.stream.pause();
        else entry.stream.resume();
      } catch { /* stopped meanwhile */ }
    }
  };
  if (pauseWhenHidden) doc.addEventListener('visibilitychange', onVisibility);

  const timer = setInterval(() => {
    const n = paying().length;
    if (n < 2 || rate % BigInt(n) === 0n || hidden()) return;
    offset = (offset + Number(rate % BigInt(n))) % n;
    shares();
  }, ROTATE_MS);

  const snapshot = (e) => ({
    element: e.element,
    paymentPointer: e.href,
    state: e.failed && e.state !== 'failed' ? 'failed' : e.state,
    amountPerSecond: e.share.toString(),
    totalSent: e.totalSent().toString(),
    totalDelivered: e.totalDelivered().toString(),
    assetCode: e.asset?.code ?? null,
    assetScale: e.asset?.scale ?? null,
    error: e.error ? { ...e.error } : null,
  });
  const totalSent = () => [...retired, ...entries.values()].reduce((sum, e) => sum + e.totalSent(), 0n).toString();

  sync();

  return {
    active: true,
    get links() { return [...entries.values()].map(snapshot); },
    get totalSent() { return totalSent(); },
    async stop() {
      if (!stopped) {
        stopped = true;
        observer.disconnect();
        clearInterval(timer);
        doc.removeEventListener('visibilitychange', onVisibility);
        await Promise.all([...entries.values()].map(release));
        for (const e of entries.values()) if (e.state !== 'failed') e.state = 'stopped';
      }
      return { totalSent: totalSent(), links: [...entries.values()].map(snapshot) };
    },
  };
}
