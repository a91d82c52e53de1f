/**
 * llm_gateway_state_backend_up{backend}: the MIN over the live workers (one worker cut off from
 * Redis makes it 0), no series from workers without shared state, gone with the worker that sent it.
 */
import t from 'tap';
import { MetricsHub, type WorkerRef } from '../../src/metrics/index.js';
import { report, sampleValue, workerRef } from './fixtures.js';

const REDIS = 'llm_gateway_state_backend_up{backend="redis"}';
const LOCAL = 'llm_gateway_state_backend_up{backend="local"}';

function makeHub(workers: WorkerRef[]): MetricsHub {
  return new MetricsHub({ workers: () => workers, generation: () => 1, providers: () => ['openai'] });
}

t.test('redis: 0 as soon as any live worker reports it down, 1 once all are back', async (t) => {
  const workers = [workerRef(0, 301), workerRef(1, 302)];
  const [a, b] = workers as [WorkerRef, WorkerRef];
  const hub = makeHub(workers);
  hub.applyReport(a, report(1, 0, { stateBackend: { backend: 'redis', up: true } }));
  hub.applyReport(b, report(1, 0, { stateBackend: { backend: 'redis', up: true } }));
  t.equal(sampleValue(await hub.metrics.metrics(), REDIS), 1);

  hub.applyReport(b, report(2, 0, { stateBackend: { backend: 'redis', up: false } }));
  t.equal(sampleValue(await hub.metrics.metrics(), REDIS), 0, 'one worker down is enough');

  hub.applyReport(b, report(3, 0, { stateBackend: { backend: 'redis', up: true } }));
  t.equal(sampleValue(await hub.metrics.metrics(), REDIS), 1, 'recovered');

  hub.applyReport(a, report(2, 0, { stateBackend: { backend: 'redis', up: false } }));
  hub.workerExited(a.pid);
  workers.shift();
  t.equal(sampleValue(await hub.metrics.metrics(), REDIS), 1, 'an exited worker no longer counts');
});

t.test('local reports 1; workers without shared state and malformed samples add no series', async (t) => {
  const workers = [workerRef(0, 401), workerRef(1, 402), workerRef(2, 403)];
  const hub = makeHub(workers);
  hub.applyReport(workers[0]!, report(1, 0, { stateBackend: { backend: 'local', up: true } }));
  hub.applyReport(workers[1]!, report(1, 0, { stateBackend: null }));
  hub.applyReport(workers[2]!, report(1, 0, { stateBackend: { backend: 'evil', up: false } as unknown as { backend: 'local'; up: boolean } }));
  const text = await hub.metrics.metrics();
  t.equal(sampleValue(text, LOCAL), 1);
  t.equal(sampleValue(text, REDIS), undefined);
  t.notMatch(text, 'backend="evil"', 'the label takes configured backend names only');
  t.same(hub.stateBackends(), [{ backend: 'local', up: true }]);
});

t.test('no worker with shared state: the metric has no series at all', async (t) => {
  const workers = [workerRef(0, 501)];
  const hub = makeHub(workers);
  hub.applyReport(workers[0]!, report(1, 0));
  const text = await hub.metrics.metrics();
  t.match(text, '# TYPE llm_gateway_state_backend_up gauge', 'registered');
  t.notMatch(text, /^llm_gateway_state_backend_up\{/m);
});
