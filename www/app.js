// The demo page: pays the receiver every second with ilp-stream-web, forwards each STREAM
// receipt to the server, and shows the content the server unlocks for the verified credit.
// The video plays through Media Source Extensions from one-second segments the server
// hands out only against that credit, and the payment follows the player
// (stream.attachMedia): pausing the video stops the money, and without money the video
// stops at the last second paid for.
// The visit is an HttpOnly cookie the page never sees; every request here is same-origin.
// If the server restarts (a new `run`: its network, and so this connection, are gone) or
// the stream fails while the video should play, the page asks for a new connection and
// pays on: what the visit has paid for is kept by the server.
import init, { PaymentStream } from '/pkg/ilp_stream_web.js';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'), status: $('status'), error: $('error'),
  start: $('start'), pause: $('pause'), stop: $('stop'),
  rate: $('rate'), sent: $('sent'), delivered: $('delivered'), credit: $('credit'), unlocked: $('unlocked'),
  receipt: $('receipt'), receiptNote: $('receipt-note'),
  server: $('btp-server'), user: $('btp-user'), token: $('btp-token'), receiver: $('receiver'),
  article: $('article'), segments: $('segments'), videoStatus: $('video-status'), video: $('video')
};

// Plain-words versions of the SDK's error codes.
const ERRORS = {
  'invalid-option': 'A setting is not valid; check the account fields.',
  'invalid-state': 'That action is not possible right now.',
  'btp-connect-failed': 'Could not reach the Interledger connector. Is the demo server still running?',
  'btp-auth-failed': 'The connector refused this account: check the account name and token.',
  'spsp-failed': 'Could not set up the payment with the receiver.',
  'rate-too-low': 'The exchange rate is too poor for the money to arrive, so nothing was sent.',
  'insufficient-liquidity': 'The connector has no more liquidity for this account right now.',
  'receiver-limit': 'The receiver will not accept any more money on this connection.',
  'receiver-closed': 'The receiver closed the connection.',
  timeout: 'The network did not answer in time.',
  disconnected: 'The connection to the connector dropped; trying to reconnect…',
  rejected: 'A payment was rejected on its way to the receiver.',
  stopped: 'The payment was stopped.'
};
const STOP_REASONS = {
  stopped: 'Stopped. The receiver keeps what it got; press Start to continue on a new connection.',
  'max-total': 'Everything is paid for: the stream stopped by itself. Enjoy!',
  'receiver-closed': 'The receiver closed the connection.',
  error: 'The payment stopped because of an error.'
};

const S = {
  session: null, // the server's description of this visit and its current connection
  connectionUsed: false,
  stream: null,
  asset: { code: 'USD', scale: 9 },
  base: { sent: 0n, delivered: 0n }, // totals of earlier connections of this visit
  totals: { sent: 0n, delivered: 0n },
  unlocked: 0,
  requested: new Set(),
  pendingReceipt: null,
  posting: false,
  starting: false, // a stream is being made
  binding: null, // the stream following the video (stream.attachMedia)
  topUp: null, // a pay() of the lead in progress
  reconnecting: false
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Seconds paid ahead of the playhead. Paying exactly as the video plays would leave the
// player always just short of the next segment (and a waiting player pauses the
// payment), so the page keeps this much bought ahead with pay(): at the end of the video
// the total is the same, one price per second.
const LEAD = 2;

// ------------------------------------------------------------------ formatting
function amount (raw, digits = 6) {
  const { code, scale } = S.asset;
  let v = BigInt(raw);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(scale + 1, '0');
  const int = s.slice(0, s.length - scale) || '0';
  const frac = (s.slice(s.length - scale) + '0'.repeat(digits)).slice(0, digits);
  const sym = code === 'USD' ? '$' : code === 'EUR' ? '€' : '';
  return { text: `${neg ? '−' : ''}${sym}${int}${digits ? '.' + frac : ''}`, code };
}
function rateDigits (raw) {
  // enough digits to show the rate without trailing noise (at least 2)
  const { scale } = S.asset;
  const s = BigInt(raw).toString().padStart(scale + 1, '0').slice(-scale).replace(/0+$/, '');
  return Math.max(2, s.length);
}
function showAmount (el, raw, digits) {
  const a = amount(raw, digits);
  el.replaceChildren(document.createTextNode(a.text), Object.assign(document.createElement('span'), { className: 'unit', textContent: a.code }));
  el.dataset.raw = String(raw);
  el.title = `${raw} (asset scale ${S.asset.scale})`;
}
const short = (s, head = 8, tail = 6) => (s.length > head + tail + 1 ? `${s.slice(0, head)}…${s.slice(-tail)}` : s);

// ------------------------------------------------------------------ status, errors, buttons
function status (text) { ui.status.textContent = text; }
function showError (codeOrErr, fallback) {
  const code = typeof codeOrErr === 'string' ? codeOrErr : codeOrErr?.code;
  const text = ERRORS[code] ?? fallback ?? (codeOrErr?.message ? `Something went wrong: ${codeOrErr.message}` : 'Something went wrong.');
  ui.error.textContent = text;
  ui.error.hidden = false;
}
function clearError () { ui.error.hidden = true; ui.error.textContent = ''; }

function setState (state) {
  ui.state.textContent = state;
  ui.state.dataset.state = state;
  document.body.dataset.state = state;
  const allPaid = S.unlocked >= (S.session?.units ?? Infinity);
  const live = state === 'streaming' || state === 'paused';
  ui.start.disabled = !S.session || allPaid || !(state === 'idle' || state === 'stopped' || state === 'failed');
  ui.pause.disabled = !live;
  ui.stop.disabled = !(live || state === 'connecting');
  pauseButton();
  for (const f of [ui.server, ui.user, ui.token]) f.disabled = state === 'connecting' || live;
}

// The panel's Pause button pauses and plays the video (the payment follows it).
function pauseButton () {
  const paused = ui.video.paused && Boolean(S.stream);
  ui.pause.textContent = paused ? 'Resume' : 'Pause';
  ui.pause.setAttribute('aria-pressed', String(paused));
}

// ------------------------------------------------------------------ server API
async function api (method, route, body) {
  const res = await fetch(route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'text/plain' },
    body,
    cache: 'no-store',
    credentials: 'same-origin'
  });
  const json = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, json };
}

