/**
 * Pushes the recorder's deltas to the supervisor on a timer, and a final report when the worker
 * is about to exit (drain done, fatal error), so no counted request is lost. A SIGKILLed worker
 * loses at most one interval of deltas.
 */
import type { WorkerStats, WorkerToSupervisor } from '@gatewayd/shared/ipc';
import { ProcessSampler } from './process-sampler.js';
import type { MetricsRecorder } from './recorder.js';

export const REPORT_INTERVAL_MS = 1_000;

export type Send = (message: WorkerToSupervisor, done?: () => void) => void;

export class MetricsReporter {
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private readonly sampler = new ProcessSampler();

  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly stats: () => WorkerStats,
    private readonly send: Send,
    private readonly intervalMs = REPORT_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer !== null || this.finished) return;
    this.report();
    this.timer = setInterval(() => this.report(), this.intervalMs);
    // The timer alone never keeps a worker alive (a drained worker exits through flush()).
    this.timer.unref();
  }

  /** Sends everything not reported yet, marked final; `done` runs once it is handed to the channel. */
  flush(done: () => void): void {
    if (this.finished) {
      done();
      return;
    }
    this.finished = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const health = this.recorder.takeProviderHealth();
    if (health) this.send(health);
    this.send(this.recorder.takeReport(true, this.stats(), this.sampler), done);
    this.sampler.stop();
  }

  private report(): void {
    const health = this.recorder.takeProviderHealth();
    if (health) this.send(health);
    this.send(this.recorder.takeReport(false, this.stats(), this.sampler));
  }
}
