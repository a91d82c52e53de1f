import { z } from 'zod';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use "500ms", "30s", "5m", "1h" or milliseconds)` });
    return z.NEVER;
  }
  return ms;
});

/** Node's timers wait at most 2^31-1 ms (~24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A duration that arms a timer (timeouts, intervals, backoffs): at most ~24 days. */
const timerDuration = duration.refine((ms) => ms <= MAX_TIMER_MS, { message: 'at most 24d (a longer timer would fire at once)' });

const size = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)} (use "512kb", "10mb" or bytes)` });
    return z.NEVER;
  }
  return bytes;
});

/**
 * `${VAR}` expands to a string, so numeric and boolean fields also accept their string spelling
 * (`port: "${PORT}"`); anything else still fails with the field's own message.
 */
const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);
const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const port = numeric(z.number().int().min(0).max(65535));
const nonEmpty = z.string().min(1);

export const LimitsSchema = z.strictObject({
  rpm: numeric(z.number().int().positive()).optional(),
  tpm: numeric(z.number().int().positive()).optional(),
  concurrency: numeric(z.number().int().positive()).optional(),
});

export const GatewayKeySchema = z.strictObject({
  name: nonEmpty,
  /** Empty when its ${ENV} is unset: such a key is disabled by the loader with a warning. */
  key: z.string(),
  limits: LimitsSchema.optional(),
  /** Model names or globs this key may call; all when absent. */
  models: z.array(nonEmpty).optional(),
});

export const ProviderTypeSchema = z.enum(['openai', 'anthropic', 'gemini', 'mock']);

/** A URL that also passes `problemOf` (undefined: none; else the message). */
function urlChecked(problemOf: (url: URL) => string | undefined) {
  return z.url().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return; // z.url() has said so
    }
    const problem = problemOf(url);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/**
 * An http(s) URL with at most a path: the endpoint paths are appended to it, so a query or fragment
 * would end up in the middle of them, and credentials in it would never be sent. Query parameters
 * go in `query`, credentials in `api_keys` or `headers`.
 */
const BaseUrlSchema = urlChecked((url) =>
  url.protocol !== 'http:' && url.protocol !== 'https:'
    ? `the scheme must be http or https, got "${url.protocol.slice(0, -1)}"`
    : url.username !== '' || url.password !== ''
      ? 'credentials in the URL are not sent: put the key in api_keys (or a header in headers)'
      : url.search !== '' || url.hash !== ''
        ? 'a query or fragment would land in the middle of the endpoint paths: put query parameters in query'
        : undefined,
);

/**
 * Why a URL's user name or password cannot be decoded (a `%` not followed by two hex digits, or
 * escapes that are not UTF-8), or undefined: `new URL()` keeps such a `%` as it is, and the
 * clients that decode it (ioredis, the OTLP exporter) would throw at every connection. The
 * message does not repeat the credentials.
 */
function undecodableCredentials(url: URL): string | undefined {
  for (const [part, value] of [['user name', url.username], ['password', url.password]] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `the ${part} must be percent-encoded: it has a "%" that does not start an escape of UTF-8 like %2F (write % as %25)`;
    }
  }
  return undefined;
}

/**
 * A redis:// or rediss:// URL. An unparseable one (a password with `/` or `#` not percent-encoded)
 * would leave limits off at start with only a warning; the message does not repeat the URL.
 */
function checkRedisUrl(value: string, ctx: z.RefinementCtx): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a valid URL (percent-encode "/", "#", "?" and "@" in the password: / is %2F)' });
    return;
  }
  const problem =
    url.protocol !== 'redis:' && url.protocol !== 'rediss:' ? `the scheme must be redis or rediss, got "${url.protocol.slice(0, -1).slice(0, 20)}"` : undecodableCredentials(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
}

/** The OTLP collector's URL: credentials in it are sent (basic auth), so they must decode. */
const CollectorUrlSchema = urlChecked(undecodableCredentials);

