/** The push to the supervisor: periodic deltas, and a final report before exit. */
import t from 'tap';
import type { WorkerToSupervisor } from '@gatewayd/shared';
import { MetricsRecorder, MetricsReporter } from '../../src/metrics/index.js';

const STATS = { inFlight: 0, activeStreams: 0, requestsTotal: 0, draining: false };
const config = { providers: [{ name: 'local' }], models: [{ name: 'demo', aliases: [] }], auth: { keys: [] } } as unknown as Parameters<MetricsRecorder['configure']>[0];

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('reports on a timer, then a final one on flush; nothing is counted twice or lost', async (t) => {
  const recorder = new MetricsRecorder();
  recorder.configure(config);
  const sent: WorkerToSupervisor[] = [];
  const reporter = new MetricsReporter(recorder, () => STATS, (m, done) => {
    sent.push(m);
    done?.();
  }, 20);
  reporter.start();
  t.teardown(() => reporter.flush(() => {}));
  t.same(sent.map((m) => m.type), ['provider-health', 'metrics'], 'the first report goes at once, with the provider table');
  const request = { provider: 'local', model: 'demo', status: 200, keyName: null, durationMs: 5, upstreamMs: 4, ttftMs: null, promptTokens: 1, completionTokens: 1, cachedTokens: 0, costUsd: 0, cache: 'off' as const, stream: false };
  recorder.recordRequest(request);
  recorder.recordRequest(request);
  await until(() => sent.filter((m) => m.type === 'metrics').length >= 3, 'periodic reports');
  recorder.recordRequest(request);
  let flushed = false;
  reporter.flush(() => (flushed = true));
  t.ok(flushed, 'done runs once the final report is handed over');
  const reports = sent.filter((m) => m.type === 'metrics');
  const last = reports.at(-1);
  t.equal(last?.type === 'metrics' && last.final, true, 'the last report is marked final');
  const counted = reports.reduce((n, m) => n + (m.type === 'metrics' ? m.models.reduce((k, d) => k + d.statuses.reduce((s, [, c]) => s + c, 0), 0) : 0), 0);
  t.equal(counted, 3, 'every request in exactly one report');
  t.same(reports.map((m) => (m.type === 'metrics' ? m.seq : 0)), reports.map((_, i) => i + 1), 'no sequence gap');
  const before = sent.length;
  reporter.flush(() => {});
  await new Promise((r) => setTimeout(r, 60));
  t.equal(sent.length, before, 'after the final report: nothing more, timer stopped');
});
