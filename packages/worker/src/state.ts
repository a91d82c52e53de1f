/**
 * The worker's live counters and the set of requests still in progress, shared by the router,
 * the handlers, the drain controller and the stats reply.
 */
import type { WorkerStats } from '@gatewayd/shared';
import type { Exchange } from './http/exchange.js';
import type { Logger } from './log.js';
import { PendingList } from './pending.js';

export class WorkerState {
  inFlight = 0;
  activeStreams = 0;
  requestsTotal = 0;
  draining = false;
  /** Draining because a new generation serves in this worker's place (reload): readiness stays 200. */
  replaced = false;
  /**
   * performance.now() of the last request start or response end, for the drain idle rule
   * (drain.ts). A worker that never served a request has no keep-alive connection to wait for.
   */
  lastActivityAt = -Infinity;
  /** Requests answered asynchronously and not finished yet: what a drain deadline has to cut. */
  readonly pending = new PendingList<Exchange>();
  /** Set by the drain controller: called each time a request finishes while draining. */
  onRequestFinished: (() => void) | null = null;

  constructor(
    readonly logger: Logger,
    /** Debug-level access lines are on: decided once, not per request. */
    readonly accessLog: boolean,
  ) {}

  stats(): WorkerStats {
    return { inFlight: this.inFlight, activeStreams: this.activeStreams, requestsTotal: this.requestsTotal, draining: this.draining };
  }
}
