/** Builders of worker reports for the supervisor-side metrics tests. */
import { LATENCY_BUCKETS_SECONDS, OVERHEAD_BUCKETS_SECONDS, type HistogramDelta, type MetricsReportMessage, type WorkerState } from '@gatewayd/shared';
import type { WorkerRef } from '../../src/metrics/index.js';

export function histogram(bounds: readonly number[], value: number, count: number): HistogramDelta {
  const buckets = new Array<number>(bounds.length + 1).fill(0);
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  buckets[i] = count;
  return { buckets, sum: value * count, count };
}

/** `requests` answers of `status` for openai/gpt-4o-mini, 0.3 s each, key team-a. */
export function report(seq: number, requests: number, options: { status?: number; activeStreams?: number; final?: boolean; cost?: number; inFlight?: number; stateBackend?: MetricsReportMessage['stateBackend'] } = {}): MetricsReportMessage {
  const status = options.status ?? 200;
  return {
    type: 'metrics',
    seq,
    final: options.final ?? false,
    models:
      requests === 0
        ? []
        : [
            {
              provider: 'openai',
              model: 'gpt-4o-mini',
              statuses: [[status, requests]],
              duration: histogram(LATENCY_BUCKETS_SECONDS, 0.3, requests),
              ttft: histogram(LATENCY_BUCKETS_SECONDS, 0.1, 0),
              promptTokens: 10 * requests,
              completionTokens: 5 * requests,
              cachedTokens: 0,
              costUsd: options.cost ?? 0.001 * requests,
              cacheHits: requests,
              cacheMisses: requests,
            },
          ],
    keys: requests === 0 ? [] : [{ key: 'team-a', requests, errors: status >= 400 ? requests : 0, promptTokens: 10 * requests, completionTokens: 5 * requests, cachedTokens: 0, costUsd: options.cost ?? 0.001 * requests, cacheHits: requests, cacheMisses: requests }],
    overhead: requests === 0 ? null : histogram(OVERHEAD_BUCKETS_SECONDS, 0.0004, requests),
    rateLimited: [],
    activeStreams: options.activeStreams ?? 0,
    stateBackend: options.stateBackend ?? null,
    process: { cpuSecondsDelta: 0.5, rssBytes: 50_000_000, heapUsedBytes: 10_000_000, eventLoopLagMeanSeconds: 0.001, eventLoopLagP99Seconds: 0.002, eventLoopLagMaxSeconds: 0.003 },
    stats: { inFlight: options.inFlight ?? 0, activeStreams: options.activeStreams ?? 0, requestsTotal: 0, draining: false },
  };
}

export function workerRef(slot: number, pid: number, generation = 1, state: WorkerState = 'ready'): WorkerRef {
  return { slot, pid, generation, state };
}

/** The value of one sample line of a Prometheus text exposition, or undefined. */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return undefined;
}
