/**
 * Active provider health checks (config `health_checks`). They run in ONE process of the gateway,
 * worker 0 (each generation's), so N workers do not multiply the probes a provider sees; the
 * results reach the supervisor with worker 0's metric reports (llm_gateway_provider_health,
 * /health/providers) and come back to every worker as the merged view their readiness uses.
 *
 * Every `interval` each provider gets one probe (probe.ts), never two at once; the mock provider is
 * always healthy. Results go to recorder.setProviderHealth marked `force`, so a fresh check always
 * reaches the supervisor. State changes are logged. Stopped when the worker drains.
 */
import type { GatewayConfig, ProviderConfig, ProviderHealthState } from '@gatewayd/shared';
import type { Logger } from '../log.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { Router } from '../routing/index.js';
import { loadUndici } from '../upstream/undici.js';
import { describeTarget, probeRequest, transportVerdict, verdictOf, type ProbeResult } from './probe.js';

export class ActiveHealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly running = new Set<string>();
  private readonly last = new Map<string, ProviderHealthState>();
  private readonly controller = new AbortController();

  constructor(
    private readonly config: GatewayConfig,
    private readonly recorder: MetricsRecorder,
    private readonly router: Router | null,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer !== null || this.stopped) return;
    const { interval } = this.config.health_checks;
    this.logger.info({ providers: this.config.providers.length, intervalMs: interval }, 'active provider health checks started (this worker checks for the whole gateway)');
    this.tick();
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort();
  }

  /** One round: every provider not still being checked. */
  tick(): void {
    for (const provider of this.config.providers) {
      if (this.stopped || this.running.has(provider.name)) continue;
      if (provider.type === 'mock') {
        this.report(provider, { state: 'healthy', latencyMs: 0, error: null });
        continue;
      }
      this.running.add(provider.name);
      this.check(provider)
        .then((result) => this.report(provider, result))
        .catch((err: unknown) => this.logger.error({ err, provider: provider.name }, 'provider health check failed unexpectedly'))
        .finally(() => this.running.delete(provider.name));
    }
  }

  private async check(provider: ProviderConfig): Promise<ProbeResult> {
    const timeoutMs = this.config.health_checks.timeout;
    // The first usable key (rotation and cooldowns as the data path sees them), else the first one.
    const picked = this.router?.pickKey(provider);
    const probe = probeRequest(provider, picked ?? provider.api_keys[0]);
    const where = describeTarget(probe.url);
    const { request } = await loadUndici();
    const started = performance.now();
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.controller.signal]);
    try {
      const res = await request(probe.url, { method: 'GET', headers: probe.headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
      await res.body.dump();
      return verdictOf(res.statusCode, probe.keyed, where, Math.round(performance.now() - started));
    } catch (err) {
      return transportVerdict(err, where, Math.round(performance.now() - started), timeoutMs);
    }
  }

  private report(provider: ProviderConfig, probed: ProbeResult): void {
    if (this.stopped) return;
    const name = provider.name;
    // A provider that answers the probe but whose every target has an open breaker here (its
    // requests failed) has every request refused: down, until a request gets through again.
    const result: ProbeResult =
      probed.state !== 'down' && this.router?.allBreakersOpen(name) === true
        ? { state: 'down', latencyMs: probed.latencyMs, error: null } // the failures' own error stays the last one
        : probed;
    this.recorder.setProviderHealth(name, result.state === 'healthy' || result.state === 'degraded', { state: result.state, latencyMs: result.latencyMs, error: result.error, force: true });
    const previous = this.last.get(name);
    this.last.set(name, result.state);
    if (previous === result.state) return;
    const fields = { provider: name, state: result.state, previous: previous ?? 'unknown', latencyMs: result.latencyMs, ...(result.error ? { error: result.error.message } : {}) };
    if (result.state === 'down') this.logger.warn(fields, 'provider health check: down');
    else this.logger.info(fields, `provider health check: ${result.state}`);
  }
}