function useConnection (c) {
  S.session = c;
  S.asset = { code: c.assetCode, scale: c.assetScale };
  ui.receiver.textContent = c.destinationAccount;
  ui.receiver.title = c.destinationAccount;
  document.body.dataset.run = c.run;
  // The account fields follow the server (after a restart its connector has a new port).
  ui.server.value = c.btpServer;
  ui.user.value = c.btpUser;
  // The token only goes into the password field (never shown, never logged).
  ui.token.value = decodeURIComponent(new URL(c.btp.replace(/^btp\+ws/i, 'http')).password);
}

function applyAccount (acc) {
  showAmount(ui.credit, acc.credit);
  const n = Math.min(acc.unlocked, S.session.units);
  if (n > S.unlocked) S.unlocked = n;
  ui.unlocked.textContent = `${S.unlocked} / ${S.session.units} s`;
  ui.unlocked.dataset.raw = String(S.unlocked);
  for (let i = 0; i < S.unlocked; i++) if (!S.requested.has(i)) fetchUnit(i);
  if (S.unlocked >= S.session.units) ui.start.disabled = true;
}

async function refreshAccount () {
  if (!S.session) return;
  const r = await api('GET', '/session').catch(() => ({ ok: false }));
  if (!r.ok) return;
  applyAccount(r.json);
  if (r.json.run !== S.session.run) {
    S.connectionUsed = true; // that connection is gone with the old run: Start asks for a new one
    if (S.stream || !ui.video.paused) reconnect();
  }
}

// The server restarted (its network with it: the old connection is gone) or the stream
// failed while the video should play: drop the stream and pay on a new connection,
// retrying until the server answers.
async function reconnect () {
  if (S.reconnecting) return;
  S.reconnecting = true;
  const old = S.stream;
  S.binding?.detach();
  S.stream = null;
  S.binding = null;
  old?.stop().catch(() => {});
  S.connectionUsed = true;
  status('Lost the connection; reconnecting to the demo server…');
  document.body.dataset.reconnects = String(Number(document.body.dataset.reconnects ?? 0) + 1);
  try {
    for (let i = 0; i < 120 && !S.stream; i++) {
      if (await startStream()) return;
      await sleep(1000);
    }
  } finally {
    S.reconnecting = false;
  }
}

