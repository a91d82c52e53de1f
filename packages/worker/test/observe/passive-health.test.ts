/**
 * PassiveHealth against a stubbed router snapshot: a failure is degraded until it leaves every
 * target of its provider with an open breaker. An attempt's failure arrives before the router
 * records it, so the one that reaches the threshold (or fails a half-open probe) counts by itself;
 * a stream's late failure is already recorded and does not count twice.
 */
import t from 'tap';
import { GatewayError } from '@gatewayd/shared/errors';
import { MetricsRecorder } from '../../src/metrics/index.js';
import { PassiveHealth } from '../../src/observe/passive-health.js';
import type { AttemptFailure, BreakerState, RouteTarget, TargetHealth } from '../../src/routing/index.js';

const THRESHOLD = 3;
const target = (id: string): RouteTarget => ({ id, provider: { name: id.split('/')[0] }, model: id.split('/')[1] }) as unknown as RouteTarget;
const A = target('p/a');
const B = target('p/b');
const failure: AttemptFailure = { kind: 'server_error', status: 500, error: new GatewayError('GW_ERR_UPSTREAM_ERROR', 'HTTP 500') };

function setup(breakers: Record<string, [BreakerState, number]>): { passive: PassiveHealth; state: () => string | undefined } {
  const recorder = new MetricsRecorder(() => 1);
  recorder.configure({ providers: [{ name: 'p' }], models: [], auth: { keys: [] } } as unknown as Parameters<MetricsRecorder['configure']>[0]);
  const snapshot = () => Object.entries(breakers).map(([id, [breaker, consecutiveFailures]]) => ({ id, provider: id.split('/')[0]!, breaker, consecutiveFailures }) as TargetHealth);
  const passive = new PassiveHealth(recorder, { snapshot }, THRESHOLD);
  return { passive, state: () => recorder.providerHealth().find((p) => p.provider === 'p')?.state };
}

t.test('the failure that opens the last closed breaker makes the provider down', async (t) => {
  const below = setup({ 'p/a': ['closed', 1] });
  below.passive.failure(A, failure);
  t.equal(below.state(), 'degraded', '2 of 3 failures: degraded');

  const opening = setup({ 'p/a': ['closed', THRESHOLD - 1] });
  opening.passive.failure(A, failure);
  t.equal(opening.state(), 'down', 'the third failure opens it: down');

  const late = setup({ 'p/a': ['closed', THRESHOLD - 1] });
  late.passive.failure(A, failure, true);
  t.equal(late.state(), 'degraded', 'already recorded (late stream failure): not counted twice');
});

t.test('a failed half-open probe is down; another target still closed keeps it degraded', async (t) => {
  const probe = setup({ 'p/a': ['half_open', 9] });
  probe.passive.failure(A, failure);
  t.equal(probe.state(), 'down');

  const other = setup({ 'p/a': ['closed', THRESHOLD - 1], 'p/b': ['closed', 0] });
  other.passive.failure(A, failure);
  t.equal(other.state(), 'degraded', 'p/b still serves');

  const both = setup({ 'p/a': ['open', THRESHOLD], 'p/b': ['closed', THRESHOLD - 1] });
  both.passive.failure(B, failure);
  t.equal(both.state(), 'down', 'the last target of the provider opens');
});

t.test('a caller refused for its own key says nothing about the provider', async (t) => {
  const { passive, state } = setup({ 'p/a': ['closed', THRESHOLD - 1] });
  passive.failure(A, { ...failure, kind: 'auth', status: 401, clientKey: true });
  t.equal(state(), 'unknown');
});