export const ProviderSchema = z.strictObject({
  name: nonEmpty,
  type: ProviderTypeSchema,
  base_url: BaseUrlSchema.optional(),
  /** Empty strings (unset ${ENV}) are dropped by the loader. */
  api_keys: z.array(z.string()).default([]),
  headers: z.record(z.string(), z.string()).default({}),
  query: z.record(z.string(), z.string()).default({}),
  timeout: timerDuration.optional(),
  /** Keep-alive connections to this provider's origin, per worker. */
  max_connections: numeric(z.number().int().min(1).max(10_000)).default(D.provider.max_connections),
  /** mock only: SSE chunks per streamed answer, delay between chunks, latency before the first byte. */
  chunks: numeric(z.number().int().min(1).max(100_000)).default(D.mock.chunks),
  chunk_delay: timerDuration.default(D.mock.chunk_delay),
  latency: timerDuration.default(D.mock.latency),
});

/** USD per million tokens; used by the `cost` strategy and the cost metric. */
export const PriceSchema = z.strictObject({
  input: numeric(z.number().min(0)),
  output: numeric(z.number().min(0)),
  cached_input: numeric(z.number().min(0)).optional(),
  /** Prompt tokens written to the provider's prompt cache (Anthropic: 1.25 x input), default input. */
  cache_write: numeric(z.number().min(0)).optional(),
  /** The same with a 1-hour lifetime (Anthropic: 2 x input), default cache_write. */
  cache_write_1h: numeric(z.number().min(0)).optional(),
});

export const TargetSchema = z.strictObject({
  provider: nonEmpty,
  /** Upstream model name; in a glob model (`name: "openai/*"`), `*` here takes the matched part. */
  model: nonEmpty,
  weight: numeric(z.number().positive()).default(1),
  price: PriceSchema.optional(),
});

export const ModelSchema = z.strictObject({
  name: nonEmpty,
  aliases: z.array(nonEmpty).default([]),
  strategy: z.enum(['fallback', 'round_robin', 'weighted', 'least_latency', 'cost']).default('fallback'),
  targets: z.array(TargetSchema).min(1),
  /** Limits on this model across all callers (each key's own limits apply too). */
  limits: LimitsSchema.optional(),
});