// Only the newest receipt matters (each one carries the running total), so at most one
// request is in flight and a newer receipt replaces a queued one.
function forwardReceipt (receipt) {
  S.pendingReceipt = receipt;
  if (!S.posting) pumpReceipts();
}
async function pumpReceipts () {
  S.posting = true;
  try {
    while (S.pendingReceipt) {
      const receipt = S.pendingReceipt;
      S.pendingReceipt = null;
      let r;
      try {
        r = await api('POST', '/session/receipt', receipt);
      } catch (err) {
        // The server is away (restarting?): keep the receipt unless a newer one came, retry.
        S.pendingReceipt ??= receipt;
        throw err;
      }
      ui.receipt.textContent = short(receipt);
      ui.receipt.dataset.full = receipt;
      ui.receipt.title = 'STREAM receipt (RFC 39), base64';
      if (r.ok) {
        ui.receiptNote.textContent = '✓ verified';
        ui.receiptNote.className = 'note';
        applyAccount(r.json);
      } else {
        ui.receiptNote.textContent = r.status === 409 ? 'already counted' : '✗ refused';
        ui.receiptNote.className = r.status === 409 ? 'note' : 'note bad';
        if (r.json.unlocked !== undefined) applyAccount(r.json);
      }
    }
  } catch {
    ui.receiptNote.textContent = 'server unreachable';
    ui.receiptNote.className = 'note bad';
    setTimeout(() => { if (!S.posting && S.pendingReceipt) pumpReceipts(); }, 1000);
  } finally {
    S.posting = false;
  }
}

// ------------------------------------------------------------------ content
function renderLocked () {
  const { units, paragraphs, paragraphEvery } = S.session;
  ui.article.replaceChildren(...Array.from({ length: paragraphs }, (_, i) => {
    const p = document.createElement('p');
    p.className = 'locked';
    p.id = `para-${i}`;
    const bars = document.createElement('span');
    bars.className = 'bars';
    bars.setAttribute('aria-hidden', 'true');
    bars.append(document.createElement('span'), document.createElement('span'), document.createElement('span'));
    const note = document.createElement('span');
    note.className = 'lock-note';
    note.textContent = `Locked · unlocks after ${i * paragraphEvery + 1} s of payment`;
    p.append(bars, note);
    return p;
  }));
  ui.segments.replaceChildren(...Array.from({ length: units }, (_, i) => {
    const li = document.createElement('li');
    li.title = `second ${i + 1}: locked`;
    return li;
  }));
}

async function fetchUnit (n) {
  S.requested.add(n);
  const [r, seg] = await Promise.all([
    api('GET', `/session/content/${n}`).catch(() => ({ ok: false })),
    fetch(`/session/media/${n}`, { cache: 'no-store' })
      .then((res) => (res.ok ? res.arrayBuffer() : null)).catch(() => null)
  ]);
  // Not paid yet, or lost on the way: asked again at the next look at the account (more
  // credit, or the 2-s refresh while the video plays or a stream is open).
  if (!r.ok || !seg) { S.requested.delete(n); return; }
  const unit = r.json;
  if (unit.paragraph !== null) {
    const p = $(`para-${unit.paragraphIndex}`);
    p.className = 'unlocked';
    p.textContent = unit.paragraph;
  }
  const li = ui.segments.children[n];
  li.classList.add('paid');
  li.title = `second ${n + 1}: paid`;
  document.body.dataset.unitsShown = String(ui.segments.querySelectorAll('.paid').length);
  player.add(n, seg);
}

