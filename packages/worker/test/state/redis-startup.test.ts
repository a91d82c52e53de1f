/**
 * Backend redis at a worker's start: ready() waits (bounded) for the first connection, and a
 * backend not reached by then is reported down at once (start's warning, /health/ready), even when
 * no error came (a server that accepts and never answers), with the cause of the outage kept.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import t from 'tap';
import { createStateBackend } from '../../src/state/index.js';
import { HealthTracker } from '../../src/state/health.js';
import { freePort } from '../helpers.js';
import { captureLogger, stateConfig } from './helpers.js';

function backend(t: { teardown(fn: () => unknown): void }, url: string) {
  const { logger } = captureLogger();
  const reports: Array<[boolean, string | null]> = [];
  const config = stateConfig(`{ backend: redis, on_error: closed, redis: { url: "${url}", timeout: 100ms } }`);
  const state = createStateBackend(config, { workerId: 0, logger, onHealthChange: (up, reason) => reports.push([up, reason]) });
  t.teardown(() => state.close());
  return { state, reports };
}

t.test('a server that never answers: down once ready() gave up waiting, not healthy by default', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { state, reports } = backend(t, `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`);
  const started = performance.now();
  await state.ready();
  t.ok(performance.now() - started < 5_000, 'bounded');
  t.equal(state.status().healthy, false);
  t.equal(reports.length, 1);
  t.equal(reports[0]![0], false);
  t.match(reports[0]![1], /no connection to redis within 1000 ms/);
});

t.test('a closed port: down with ECONNREFUSED as its cause, kept while the outage lasts', async (t) => {
  const { state, reports } = backend(t, `redis://127.0.0.1:${await freePort()}`);
  await state.ready();
  t.same(reports.map(([up]) => up), [false], 'one transition');
  t.match(reports[0]![1], /ECONNREFUSED/);
  t.match(state.status(), { healthy: false, cause: 'ECONNREFUSED' });
  // Calls failing meanwhile ("connection to redis closed", a deadline) leave the cause as it was.
  await state.admit([{ id: 'key:a', rpm: 10 }], 1);
  t.equal(state.status().cause, 'ECONNREFUSED');
});

t.test('HealthTracker: the cause is the latest error that names one, within one outage; none when up', async (t) => {
  const { logger } = captureLogger();
  const health = new HealthTracker({ backend: 'redis', onError: 'closed', logger });
  t.equal(health.status().cause, null);
  health.down('WRONGPASS invalid username-password pair');
  health.down('Connection is closed.');
  t.match(health.status(), { healthy: false, lastError: 'Connection is closed.', cause: 'WRONGPASS' });
  health.down('connect ECONNREFUSED 10.0.0.5:6379');
  t.equal(health.status().cause, 'ECONNREFUSED');
  health.up();
  t.equal(health.status().cause, null);
  health.down('connection to redis closed');
  t.equal(health.status().cause, null, 'a new outage does not inherit the last cause');
});
