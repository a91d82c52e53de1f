/**
 * The failover loop's "client went away" signal. An AbortController/AbortSignal pair per request
 * costs an EventTarget, listener bookkeeping and option parsing on the hot path; the loop only
 * ever waits on ONE thing at a time (an attempt or a backoff), so one listener slot is enough.
 */
export class Cancellation {
  private cancelled = false;
  private listener: (() => void) | null = null;

  get aborted(): boolean {
    return this.cancelled;
  }

  /** Idempotent; runs the current listener, if any, once. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listener = this.listener;
    this.listener = null;
    listener?.();
  }

  /** Replaces the listener (the loop awaits one thing at a time). */
  onCancel(listener: () => void): void {
    this.listener = listener;
  }

  offCancel(listener: () => void): void {
    if (this.listener === listener) this.listener = null;
  }
}
