/**
 * One log line per gateway transition of the state backend, whatever the number of workers
 * (issue 4). With backend redis every worker has its own connection and its own health tracker,
 * so an outage is seen N times; each worker reports its transitions (`state-health`) and logs
 * them at debug only, and this log turns them into:
 *
 *   - warn "state backend unavailable: <effect>" when a first live worker reports it down;
 *   - info "state backend recovered" when no live worker reports it down any more.
 *
 * A worker's exit removes it. When the last worker that saw the outage exits, the outage is over
 * if another live worker reaches the backend; otherwise nobody knows yet (e.g. its replacement is
 * starting): the next report decides (down: it joins the outage without a second line; up: the
 * recovery), and after `witnessGraceMs` without one the outage is declared over, so a gateway
 * whose workers no longer use the backend never stays "down" for ever.
 */
import type { Logger } from 'pino';
import { STATE_RECOVERED_MSG, stateUnavailableMsg, type StateBackendKind, type StateHealthMessage, type StateHealthView, type StateOnError } from '@gatewayd/shared/state';

/** How long an outage without any live witness waits for a worker's report before it is declared over. */
export const WITNESS_GRACE_MS = 10_000;

export class StateOutageLog {
  /** Live workers (by id) and whether each last reported the backend up. */
  private readonly reported = new Map<number, boolean>();
  /** The outage being logged (its backend, when it began, its first reason); null: none. */
  private outage: { backend: StateBackendKind; since: Date; reason: string | null } | null = null;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly witnessGraceMs: number = WITNESS_GRACE_MS,
  ) {}

  /** True while the gateway logs the backend as unavailable. */
  get down(): boolean {
    return this.outage !== null;
  }

  report(worker: number, message: StateHealthMessage): void {
    this.reported.set(worker, message.up);
    if (!message.up) {
      this.clearGrace();
      if (this.outage !== null) return;
      this.outage = { backend: message.backend, since: new Date(), reason: message.reason };
      this.logger.warn({ stateBackend: message.backend, err: message.reason }, stateUnavailableMsg(message.onError));
    } else if (this.outage !== null && !this.anyReports(false)) {
      this.recover();
    }
  }

  /**
   * The backend's health as `status` and /admin/stats show it. `backend`, `onError`: the serving
   * config's (a reload may have changed them since the outage began).
   */
  view(backend: StateBackendKind, onError: StateOnError): StateHealthView {
    if (this.outage !== null) return { backend, status: 'unavailable', since: this.outage.since.toISOString(), reason: this.outage.reason, onError };
    const status = backend === 'local' || this.anyReports(true) ? 'ok' : 'unknown';
    return { backend, status, since: null, reason: null, onError };
  }

  workerExited(worker: number): void {
    if (!this.reported.delete(worker)) return;
    if (this.outage === null || this.anyReports(false)) return;
    if (this.anyReports(true)) this.recover();
    else this.armGrace();
  }

  /** At shutdown: no timer left behind. */
  close(): void {
    this.clearGrace();
  }

  private anyReports(up: boolean): boolean {
    for (const value of this.reported.values()) if (value === up) return true;
    return false;
  }

  private recover(note?: string): void {
    this.clearGrace();
    const backend = this.outage?.backend ?? null;
    this.outage = null;
    this.logger.info({ stateBackend: backend, ...(note ? { note } : {}) }, STATE_RECOVERED_MSG);
  }

  private armGrace(): void {
    this.clearGrace();
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      if (this.outage !== null && !this.anyReports(false)) this.recover('no live worker reports it down');
    }, this.witnessGraceMs);
    this.graceTimer.unref();
  }

  private clearGrace(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }
}