// ------------------------------------------------------------------ video: plays only what is paid for
// A MediaSource fed with the init segment (free) and then each paid one-second segment, in
// order: fetches finish in any order (or fail and are fetched again), and appending each
// after the one before it keeps what is buffered one range from 0, out of reach of MSE's
// overlap rule (an append removes the frames it overlaps up to the next keyframe).
// Segments stay buffered, so a seek back replays them without asking the server (or
// paying) again.
const player = {
  // next: segments 0 .. next-1 are appended or queued; early: fetched ones waiting for an
  // earlier one; buffered: appends finished (the tests read it).
  ms: null, sb: null, queue: [], early: new Map(), next: 0, current: null, buffered: 0,
  async setup (type, units) {
    const el = ui.video;
    if (!window.MediaSource || !MediaSource.isTypeSupported(type)) {
      this.show('locked', 'this browser cannot play the video (Media Source Extensions, VP9 + Opus)');
      return false;
    }
    this.ms = new MediaSource();
    el.src = URL.createObjectURL(this.ms);
    await new Promise((resolve) => this.ms.addEventListener('sourceopen', resolve, { once: true }));
    this.ms.duration = units;
    this.sb = this.ms.addSourceBuffer(type);
    this.sb.addEventListener('updateend', () => {
      if (this.current !== null && this.current >= 0) document.body.dataset.segmentsAppended = String(++this.buffered);
      this.current = null;
      this.pump();
    });
    const init = await fetch('/session/media/init', { cache: 'no-store' });
    if (!init.ok) return false;
    this.queue.push({ n: -1, bytes: await init.arrayBuffer() });
    this.pump();
    for (const type of ['timeupdate', 'playing', 'pause', 'waiting', 'seeking', 'ended']) el.addEventListener(type, () => this.tick());
    el.addEventListener('seeking', () => { this.clampSeek(); followPlayhead(); });
    el.addEventListener('play', onPlay);
    el.addEventListener('play', pauseButton);
    el.addEventListener('pause', pauseButton);
    el.addEventListener('waiting', keepLead);
    document.addEventListener('visibilitychange', keepLead);
    el.addEventListener('timeupdate', followPlayhead);
    setInterval(() => this.unstall(), 1000);
    return true;
  },
  // Chromium's player can stay stalled at a segment's seam with the next seconds buffered
  // (seen after paid segments came late, the network having lost them): a small step
  // forward starts it again, as MSE players do. Only where the next half second is here.
  lastTime: -1,
  unstall () {
    const el = ui.video;
    const t = el.currentTime;
    const stuck = !el.paused && !el.seeking && el.readyState < 3 && t === this.lastTime;
    this.lastTime = t;
    if (!stuck) return;
    for (let i = 0; i < el.buffered.length; i++) {
      if (el.buffered.start(i) <= t && el.buffered.end(i) >= t + 0.5) { el.currentTime = t + 0.05; return; }
    }
  },
  add (n, bytes) {
    if (n < this.next || !this.sb) return;
    this.early.set(n, bytes);
    for (; this.early.has(this.next); this.next++) {
      this.queue.push({ n: this.next, bytes: this.early.get(this.next) });
      this.early.delete(this.next);
    }
    this.pump();
  },
  pump () {
    // Busy until the last append's updateend: `updating` turns false before that event is
    // dispatched, and an append started in between would be counted as the earlier one.
    if (!this.sb || this.current !== null || this.sb.updating || this.queue.length === 0) return;
    const { n, bytes } = this.queue.shift();
    this.current = n;
    try {
      this.sb.appendBuffer(bytes);
    } catch (err) {
      // The browser gave up on this video (a decode error closes its MediaSource).
      this.current = null;
      this.show('locked', `the video cannot go on here: ${err.message}`);
      return;
    }
    if (this.next === S.session.units && this.queue.length === 0) {
      this.sb.addEventListener('updateend', () => { if (this.ms.readyState === 'open' && !this.sb.updating) this.ms.endOfStream(); }, { once: true });
    }
  },
  /** Seconds 0 .. paidEnd are paid for and here, without a gap. */
  paidEnd () {
    return this.next;
  },
  // No skipping ahead of what is paid for: a seek past it lands on its last second.
  clampSeek () {
    const el = ui.video;
    const end = this.paidEnd();
    if (el.currentTime > end) el.currentTime = Math.max(0, end - 0.5);
  },
  show (state, text) {
    if (ui.videoStatus.dataset.state !== state || ui.videoStatus.textContent !== text) {
      ui.videoStatus.dataset.state = state;
      ui.videoStatus.textContent = text;
    }
  },
  tick () {
    if (!S.session) return;
    const el = ui.video;
    const t = el.currentTime;
    const now = Math.floor(t);
    [...ui.segments.children].forEach((li, i) => {
      li.classList.toggle('now', i === now && !el.ended);
      li.classList.toggle('played', i < now || el.ended);
    });
    const units = S.session.units;
    if (el.ended) this.show('finished', 'finished: all paid for and played');
    else if (el.paused && this.next > 0) this.show('paused', 'paused, and so is the payment');
    else if (el.paused) this.show('locked', 'press play: the video is paid for as it plays');
    else if (el.readyState >= 3 && !el.seeking) this.show('playing', `playing second ${now + 1} of ${units}`);
    else this.show('waiting', S.stream ? 'waiting for the next paid second…' : 'stopped at the last second paid for');
    document.body.dataset.videoTime = t.toFixed(2);
  }
};

// ------------------------------------------------------------------ the payment stream
function btpUrl () {
  const server = ui.server.value.trim();
  const m = /^(btp\+wss?:\/\/|wss?:\/\/)(.*)$/i.exec(server);
  if (!m) return server; // the SDK explains what is wrong (invalid-option)
  const cred = `${encodeURIComponent(ui.user.value.trim())}:${encodeURIComponent(ui.token.value)}@`;
  return m[1] + cred + m[2].replace(/^[^@/]*@/, '');
}