export const ConfigSchema = z.strictObject({
  server: z.strictObject({
    host: nonEmpty.default(D.server.host),
    port: port.default(D.server.port),
    workers: z.union([numeric(z.number().int().min(1).max(256)), z.literal('auto')]).default(D.server.workers),
    drain_timeout: timerDuration.default(D.server.drain_timeout),
    body_limit: size.default(D.server.body_limit),
    request_timeout: timerDuration.default(D.server.request_timeout),
    stream_idle_timeout: timerDuration.default(D.server.stream_idle_timeout),
  }).prefault({}),
  admin: z.strictObject({
    enabled: flag().default(D.admin.enabled),
    host: nonEmpty.default(D.admin.host),
    port: port.default(D.admin.port),
    // Present but empty is an unset ${ENV} far more often than a wish for an open admin API.
    token: z.string().min(1, { message: 'is empty (an unset ${ENV}?); leave the key out to serve the admin API without a token' }).optional(),
  }).prefault({}),
  logging: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default(D.logging.level),
    format: z.enum(['json', 'pretty']).default(D.logging.format),
    log_prompts: flag().default(D.logging.log_prompts),
  }).prefault({}),
  state: z.strictObject({
    backend: z.enum(['local', 'redis']).default(D.state.backend),
    on_error: z.enum(['open', 'closed']).default(D.state.on_error),
    redis: z.strictObject({
      url: nonEmpty.superRefine(checkRedisUrl).default(D.state.redis.url),
      // The gateway adds the hash tags ({limits}); a brace in the prefix would make Redis hash that
      // part instead and scatter one scope's keys over a cluster's slots (CROSSSLOT).
      prefix: z.string().refine((prefix) => !/[{}]/.test(prefix), { message: 'must not contain { or } (the gateway adds the hash tags)' }).default(D.state.redis.prefix),
      timeout: timerDuration.default(D.state.redis.timeout),
      cluster: flag().default(D.state.redis.cluster),
    }).prefault({}),
  }).prefault({}),
  auth: z.strictObject({
    mode: z.enum(['gateway', 'client', 'hybrid']).default(D.auth.mode),
    keys: z.array(GatewayKeySchema).default([]),
  }).prefault({}),
  supervisor: z.strictObject({
    ready_timeout: timerDuration.refine((ms) => ms > 0, { message: 'must be more than 0 (no worker is ready in no time)' }).default(D.supervisor.ready_timeout),
    restart_backoff_initial: timerDuration.default(D.supervisor.restart_backoff_initial),
    restart_backoff_max: timerDuration.default(D.supervisor.restart_backoff_max),
    crash_loop_window: timerDuration.default(D.supervisor.crash_loop_window),
    crash_loop_max_restarts: numeric(z.number().int().min(1)).default(D.supervisor.crash_loop_max_restarts),
  }).prefault({}),
  providers: z.array(ProviderSchema).default([]),
  models: z.array(ModelSchema).default([]),
  /** Limits on all traffic through the gateway (across keys and models). */
  limits: LimitsSchema.optional(),
  routing: z.strictObject({
    /** Extra attempts per request after the first, across targets (failover) and on the same one. */
    retries: numeric(z.number().int().min(0).max(10)).default(D.routing.retries),
    backoff_initial: timerDuration.default(D.routing.backoff_initial),
    backoff_max: timerDuration.default(D.routing.backoff_max),
    /** A retry-after longer than this is not waited for: the next target is tried instead. */
    retry_after_max: timerDuration.default(D.routing.retry_after_max),
    /** Consecutive failures that open a target's circuit breaker. */
    breaker_threshold: numeric(z.number().int().min(1)).default(D.routing.breaker_threshold),
    breaker_cooldown: timerDuration.default(D.routing.breaker_cooldown),
    /** How long an api key that got 401/403/429 is skipped (429: retry-after when longer). */
    key_cooldown: timerDuration.default(D.routing.key_cooldown),
    /** EWMA smoothing for least_latency. */
    latency_alpha: numeric(z.number().gt(0).max(1)).default(D.routing.latency_alpha),
  }).prefault({}),
  cache: z.strictObject({
    enabled: flag().default(D.cache.enabled),
    ttl: duration.default(D.cache.ttl),
    max_entries: numeric(z.number().int().positive()).default(D.cache.max_entries),
    max_bytes: size.refine((bytes) => bytes > 0, { message: 'must be positive' }).default(D.cache.max_bytes),
  }).prefault({}),
  cors: z.strictObject({
    origins: z.array(nonEmpty).default([...D.cors.origins]),
  }).prefault({}),
  /** issue 5: active provider checks (an authenticated GET of the models endpoint), run by worker 0 only. */
  health_checks: z.strictObject({
    enabled: flag().default(D.health_checks.enabled),
    interval: timerDuration.refine((ms) => ms >= 100, { message: 'must be at least 100ms' }).default(D.health_checks.interval),
    timeout: timerDuration.refine((ms) => ms > 0, { message: 'must be positive' }).default(D.health_checks.timeout),
  }).prefault({}),
  /** issue 5: OpenTelemetry spans exported over OTLP/HTTP (JSON); off by default. */
  tracing: z.strictObject({
    enabled: flag().default(D.tracing.enabled),
    endpoint: CollectorUrlSchema.default(D.tracing.endpoint),
    service_name: nonEmpty.default(D.tracing.service_name),
    sample_ratio: numeric(z.number().min(0).max(1)).default(D.tracing.sample_ratio),
    /** Sent with every export (collector auth); shown only as fingerprints in /admin/config. */
    headers: z.record(z.string(), z.string()).default({}),
  }).prefault({}),
});

export type GatewayConfig = z.output<typeof ConfigSchema>;
export type ProviderConfig = z.output<typeof ProviderSchema>;
export type ModelConfig = z.output<typeof ModelSchema>;
export type TargetConfig = z.output<typeof TargetSchema>;
export type PriceConfig = z.output<typeof PriceSchema>;
export type RoutingConfig = GatewayConfig['routing'];
export type GatewayKeyConfig = z.output<typeof GatewayKeySchema>;
export type LimitsConfig = z.output<typeof LimitsSchema>;
export type ProviderType = z.output<typeof ProviderTypeSchema>;

/** Default upstream base URL per provider type, used when base_url is omitted. */
export const DEFAULT_BASE_URLS: Record<Exclude<ProviderType, 'mock'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com/v1beta',
};
