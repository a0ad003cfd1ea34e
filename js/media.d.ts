// ---- Media playback (js/media.js, appended by scripts/finish-pkg.mjs) ----
/** Options of {@link PaymentStream.attachMedia}. */
export interface AttachMediaOptions {
  /** `'pause'` (default): the stream also pauses while `document.hidden`, and resumes on visible only if the element is playing; `'continue'` keeps paying while hidden. */
  whenHidden?: 'pause' | 'continue';
}
/**
 * A {@link PaymentStream} following an `<audio>`/`<video>` element, made by
 * {@link PaymentStream.attachMedia}: `playing` resumes the stream; `pause`, `ended`,
 * `waiting`, `stalled`, `seeking` and `emptied` pause it.
 */
export class MediaBinding {
  private constructor();
  /** The stream this binding drives. */
  readonly stream: PaymentStream;
  /** The media element it follows. */
  readonly element: HTMLMediaElement;
  /** False once detached (by `detach()`, or by itself when the stream stops). */
  readonly attached: boolean;
  /** Stops following the element (removes every listener); the stream keeps its state. Harmless to call twice. */
  detach(): void;
  /** Same as `detach()`, for `using`. */
  [Symbol.dispose](): void;
}
export interface PaymentStream {
  /**
   * Pays while `element` plays: `playing` → `resume()`; `pause`, `ended`, `waiting`,
   * `stalled`, `seeking`, `emptied` → `pause()`; with `whenHidden: 'pause'` (default)
   * also paused while the document is hidden. Attached to a paused element, the stream
   * pauses at once (before `start()`: it starts paused). One binding per stream at a
   * time. Throws `invalid-option` (a `TypeError`) for a bad option or an element that is
   * not an `HTMLMediaElement`, `invalid-state` once the stream has stopped or while it
   * already follows an element.
   */
  attachMedia(element: HTMLMediaElement, options?: AttachMediaOptions): MediaBinding;
}