function showTotals () {
  showAmount(ui.sent, S.totals.sent);
  showAmount(ui.delivered, S.totals.delivered);
}

// Start (and play on the player): the video plays, and its `play` starts paying.
function start () {
  clearError();
  if (ui.video.paused) ui.video.play().catch((err) => showError(null, `The video could not play: ${err.message}`));
  else startStream();
}

// The player was asked to play: without a live stream, one starts (following the video).
function onPlay () {
  if (!S.stream) startStream();
  else keepLead();
}

// Resolves false when the demo server gave no new connection, else true.
async function startStream () {
  if (S.stream || S.starting) return true;
  S.starting = true;
  try {
    if (S.connectionUsed) {
      // A stopped STREAM connection is finished; a new one (new receipt nonce) continues the visit.
      const r = await api('POST', '/session/connection').catch(() => ({ ok: false, json: {} }));
      if (!r.ok) {
        if (!S.reconnecting) showError(null, r.json.error ? `The demo server says: ${r.json.error}` : 'The demo server could not open a new connection.');
        return false;
      }
      useConnection(r.json);
      applyAccount(r.json);
      S.base = { ...S.totals };
    }
    const price = BigInt(S.session.pricePerSecond);
    const remaining = price * BigInt(S.session.units) - S.totals.sent;
    if (remaining <= 0n) return;
    let stream;
    try {
      stream = new PaymentStream({
        btp: btpUrl(),
        destinationAccount: S.session.destinationAccount,
        sharedSecret: S.session.sharedSecret,
        amountPerSecond: S.session.pricePerSecond,
        maxTotal: remaining.toString()
      });
    } catch (err) {
      showError(err);
      return;
    }
    S.stream = stream;
    S.connectionUsed = true;
    listen(stream);
    // The payment follows the player from here: it starts paused while the video waits.
    S.binding = stream.attachMedia(ui.video);
    S.starting = false;
    try {
      await stream.start();
      keepLead();
    } catch (err) {
      if (S.stream === stream) {
        showError(err);
        setState(stream.state);
        status('Not paying.');
        // A stream that failed to start is done with: the next play (or Start) makes a new one.
        if (stream.state === 'failed' || stream.state === 'stopped') {
          S.binding?.detach();
          S.stream = null;
          S.binding = null;
        }
      }
    }
    return true;
  } finally {
    S.starting = false;
  }
}

function listen (stream) {
  stream.addEventListener('statechange', (e) => {
    if (S.stream !== stream) return;
    const { state } = e.detail;
    setState(state);
    if (state === 'streaming' || state === 'paused') keepLead();
    if (state === 'streaming') status(`Paying ${amount(S.session.pricePerSecond, rateDigits(S.session.pricePerSecond)).text} per second while the video plays.`);
    if (state === 'paused') { status(ui.video.paused ? 'Paused with the video: no money is moving.' : 'Waiting for the video: no money is moving.'); setTimeout(refreshAccount, 400); }
    if (state === 'connecting') status('Connecting to the connector…');
    if (state === 'stopped' || state === 'failed') setTimeout(refreshAccount, 400);
  });
  stream.addEventListener('start', (e) => {
    S.asset = { code: e.detail.assetCode, scale: e.detail.assetScale };
    ui.rate.textContent = `${amount(S.session.pricePerSecond, rateDigits(S.session.pricePerSecond)).text} / s`;
  });
  stream.addEventListener('progress', (e) => {
    if (S.stream !== stream) return;
    const d = e.detail;
    S.totals = { sent: S.base.sent + BigInt(d.totalSent), delivered: S.base.delivered + BigInt(d.totalDelivered) };
    showTotals();
    if (!ui.error.hidden && BigInt(d.amountDelivered) > 0n) clearError();
    if (d.receipt) forwardReceipt(d.receipt);
  });
  stream.addEventListener('error', (e) => { if (S.stream === stream) showError(e.detail.code, e.detail.message); });
  stream.addEventListener('stop', (e) => {
    if (S.stream !== stream) return;
    const d = e.detail;
    S.totals = { sent: S.base.sent + BigInt(d.totalSent), delivered: S.base.delivered + BigInt(d.totalDelivered) };
    showTotals();
    status(STOP_REASONS[d.reason] ?? 'Stopped.');
    // The binding detached itself; the video plays what is paid for, then waits.
    S.stream = null;
    S.binding = null;
    player.tick();
    // Failed (e.g. the server and its network restarted) while the video should play.
    if (d.reason === 'error' && !ui.video.paused) setTimeout(reconnect, 500);
  });
}

