// The demo page: pays the receiver every second with ilp-stream-web, forwards each STREAM
// receipt to the server, and shows the content the server unlocks for the verified credit.
// The visit is an HttpOnly cookie the page never sees; every request here is same-origin.
// If the server restarts (a new `run`) or the stream fails while the visitor wants to pay,
// the page asks for a new connection and carries on: the credit is kept by the server.
import init, { PaymentStream } from '/pkg/ilp_stream_web.js';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'), status: $('status'), error: $('error'),
  start: $('start'), pause: $('pause'), stop: $('stop'),
  rate: $('rate'), sent: $('sent'), delivered: $('delivered'), credit: $('credit'), unlocked: $('unlocked'),
  receipt: $('receipt'), receiptNote: $('receipt-note'),
  server: $('btp-server'), user: $('btp-user'), token: $('btp-token'), receiver: $('receiver'),
  article: $('article'), segments: $('segments'), audioStatus: $('audio-status')
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
  wantPaying: false, // Start pressed, and not Stop since (nor everything paid)
  reconnecting: false
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
  ui.pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
  ui.pause.setAttribute('aria-pressed', String(state === 'paused'));
  for (const f of [ui.server, ui.user, ui.token]) f.disabled = state === 'connecting' || live;
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
  if (r.json.run !== S.session.run && S.wantPaying) reconnect();
}

