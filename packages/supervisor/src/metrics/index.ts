/** Supervisor-side metrics: aggregation of worker reports into the prom-client registry. */
export { MetricsHub, type WorkerRef, type WorkerSample, type HubSources } from './hub.js';
export { METRIC, SPEC_METRIC_NAMES, EXTRA_METRIC } from './names.js';
export { mergeProviderHealth, type ProviderHealthView } from './provider-health.js';
export { NO_KEY, type TrafficView, type ModelTrafficView } from './traffic.js';
