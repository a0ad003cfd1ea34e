// Type-checks the npm package's TypeScript declarations the way a web
// developer uses them (tsc --noEmit --strict; nothing runs). `make test`
// checks it against the freshly built pkg/.
import init, { MediaBinding, MonetizationEvent, PaymentStream, monetize, version } from '../../pkg/ilp_stream_web.js';
import {
  DEFAULT_RECEIPT_TTL_MS, MemoryStore, ReceiptError, ReceiptVerifier, decodeReceipt, spspUrl, spspWithReceipts, verifyReceipt,
} from '../../pkg/ilp_stream_web.js';
import { SqliteStore } from '../../pkg/stores/sqlite.js';
import { RedisStore } from '../../pkg/stores/redis.js';
import type {
  DataDetail, PaymentResult, PaymentStreamError, PaymentStreamStats, ProgressDetail, StopDetail,
  ThrottledDetail, WebSocketConstructor, Monetization, MonetizedLink, MonetizeOptions, MonetizationErrorEvent,
  ReceiptErrorCode, ReceiptFields, ReceiptNonce, ReceiptStore, SpspJson, VerifiedReceipt,
  AttachMediaOptions,
} from '../../pkg/ilp_stream_web.js';

// The shape of the `ws` package's class (its types are not installed here).
declare class NodeWebSocket {
  constructor(address: string | URL, protocols?: string | string[], options?: object);
  binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments';
  send(data: ArrayBufferView | ArrayBuffer | string): void;
  close(): void;
}

/** Node.js: init() without arguments, a WebSocket class given as an option. */
export async function nodeUsage(): Promise<void> {
  await init();
  const fromWs = new PaymentStream({
    btp: 'btp+ws://alice:token@127.0.0.1:7768',
    receiver: 'http://127.0.0.1:8080/.well-known/pay',
    amountPerSecond: '0',
    WebSocket: NodeWebSocket,
  });
  const browsers: WebSocketConstructor = WebSocket;
  const global = new PaymentStream({ btp: 'btp+wss://c.example', receiver: '$w.example/bob', amountPerSecond: '1', WebSocket: browsers });
  await fromWs.start();
  console.log(await fromWs.pay('5000'), global.state);
}

