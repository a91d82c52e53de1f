/**
 * Graceful drain: stop accepting, let in-flight requests and SSE streams finish, exit(0).
 *
 * Idle-close rule. Keep-alive connections are never closed under a client: once draining, every
 * response ends with `Connection: close`, so a client learns to reconnect (to a sibling worker)
 * from the answer to its next request. An idle keep-alive connection is closed by uWS itself after
 * its 10 s HTTP idle timeout; uSockets checks timeouts on a 4 s tick, so that happens at most
 * 12 s after the connection's last activity (measured: 9-12 s). So the worker exits when nothing
 * is in flight AND no request started or finished for KEEPALIVE_CLOSED_AFTER_MS: by then no
 * connection is left on which a client could send a request we would reset. A request that
 * arrives meanwhile is served (with Connection: close) and restarts the wait.
 *
 * At the deadline (timeoutMs after the drain started) whatever is left is cut: streams get a
 * final OpenAI-shaped GW_ERR_SHUTTING_DOWN error event, unanswered requests a 503, and the
 * worker exits, which closes the remaining connections.
 */
import { cutExchange } from './http/respond.js';
import type { DataServer } from './http/server.js';
import type { Logger } from './log.js';
import type { WorkerState } from './state.js';

export const KEEPALIVE_CLOSED_AFTER_MS = 12_500;
/** Longest wait for the upstream pools to close before exiting anyway. */
const POOL_CLOSE_WAIT_MS = 1_000;
const MAX_TIMER_MS = 2_147_483_647;

export class DrainController {
  private deadlineTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private deadlineAt = Infinity;

  constructor(
    private readonly worker: WorkerState,
    private readonly server: DataServer,
    private readonly logger: Logger,
    private readonly exit: (code: number) => void,
  ) {}

  get started(): boolean {
    return this.worker.draining;
  }

  /** Starts draining; a second call can only bring the deadline forward. */
  start(timeoutMs: number, reason: string): void {
    const deadlineAt = performance.now() + timeoutMs;
    if (this.worker.draining) {
      if (deadlineAt < this.deadlineAt) this.armDeadline(timeoutMs, deadlineAt);
      return;
    }
    this.worker.draining = true;
    this.server.closeListener();
    this.worker.onRequestFinished = () => this.checkIdle();
    this.armDeadline(timeoutMs, deadlineAt);
    this.logger.info({ reason, timeoutMs, inFlight: this.worker.inFlight, activeStreams: this.worker.activeStreams }, 'draining');
    this.checkIdle();
  }

  private armDeadline(timeoutMs: number, deadlineAt: number): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineAt = deadlineAt;
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS));
  }

  private checkIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker.inFlight > 0) return; // re-checked when the last one finishes
    const wait = this.worker.lastActivityAt + KEEPALIVE_CLOSED_AFTER_MS - performance.now();
    if (wait <= 0) this.finish('drained');
    else this.idleTimer = setTimeout(() => this.checkIdle(), Math.ceil(wait));
  }

  private onDeadline(): void {
    this.deadlineTimer = null;
    this.worker.onRequestFinished = null; // cutting finishes requests: no idle checks meanwhile
    const left = this.worker.pending.toArray();
    if (left.length > 0) this.logger.warn({ requests: left.length, activeStreams: this.worker.activeStreams }, 'drain deadline reached: cutting the requests still running');
    for (const ex of left) cutExchange(ex);
    this.finish('deadline');
  }

  private finish(how: 'drained' | 'deadline'): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.deadlineTimer = null;
    this.idleTimer = null;
    this.worker.onRequestFinished = null;
    this.logger.info({ how, requestsTotal: this.worker.requestsTotal }, 'drain complete, exiting');
    // Upstream keep-alive connections are closed first (quick: nothing is in flight any more);
    // a stuck close does not hold the exit up.
    const exitNow = (): void => this.exit(0);
    setTimeout(exitNow, POOL_CLOSE_WAIT_MS).unref();
    this.server.shutdown().then(exitNow, exitNow);
  }
}