// The server restarted (its network with it: the old connection is gone) or the stream
// failed: drop the stream and pay on a new connection, retrying until the server answers.
async function reconnect () {
  if (S.reconnecting) return;
  S.reconnecting = true;
  const old = S.stream;
  S.stream = null;
  old?.stop().catch(() => {});
  status('Lost the connection; reconnecting to the demo server…');
  document.body.dataset.reconnects = String(Number(document.body.dataset.reconnects ?? 0) + 1);
  try {
    for (let i = 0; i < 120 && S.wantPaying; i++) {
      if (await start({ reconnecting: true })) return;
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
  const r = await api('GET', `/session/content/${n}`).catch(() => ({ ok: false }));
  if (!r.ok) { S.requested.delete(n); return; }
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
  player.add(n, unit.audio.base64);
}

// ------------------------------------------------------------------ audio: plays only what is paid for
const player = {
  ctx: null, out: null, buffers: [], starts: [], next: 0, nextTime: 0,
  ensure () {
    if (this.ctx || !window.AudioContext) return;
    this.ctx = new AudioContext();
    this.out = this.ctx.createGain();
    this.out.gain.value = 0.8;
    this.out.connect(this.ctx.destination);
    setInterval(() => this.tick(), 120);
  },
  async add (n, base64) {
    if (!this.ctx) return;
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    try {
      this.buffers[n] = await this.ctx.decodeAudioData(bytes.buffer);
    } catch {
      return;
    }
    this.schedule();
  },
  schedule () {
    const ctx = this.ctx;
    while (this.buffers[this.next]) {
      const now = ctx.currentTime;
      // Starved (or first): start a moment from now; otherwise butt-join the next second.
      if (this.nextTime < now + 0.03) this.nextTime = now + (this.next === 0 ? 0.25 : 0.08);
      const src = ctx.createBufferSource();
      src.buffer = this.buffers[this.next];
      src.connect(this.out);
      src.start(this.nextTime);
      this.starts[this.next] = this.nextTime;
      this.nextTime += src.buffer.duration;
      this.next++;
    }
  },
  pause () { if (this.ctx && this.ctx.state === 'running') this.ctx.suspend(); this.tick(); },
  resume () { if (this.ctx && this.ctx.state !== 'running') this.ctx.resume(); },
  tick () {
    if (!this.ctx || !S.session) return;
    const t = this.ctx.currentTime;
    let now = -1;
    this.starts.forEach((s, i) => {
      const li = ui.segments.children[i];
      const playing = t >= s && t < s + 1;
      if (playing) now = i;
      li.classList.toggle('now', playing);
      li.classList.toggle('played', t >= s + 1);
    });
    const units = S.session.units;
    let state; let text;
    if (this.next >= units && t >= this.nextTime) { state = 'finished'; text = 'finished: all paid for and played'; }
    else if (this.ctx.state !== 'running' && this.next > 0) { state = 'paused'; text = 'paused with the payment'; }
    else if (now >= 0) { state = 'playing'; text = `playing second ${now + 1} of ${units}`; }
    else if (this.next > 0 || S.stream) { state = 'waiting'; text = 'waiting for the next paid second…'; }
    else { state = 'locked'; text = 'locked: press Start to pay for it'; }
    if (ui.audioStatus.dataset.state !== state || ui.audioStatus.textContent !== text) {
      ui.audioStatus.dataset.state = state;
      ui.audioStatus.textContent = text;
    }
    document.body.dataset.audioTime = t.toFixed(2);
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

// Resolves true once a stream was started (or failed on its own), false when the demo
// server gave no connection.
async function start ({ reconnecting = false } = {}) {
  if (!reconnecting) {
    clearError();
    player.ensure(); // inside the click: browsers allow audio to start from a user gesture
    player.resume();
  }
  S.wantPaying = true;
  if (S.connectionUsed) {
    // A stopped STREAM connection is finished; a new one (new receipt nonce) continues the visit.
    const r = await api('POST', '/session/connection').catch(() => ({ ok: false, json: {} }));
    if (!r.ok) {
      if (!reconnecting) showError(null, r.json.error ? `The demo server says: ${r.json.error}` : 'The demo server could not open a new connection.');
      return false;
    }
    useConnection(r.json);
    applyAccount(r.json);
    S.base = { ...S.totals };
    if (S.unlocked >= S.session.units) { S.wantPaying = false; return true; }
  }
  const price = BigInt(S.session.pricePerSecond);
  const remaining = price * BigInt(S.session.units) - BigInt(ui.credit.dataset.raw || '0');
  let stream;
  try {
    stream = new PaymentStream({
      btp: btpUrl(),
      destinationAccount: S.session.destinationAccount,
      sharedSecret: S.session.sharedSecret,
      amountPerSecond: S.session.pricePerSecond,
      maxTotal: (remaining > 0n ? remaining : price).toString()
    });
  } catch (err) {
    showError(err);
    return true;
  }
  S.stream = stream;
  S.connectionUsed = true;
  stream.addEventListener('statechange', (e) => {
    if (S.stream !== stream) return;
    const { state } = e.detail;
    setState(state);
    if (state === 'streaming') { player.resume(); status(`Paying ${amount(S.session.pricePerSecond, rateDigits(S.session.pricePerSecond)).text} per second.`); }
    if (state === 'paused') { player.pause(); status('Paused: no money is moving, and the content waits.'); setTimeout(refreshAccount, 400); }
    if (state === 'connecting') status('Connecting to the connector…');
    if (state === 'failed') player.pause();
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
    // Paid in full: the last seconds keep playing. Otherwise the music stops with the money.
    if (d.reason !== 'max-total') player.pause();
    S.stream = null;
    if (d.reason === 'max-total') S.wantPaying = false;
    if (d.reason === 'error' && S.wantPaying) setTimeout(reconnect, 500);
  });
  try {
    await stream.start();
  } catch (err) {
    if (S.stream === stream) { showError(err); setState(stream.state); status('Not paying.'); }
  }
  return true;
}

function pauseOrResume () {
  const s = S.stream;
  if (!s) return;
  try {
    if (s.state === 'paused') s.resume(); else s.pause();
  } catch (err) { showError(err); }
}

async function stop () {
  S.wantPaying = false;
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
  // stays unlocked), else a new one.
  const r = await api('POST', '/session').catch(() => ({ ok: false, json: {} }));
  if (!r.ok) {
    status('The demo server could not create a session.');
    showError(null, r.json.error ? `The demo server says: ${r.json.error}` : 'The demo server is not reachable.');
    return;
  }
  useConnection(r.json);
  $('title').textContent = r.json.title;
  renderLocked();
  ui.rate.textContent = `${amount(r.json.pricePerSecond, rateDigits(r.json.pricePerSecond)).text} / s`;
  showTotals();
  applyAccount(r.json);
  setState('idle');
  status(`Ready. Press Start to pay ${amount(r.json.pricePerSecond, rateDigits(r.json.pricePerSecond)).text} per second for this page.`);
  ui.start.addEventListener('click', () => start());
  // While paying, the credit is re-read every 2 s; a new server run means reconnecting.
  setInterval(() => { if (S.wantPaying && !S.reconnecting) refreshAccount(); }, 2000);
  ui.pause.addEventListener('click', pauseOrResume);
  ui.stop.addEventListener('click', stop);
  $('account-form').addEventListener('submit', (e) => { e.preventDefault(); if (!ui.start.disabled) start(); });
  document.body.dataset.ready = 'true';
}

boot();