/** Source units sent or on their way, over every connection of this visit. */
function paidOrPending () {
  const s = S.stream;
  return S.base.sent + (s ? BigInt(s.totalSent) + BigInt(s.totalInDoubt) : 0n);
}

// While the video should play, keep LEAD seconds paid ahead of the playhead with pay():
// at the start (nothing is paid, so nothing can play), whenever the player starves, and
// when the stream is back (connected again, the page visible again). Not while the page is
// hidden: the stream pauses then (attachMedia's whenHidden 'pause'), and so does the lead.
async function keepLead () {
  const s = S.stream;
  if (!s || S.topUp || ui.video.paused || document.hidden || (s.state !== 'streaming' && s.state !== 'paused')) return;
  const price = BigInt(S.session.pricePerSecond);
  const target = BigInt(Math.min(S.session.units, Math.floor(ui.video.currentTime) + LEAD)) * price;
  const short = target - paidOrPending();
  if (short <= 0n) return;
  S.topUp = s.pay(short).catch(() => {}).finally(() => {
    S.topUp = null;
    // The player may have moved on (or starved again) meanwhile.
    if (!ui.video.paused && ui.video.readyState < 3) keepLead();
  });
}

// Replaying seconds already paid for (after a seek back) pays nothing: the paced rate is
// 0 while the playhead is more than LEAD seconds behind what is paid, and back on near it.
// Run on `seeking` too, before the binding resumes the stream at the new position.
function followPlayhead () {
  const s = S.stream;
  if (!s || s.state === 'stopped' || s.state === 'failed') return;
  const price = BigInt(S.session.pricePerSecond);
  const paidSeconds = Number(paidOrPending() / price);
  const rate = paidSeconds - ui.video.currentTime > LEAD + 0.5 ? '0' : S.session.pricePerSecond;
  if (s.amountPerSecond !== rate) {
    try { s.setAmountPerSecond(rate); } catch {}
  }
}

// The panel's Pause is the player's: the payment follows the video.
function pauseOrResume () {
  if (ui.video.paused) start(); else ui.video.pause();
}

async function stop () {
  const s = S.stream;
  if (!s) return;
  ui.stop.disabled = true;
  status('Stopping: settling the last packets…');
  try { await s.stop(); } catch (err) { showError(err); }
}

// ------------------------------------------------------------------ boot
async function boot () {
  setState('idle');
  try {
    await init();
  } catch {
    status('Could not load the payment library (pkg/). Run `make demo` to build it.');
    return;
  }
  // The cookie's visit if there is one (a reload, or after a restart: what was paid for
  // stays unlocked and is not paid again), else a new one.
  const r = await api('POST', '/session').catch(() => ({ ok: false, json: {} }));
  if (!r.ok) {
    status('The demo server could not create a session.');
    showError(null, r.json.error ? `The demo server says: ${r.json.error}` : 'The demo server is not reachable.');
    return;
  }
  useConnection(r.json);
  // What earlier page loads of this visit paid counts as sent: the lead is not bought twice.
  S.base = { sent: BigInt(r.json.credit), delivered: BigInt(r.json.credit) };
  S.totals = { ...S.base };
  $('title').textContent = r.json.title;
  renderLocked();
  if (!(await player.setup(r.json.mediaType, r.json.units))) {
    showError(null, 'The video cannot be played here.');
  }
  ui.rate.textContent = `${amount(r.json.pricePerSecond, rateDigits(r.json.pricePerSecond)).text} / s`;
  showTotals();
  applyAccount(r.json);
  setState('idle');
  status(`Ready. Press Start to pay ${amount(r.json.pricePerSecond, rateDigits(r.json.pricePerSecond)).text} per second for this page.`);
  ui.start.addEventListener('click', start);
  // While paying (or meant to), the credit is re-read every 2 s; a new server run means
  // reconnecting.
  setInterval(() => { if ((S.stream || !ui.video.paused) && !S.reconnecting) refreshAccount(); }, 2000);
  ui.pause.addEventListener('click', pauseOrResume);
  ui.stop.addEventListener('click', stop);
  $('account-form').addEventListener('submit', (e) => { e.preventDefault(); if (!ui.start.disabled) start(); });
  document.body.dataset.ready = 'true';
}

boot();
