/**
 * Every default of the config in one object, next to the schema (schema.ts).
 * Durations are milliseconds here; the YAML accepts "30s" style strings.
 */
export const CONFIG_DEFAULTS = {
  server: {
    host: '127.0.0.1',
    port: 8080,
    workers: 2 as number | 'auto',
    drain_timeout: 30_000,
    body_limit: 10 * 1024 * 1024,
    request_timeout: 600_000,
    stream_idle_timeout: 120_000,
  },
  admin: { enabled: true, host: '127.0.0.1', port: 9090 },
  logging: { level: 'info' as const, format: 'json' as const, log_prompts: false },
  state: { backend: 'local' as const, on_error: 'open' as const, redis: { url: 'redis://127.0.0.1:6379', prefix: 'gatewayd:', timeout: 250, cluster: false } },
  auth: { mode: 'hybrid' as const },
  supervisor: {
    ready_timeout: 10_000,
    restart_backoff_initial: 100,
    restart_backoff_max: 30_000,
    crash_loop_window: 60_000,
    crash_loop_max_restarts: 10,
  },
  mock: { chunks: 8, chunk_delay: 0, latency: 0 },
  provider: { max_connections: 128 },
  routing: {
    retries: 2,
    backoff_initial: 100,
    backoff_max: 5_000,
    retry_after_max: 30_000,
    breaker_threshold: 5,
    breaker_cooldown: 30_000,
    key_cooldown: 60_000,
    latency_alpha: 0.3,
  },
  cache: { enabled: false, ttl: 3_600_000, max_entries: 10_000, max_bytes: 256 * 1024 * 1024 },
  cors: { origins: [] as string[] },
  // issue 5: active provider health checks (worker 0) and OpenTelemetry tracing
  health_checks: { enabled: true, interval: 30_000, timeout: 5_000 },
  tracing: { enabled: false, endpoint: 'http://127.0.0.1:4318/v1/traces', service_name: 'gatewayd', sample_ratio: 1 },
} as const;
