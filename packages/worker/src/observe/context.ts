/** What every request observation of this worker shares: set once per worker by startObservation(). */
import type { Logger } from '../log.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { CostBook } from './cost.js';
import type { Tracer } from './tracing/tracer.js';

export interface ObserveContext {
  readonly logger: Logger;
  readonly recorder: MetricsRecorder;
  readonly costs: CostBook;
  /** null: tracing disabled. */
  readonly tracer: Tracer | null;
  /** logging.log_prompts: prompt and completion text go into the access line. */
  readonly logPrompts: boolean;
  /** The logger's level admits info: decided once, not per request. */
  readonly accessLog: boolean;
}
