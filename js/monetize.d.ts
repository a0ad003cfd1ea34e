// ---- Web Monetization (js/monetize.js, appended by scripts/finish-pkg.mjs) ----
/** Options of {@link monetize}. */
export interface MonetizeOptions {
  /** BTP server with the visitor's account, as for `PaymentStream`: `btp+wss://user:token@host/path`. */
  btp: string;
  /** Source units per second for the whole page, split across its active monetization links in exact integer shares. */
  amountPerSecond: string | bigint;
  /** `'pause'` (default): every stream pauses while `document.hidden`; `'continue'` keeps paying. */
  whenHidden?: 'pause' | 'continue';
  /** Also run where `relList.supports('monetization')` is already true (a native or extension implementation). Default false. */
  force?: boolean;
  /** The document to watch (default: the global `document`). */
  document?: Document;
  /** A WebSocket class, as the `PaymentStream` option. */
  WebSocket?: WebSocketConstructor;
}
/** One monetization link being paid (a fresh snapshot on every read of `links`). */
export interface MonetizedLink {
  /** The `<link rel="monetization">` element. */
  element: HTMLLinkElement;
  /** Its `href`: a payment pointer or an SPSP URL. */
  paymentPointer: string;
  /** The stream's state; `'failed'` once its receiver failed (it is then paid nothing). */
  state: PaymentStreamState;
  /** Its current share of `amountPerSecond` (decimal string). */
  amountPerSecond: string;
  /** Source units sent to it (decimal string, the sender's asset). */
  totalSent: string;
  /** Units its receiver reported (decimal string, the receiver's asset). */
  totalDelivered: string;
  assetCode: string | null;
  assetScale: number | null;
  /** The error that ended its stream, if one did. */
  error: ErrorDetail | null;
}
/** What {@link monetize} returns. */
export interface Monetization {
  /** False where another implementation was found and `force` was not set: nothing is paid. */
  readonly active: boolean;
  /** The links being paid, each with its totals. */
  readonly links: MonetizedLink[];
  /** Source units sent to every link together, removed ones included (decimal string). */
  readonly totalSent: string;
  /** Stops watching and stops every stream; resolves with the final totals. */
  stop(): Promise<{ totalSent: string; links: MonetizedLink[] }>;
}
/** `amountSent` of a {@link MonetizationEvent} (the Payment Request API's PaymentCurrencyAmount). */
export interface MonetizationCurrencyAmount {
  /** A decimal monetary value in the sender's asset, e.g. `'0.0001'`. */
  value: string;
  /** Its asset code, e.g. `'USD'`. */
  currency: string;
}
export interface MonetizationEventInit extends EventInit {
  amountSent: MonetizationCurrencyAmount;
  paymentPointer: string;
  incomingPayment?: string | null;
  receipt?: string | null;
  amount?: string | null;
  assetCode?: string | null;
  assetScale?: number | null;
}
/** The `monetization` event fired at each paid link element (it bubbles). */
export class MonetizationEvent extends Event {
  constructor(type: string, init: MonetizationEventInit);
  readonly amountSent: MonetizationCurrencyAmount;
  /** The link's `href`. */
  readonly paymentPointer: string;
  /** Always null here (no Open Payments). */
  readonly incomingPayment: string | null;
  /** The latest STREAM receipt (RFC 39), base64, or null. */
  readonly receipt: string | null;
  /** @deprecated The amount in the sender's base units (integer string). */
  readonly amount: string | null;
  /** @deprecated */
  readonly assetCode: string | null;
  /** @deprecated */
  readonly assetScale: number | null;
}
/** The `error` event fired at a link whose stream failed (`detail` as a PaymentStream's `error`). */
export interface MonetizationErrorEvent extends CustomEvent<ErrorDetail> {
  readonly code: PaymentStreamErrorCode;
}
/**
 * Pays the page's `<link rel="monetization">` elements over STREAM, watching the document
 * for links added, removed, disabled or changed, and fires `monetization` events at them.
 * Does nothing (returns an inactive controller) where Web Monetization is already
 * supported, unless `force`. Throws a `TypeError` (code `invalid-option`) for bad options.
 */
export function monetize(options: MonetizeOptions): Monetization;
declare global {
  interface HTMLElementEventMap { monetization: MonetizationEvent; }
  interface DocumentEventMap { monetization: MonetizationEvent; }
  interface WindowEventMap { monetization: MonetizationEvent; }
  interface HTMLElement { onmonetization: ((this: HTMLElement, ev: MonetizationEvent) => unknown) | null; }
}
