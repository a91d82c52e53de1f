/**
 * The supervisor's state backend outage log: one warn line when a first live worker reports the
 * backend down, one info line when none does any more, whatever the number of workers; exits,
 * replacements started during the outage and workers that never report again.
 */
import pino from 'pino';
import t from 'tap';
import type { StateHealthMessage } from '@gatewayd/shared';
import { StateOutageLog } from '../../src/state/index.js';

const UNAVAILABLE_OPEN = 'state backend unavailable: admitting requests without limits (state.on_error: open)';
const RECOVERED = 'state backend recovered';

interface Line {
  level: number;
  msg: string;
  stateBackend?: string;
  err?: string | null;
  note?: string;
}

function capture(graceMs?: number): { log: StateOutageLog; lines: Line[]; texts: () => string[] } {
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  const log = graceMs === undefined ? new StateOutageLog(logger) : new StateOutageLog(logger, graceMs);
  t.teardown(() => log.close());
  return { log, lines, texts: () => lines.map((l) => `${pino.levels.labels[l.level]} ${l.msg}`) };
}

const down = (reason = 'connect ECONNREFUSED 127.0.0.1:6390', onError: 'open' | 'closed' = 'open'): StateHealthMessage => ({ type: 'state-health', backend: 'redis', up: false, reason, onError });
const up: StateHealthMessage = { type: 'state-health', backend: 'redis', up: true, reason: null, onError: 'open' };

t.test('two workers down, one exits, the other recovers: one warn line, one info line', async (t) => {
  const { log, lines, texts } = capture();
  log.report(1, up);
  log.report(2, up);
  t.same(lines, [], 'first successes are not transitions');
  log.report(1, down());
  log.report(2, down('connection to redis closed'));
  log.report(1, down('still down'));
  t.ok(log.down);
  log.workerExited(1);
  t.ok(log.down, 'worker 2 still reports it down');
  log.report(2, up);
  t.notOk(log.down);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
  t.match(lines[0], { stateBackend: 'redis', err: 'connect ECONNREFUSED 127.0.0.1:6390' }, 'the first reason and the backend');
  t.match(lines[1], { stateBackend: 'redis' });
  t.equal(lines[1]!.note, undefined);
});

t.test('the wording follows state.on_error', async (t) => {
  const { log, texts } = capture();
  log.report(7, down('timed out', 'closed'));
  t.same(texts(), ['warn state backend unavailable: rejecting limited requests (state.on_error: closed)']);
});

t.test('recovery needs every live worker: one back is not enough', async (t) => {
  const { log, texts } = capture();
  log.report(1, down());
  log.report(2, down());
  log.report(1, up);
  t.ok(log.down);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`]);
  log.report(2, up);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
});

t.test('the only down worker exits while another reaches the backend: recovered at once', async (t) => {
  const { log, texts } = capture();
  log.report(1, up);
  log.report(2, down());
  log.workerExited(2);
  t.notOk(log.down);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
});

t.test('the only witness dies: its replacement joins the outage without a second line', async (t) => {
  const { log, texts } = capture(60_000);
  log.report(1, down());
  log.workerExited(1);
  t.ok(log.down, 'nobody knows yet: still down');
  log.report(2, down('connect ECONNREFUSED 127.0.0.1:6390'));
  log.report(3, down());
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`]);
  log.report(2, up);
  log.report(3, up);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
});

t.test('the only witness dies and its replacement finds the backend up: recovered', async (t) => {
  const { log, texts } = capture(60_000);
  log.report(1, down());
  log.workerExited(1);
  log.report(2, up);
  t.notOk(log.down);
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
});

t.test('no live worker reports again (e.g. reloaded to backend local): the outage ends after the grace', async (t) => {
  const { log, lines, texts } = capture(50);
  log.report(1, down());
  log.report(2, down());
  log.workerExited(1);
  log.workerExited(2);
  t.ok(log.down);
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.notOk(log.down, 'not down for ever');
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`]);
  t.equal(lines[1]!.note, 'no live worker reports it down');
  log.report(3, down());
  t.same(texts(), [`warn ${UNAVAILABLE_OPEN}`, `info ${RECOVERED}`, `warn ${UNAVAILABLE_OPEN}`], 'a later outage is a new one');
});

t.test('exits of unknown or healthy workers change nothing', async (t) => {
  const { log, texts } = capture(50);
  log.workerExited(9);
  log.report(1, up);
  log.workerExited(1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(texts(), []);
  t.notOk(log.down);
});

t.test('view: unknown before any report, unavailable since the first down with its first reason, ok once recovered; local is ok', async (t) => {
  const { log } = capture();
  t.same(log.view('redis', 'closed'), { backend: 'redis', status: 'unknown', since: null, reason: null, onError: 'closed' }, 'no worker uses it yet');
  t.same(log.view('local', 'open'), { backend: 'local', status: 'ok', since: null, reason: null, onError: 'open' });
  const before = Date.now();
  log.report(1, down('WRONGPASS invalid username-password pair', 'closed'));
  log.report(2, down('connection to redis closed', 'closed'));
  const view = log.view('redis', 'closed');
  t.match(view, { status: 'unavailable', reason: 'WRONGPASS invalid username-password pair', onError: 'closed' }, 'the outage keeps its first reason');
  t.ok(Date.parse(view.since!) >= before - 1 && Date.parse(view.since!) <= Date.now(), 'since the first down');
  log.report(1, up);
  t.equal(log.view('redis', 'closed').status, 'unavailable', 'while one live worker is still cut off');
  log.report(2, up);
  t.same(log.view('redis', 'closed'), { backend: 'redis', status: 'ok', since: null, reason: null, onError: 'closed' });
});
