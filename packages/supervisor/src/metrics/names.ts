/**
 * Metric names. SPEC_METRIC_NAMES is the contract of /work/shared/SPEC.md (alert rules and
 * dashboards use them; the deploy tests check etc/prometheus and etc/grafana against this list).
 * Labels: exactly the SPEC's where it names them; bounded extras where it does not.
 */
export const METRIC = {
  requests: 'llm_gateway_requests_total', // {provider, model, status}
  duration: 'llm_gateway_request_duration_seconds', // {provider, model}
  ttft: 'llm_gateway_time_to_first_token_seconds', // {provider, model}
  overhead: 'llm_gateway_overhead_seconds', // total minus upstream time
  tokens: 'llm_gateway_tokens_total', // {type = prompt | completion}
  cost: 'llm_gateway_cost_dollars_total', // {provider, model}
  cacheHits: 'llm_gateway_cache_hits_total', // {model}
  cacheMisses: 'llm_gateway_cache_misses_total', // {model}
  rateLimited: 'llm_gateway_rate_limit_exceeded_total', // {scope}
  providerHealth: 'llm_gateway_provider_health', // {provider}: 1 up (or unknown), 0 down
  activeStreams: 'llm_gateway_active_streams',
  workerRestarts: 'llm_gateway_worker_restarts_total',
  configReloads: 'llm_gateway_config_reloads_total', // {result = success | failure}
} as const;

export const SPEC_METRIC_NAMES: readonly string[] = Object.values(METRIC);

/** Supervisor-level and per-worker process metrics beyond the SPEC. */
export const EXTRA_METRIC = {
  workers: 'llm_gateway_workers', // {state}
  generation: 'llm_gateway_config_generation',
  workerCpu: 'llm_gateway_worker_cpu_seconds_total', // {worker}
  workerRss: 'llm_gateway_worker_resident_memory_bytes', // {worker}
  workerHeap: 'llm_gateway_worker_heap_used_bytes', // {worker}
  workerLag: 'llm_gateway_worker_event_loop_lag_seconds', // {worker, stat = mean | p99 | max}
  workerInFlight: 'llm_gateway_worker_in_flight_requests', // {worker}
  stateBackendUp: 'llm_gateway_state_backend_up', // {backend = local | redis}: min over the workers
} as const;