export async function usage(): Promise<void> {
  await init();
  const v: string = version();
  const s = new PaymentStream({
    btp: 'btp+wss://alice:token@connector.example',
    receiver: '$wallet.example/bob',
    amountPerSecond: 100000n,
    maxTotal: '10000000',
    slippage: 0.01,
  });
  // Listeners get typed details, without options or with them.
  s.addEventListener('progress', (e) => {
    const d: ProgressDetail = e.detail;
    const total: string = d.totalDelivered;
    const receipt: string | null = d.receipt;
    const inDoubt: string = d.totalInDoubt + d.amountInDoubt;
    const receiverScale: number | null = d.receiverAssetScale;
    console.log(v, total, receipt, inDoubt, receiverScale, d.receiverAssetCode);
  });
  s.addEventListener('stop', (e) => {
    const d: StopDetail = e.detail;
    if (d.reason === 'max-total') console.log(d.totalSent, d.totalInDoubt);
  }, { once: true });
  s.addEventListener('error', (e) => console.log(e.detail.code, e.detail.message));
  s.addEventListener('throttled', (e) => {
    const d: ThrottledDetail = e.detail;
    const slow: boolean = d.throttled;
    console.log(slow, d.achievedPerSecond);
  });
  // Data the receiver sends: as events, or read at the page's pace.
  s.addEventListener('data', (e) => {
    const d: DataDetail = e.detail;
    const bytes: Uint8Array = d.data;
    console.log(bytes.byteLength);
  });
  const reader = s.readable.getReader();
  const chunk: ReadableStreamReadResult<Uint8Array> = await reader.read();
  if (!chunk.done) console.log(chunk.value.byteLength);
  reader.releaseLock();
  try {
    await s.start({ signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const e = err as PaymentStreamError;
    const retry: boolean = e.retryable;
    const ilp: string | undefined = e.ilpCode;
    const by: string | null | undefined = e.triggeredBy;
    console.log(e.code, retry, ilp, e.ilpMessage, by);
  }
  s.pause();
  s.resume();
  s.setAmountPerSecond('50000');
  s.setAmountPerSecond(25000n);
  const perSecond: string = s.amountPerSecond;
  console.log(perSecond);
  const controller = new AbortController();
  const result: PaymentResult = await s.pay('5000000', { signal: controller.signal });
  await s.sendData(new Uint8Array([1]), { signal: controller.signal });
  const { sent, delivered, inDoubt } = result;
  const throttled: boolean = s.throttled;
  const stats: PaymentStreamStats = s.stats;
  const rtt: number | null = stats.rttMs;
  const t04: number | undefined = stats.packetsRejected['T04'];
  const rate: string | undefined = stats.exchangeRate?.min;
  console.log(rtt, t04, rate, stats.maxPacketAmount, stats.reconnects);
  const code: PaymentStreamError['code'] = 'packet-limit';
  console.log(inDoubt, s.totalInDoubt, throttled, code);
  await s.sendData(new TextEncoder().encode('hello'));
  await s.stop();
  const state: 'idle' | 'connecting' | 'streaming' | 'paused' | 'stopped' | 'failed' = s.state;
  console.log(sent, delivered, s.totalSent, s.totalDelivered, state);
  s.free();
}

/** Web Monetization: monetize() for the page's links, the spec's events on each link. */
export async function webMonetization(): Promise<void> {
  await init();
  const options: MonetizeOptions = {
    btp: 'btp+wss://alice:token@connector.example',
    amountPerSecond: '100000',
    whenHidden: 'pause',
    force: false,
  };
  const m: Monetization = monetize(options);
  monetize({ btp: 'btp+wss://c.example', amountPerSecond: 1n, whenHidden: 'continue', document });
  const active: boolean = m.active;
  const links: MonetizedLink[] = m.links;
  for (const l of links) {
    const el: HTMLLinkElement = l.element;
    const sent: string = l.totalSent;
    const scale: number | null = l.assetScale;
    console.log(el.href, l.paymentPointer, sent, l.totalDelivered, l.amountPerSecond, l.state, scale, l.error?.code);
  }
  const total: string = m.totalSent;
  const link = document.querySelector('link[rel="monetization"]') as HTMLLinkElement;
  // The spec's event, typed on elements, documents and windows.
  link.addEventListener('monetization', (ev) => {
    const value: string = ev.amountSent.value;
    const currency: string = ev.amountSent.currency;
    const pointer: string = ev.paymentPointer;
    const incoming: string | null = ev.incomingPayment;
    const receipt: string | null = ev.receipt;
    const amount: string | null = ev.amount;
    console.log(value, currency, pointer, incoming, receipt, amount, ev.assetCode, ev.assetScale, ev instanceof MonetizationEvent);
  });
  window.addEventListener('monetization', (ev) => console.log(ev.paymentPointer));
  link.onmonetization = (ev) => console.log(ev.amountSent.value);
  link.addEventListener('error', (ev: Event) => {
    const e = ev as MonetizationErrorEvent;
    console.log(e.code, e.detail.message, e.detail.retryable);
  });
  const made = new MonetizationEvent('monetization', { amountSent: { value: '0.01', currency: 'USD' }, paymentPointer: '$w.example/bob' });
  const final = await m.stop();
  const finalTotal: string = final.totalSent;
  console.log(active, total, made.paymentPointer, finalTotal, final.links.length);
}

/** A publisher's server: receipt verification with each store. */
export async function receiptUsage(): Promise<void> {
  await init();
  const stores: ReceiptStore[] = [
    new MemoryStore(),
    new MemoryStore({ now: () => Date.now() }),
    new SqliteStore({ filename: 'receipts.db', busyTimeoutMs: 1000 }),
    new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'site:' }),
  ];
  const verifier = new ReceiptVerifier({ store: stores[2], ttlMs: DEFAULT_RECEIPT_TTL_MS });
  const fresh: ReceiptNonce = await verifier.newNonce('visitor-1');
  const headers: Record<string, string> = { 'Receipt-Nonce': fresh.nonce, 'Receipt-Secret': fresh.secret };
  const expires: number = fresh.expiresAt;
  const spsp: SpspJson = await spspWithReceipts({ receiver: '$wallet.example/bob', verifier, visitorId: 'visitor-1', timeoutMs: 5000 });
  const forPage: { destination_account: string; shared_secret: string; receipts_enabled: true } = spsp;
  try {
    const r: VerifiedReceipt = await verifier.verify('AQAAAA…', { visitorId: 'visitor-1' });
    const increase: bigint = r.increase;
    const total: bigint = r.totalReceived;
    console.log(increase, total, r.visitorId, r.nonce, r.streamId);
  } catch (e) {
    if (e instanceof ReceiptError) {
      const code: ReceiptErrorCode = e.code;
      console.log(code, e.message);
    }
  }
  const visitorTotal: bigint = await verifier.total('visitor-1');
  const fields: ReceiptFields = decodeReceipt('AQAAAA…');
  const checked: ReceiptFields = verifyReceipt('AQAAAA…', fresh.secret);
  const total: bigint = fields.totalReceived + checked.totalReceived;
  const url: string = spspUrl('$wallet.example/bob');
  for (const store of stores) await store.close?.();
  console.log(headers, expires, forPage, visitorTotal, total, url, verifier.ttlMs, verifier.store);
}

/** Pay while the video plays: one line binds the stream to the element. */
export async function media(): Promise<void> {
  await init();
  const s = new PaymentStream({ btp: 'btp+wss://c.example', receiver: '$w.example/bob', amountPerSecond: '100000' });
  const video = document.querySelector('video') as HTMLVideoElement;
  const binding: MediaBinding = s.attachMedia(video);
  await s.start();
  const el: HTMLMediaElement = binding.element;
  const same: PaymentStream = binding.stream;
  const on: boolean = binding.attached;
  binding.detach();
  const options: AttachMediaOptions = { whenHidden: 'continue' };
  const audio = new Audio();
  {
    using again = s.attachMedia(audio, options);
    console.log(again.attached);
  }
  // @ts-expect-error: whenHidden is 'pause' or 'continue'
  s.attachMedia(audio, { whenHidden: 'sometimes' });
  // @ts-expect-error: a media element, not any element
  s.attachMedia(document.body);
  // @ts-expect-error: made by attachMedia only
  new MediaBinding();
  console.log(el.currentTime, same.state, on, binding instanceof MediaBinding);
}
