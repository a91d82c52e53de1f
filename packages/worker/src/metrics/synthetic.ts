/**
 * TEST-ONLY. Lets the supervisor tests drive the metrics pipeline through real worker processes
 * without depending on the data path: when GATEWAYD_TEST_ONLY_SYNTHETIC_REQUESTS=N is set, each
 * worker records N fixed synthetic requests right after it starts; with
 * GATEWAYD_TEST_ONLY_PROVIDER_HEALTH="name=down,other=healthy" it sets those provider states.
 * GATEWAYD_TEST_ONLY_METRICS_INTERVAL_MS stretches the report interval, so a test can see that
 * the final report sent on drain carries what the periodic ones did not.
 * Never set these in production: the figures they produce are fake.
 *
 * Request i of N (model and provider: the first configured model and its first target; key: the
 * first gateway key, or none): status 502 when i % 5 == 4, else 200; stream when i is odd
 * (ttft 30 ms); cache hit when i % 3 == 0, else miss; 120 ms total, 100 ms upstream; 10 prompt
 * tokens (2 cached); on 200: 5 completion tokens and $0.001, on 502: none. Plus one rate-limit
 * rejection of scope "key" per worker.
 */
import type { GatewayConfig, ProviderHealthState } from '@gatewayd/shared';
import type { MetricsRecorder } from './recorder.js';

export const SYNTHETIC_REQUESTS_ENV = 'GATEWAYD_TEST_ONLY_SYNTHETIC_REQUESTS';
export const SYNTHETIC_HEALTH_ENV = 'GATEWAYD_TEST_ONLY_PROVIDER_HEALTH';
export const REPORT_INTERVAL_ENV = 'GATEWAYD_TEST_ONLY_METRICS_INTERVAL_MS';

export function testOnlyReportInterval(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const ms = Number.parseInt(env[REPORT_INTERVAL_ENV] ?? '', 10);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

const STATES = new Set<string>(['unknown', 'healthy', 'degraded', 'down']);

/** Returns how many synthetic requests were recorded (0 when the env is not set). */
export function recordSyntheticTraffic(recorder: MetricsRecorder, config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): number {
  const count = Number.parseInt(env[SYNTHETIC_REQUESTS_ENV] ?? '', 10);
  const model = config.models[0];
  const target = model?.targets[0];
  let recorded = 0;
  if (Number.isInteger(count) && count > 0 && model && target) {
    const keyName = config.auth.keys[0]?.name ?? null;
    for (let i = 0; i < count; i++) {
      const ok = i % 5 !== 4;
      const stream = i % 2 === 1;
      recorder.recordRequest({
        provider: target.provider,
        model: model.name,
        status: ok ? 200 : 502,
        keyName,
        durationMs: 120,
        upstreamMs: 100,
        ttftMs: stream ? 30 : null,
        promptTokens: 10,
        completionTokens: ok ? 5 : 0,
        cachedTokens: 2,
        costUsd: ok ? 0.001 : 0,
        cache: i % 3 === 0 ? 'hit' : 'miss',
        stream,
      });
    }
    recorder.recordRateLimited('key');
    recorded = count;
  }
  for (const pair of (env[SYNTHETIC_HEALTH_ENV] ?? '').split(',')) {
    const [provider, state] = pair.split('=');
    if (!provider || !state || !STATES.has(state)) continue;
    recorder.setProviderHealth(provider, state === 'healthy', {
      state: state as ProviderHealthState,
      latencyMs: 100,
      error: state === 'down' ? { message: 'synthetic outage (test only)', status: 503 } : null,
    });
  }
  return recorded;
}
