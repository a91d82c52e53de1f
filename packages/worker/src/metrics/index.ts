/**
 * Worker metrics: the API the data path calls, and its wiring to the supervisor.
 *
 * One recorder per worker process (`recorder`), configured at init by startMetrics(). The data
 * path imports it and calls, all synchronous, cheap and allocation-free in the steady state:
 *
 *   recorder.recordRequest(r)            once per finished request (any status, streams included,
 *                                        cache hits included, errors before routing included with
 *                                        provider/model '')
 *   recorder.recordRateLimited(scope)    once per request rejected by a limit ('key' | 'model' |
 *                                        'global' | ...); also call recordRequest for its 429
 *   recorder.streamStarted() / streamEnded()   around every SSE stream sent to a client
 *   recorder.setProviderHealth(name, healthy, { latencyMs, error, state })
 *                                        after each active health check and request outcome
 *   recorder.setStateBackend(backend, up)   at start and on each healthy/unhealthy transition of
 *                                        the shared state backend (pipeline/admission.ts)
 *   prices.costOf(target, usage)         the costUsd to put in the RequestRecord
 *
 * Nothing here imports prom-client: deltas go to the supervisor every REPORT_INTERVAL_MS and once
 * more (final) before the worker exits; see packages/supervisor/src/metrics.
 */
import type { InitMessage, WorkerStats } from '@gatewayd/shared';
import type { Logger } from '../log.js';
import { sendToSupervisor } from '../supervisor-link.js';
import { loadPriceTable, PriceTable } from './prices.js';
import { MetricsRecorder } from './recorder.js';
import { MetricsReporter, REPORT_INTERVAL_MS, type Send } from './reporter.js';
import { recordSyntheticTraffic, testOnlyReportInterval } from './synthetic.js';

export { MetricsRecorder, type RequestRecord, type ProviderHealthDetail } from './recorder.js';
export { PriceTable, costUsd, parsePriceFile, loadPriceTable, PriceFileError, type TokenUsage } from './prices.js';
export { MetricsReporter, REPORT_INTERVAL_MS } from './reporter.js';
export { LabelBounds, OTHER, NONE } from './labels.js';

/** This worker's recorder. Usable before startMetrics (labels fold into 'other' until configured). */
export const recorder = new MetricsRecorder();
/** This worker's price table (etc/prices.yaml beside the config), loaded by startMetrics. */
export const prices = new PriceTable();

let reporter: MetricsReporter | null = null;

/**
 * Configures the recorder for this generation, loads the price table, starts the periodic push.
 * A broken price file is logged and leaves the table empty: costs from config `price` still count.
 */
export async function startMetrics(init: InitMessage, stats: () => WorkerStats, logger: Logger, send: Send = sendToSupervisor): Promise<void> {
  recorder.configure(init.config);
  try {
    await loadPriceTable(prices, init.configFile);
    if (prices.source) logger.debug({ file: prices.source, models: prices.size }, 'price table loaded');
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'price table not loaded: costs come only from target prices in the config');
  }
  reporter = new MetricsReporter(recorder, stats, send, testOnlyReportInterval() ?? REPORT_INTERVAL_MS);
  reporter.start();
  // After the first (empty) report: with a long test interval, only the final flush carries these.
  const synthetic = recordSyntheticTraffic(recorder, init.config);
  if (synthetic > 0) logger.warn({ requests: synthetic }, 'TEST ONLY: recorded synthetic requests in the metrics');
}

/** Pushes the final deltas (call right before exiting); `done` runs once they are sent or cannot be. */
export function flushMetrics(done: () => void): void {
  if (reporter === null) done();
  else reporter.flush(done);
}
