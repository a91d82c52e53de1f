/**
 * docs/observability.md against the code: every metric it names is exposed, every metric the
 * supervisor adds (SPEC names and extras) is named, and the histogram buckets it lists are the
 * ones in packages/shared/src/ipc-metrics.ts (a change of buckets must update the page).
 */
import t from 'tap';
import { LATENCY_BUCKETS_SECONDS, OVERHEAD_BUCKETS_SECONDS } from '../../packages/shared/src/ipc-metrics.js';
import { EXTRA_NAMES, metricFamilies, registryNames, SPEC_NAMES } from './deploy/helpers.js';
import { readRepoFile } from './helpers.js';

const doc = readRepoFile('docs/observability.md');

t.test('the metrics the page names are exposed, and it names every gatewayd metric', async (t) => {
  const named = new Set(metricFamilies(doc));
  t.ok(named.size >= SPEC_NAMES.size, `the page names metrics (${named.size})`);
  for (const name of named) t.ok(registryNames().has(name), `${name} is exposed by the supervisor`);
  for (const name of [...SPEC_NAMES, ...EXTRA_NAMES]) t.ok(named.has(name), `${name} is documented`);
});

/** The numbers of the backquoted list that follows `label` on the page. */
function listedBounds(label: string): number[] {
  const at = doc.indexOf(label);
  if (at < 0) throw new Error(`"${label}" not found in docs/observability.md`);
  const list = /`([\d., ]+)`/.exec(doc.slice(at));
  if (!list) throw new Error(`no bucket list after "${label}"`);
  return list[1]!.split(',').map((n) => Number(n.trim()));
}

t.test('the histogram buckets listed are the ones the code uses', async (t) => {
  t.same(listedBounds('- request duration and time to first token:'), LATENCY_BUCKETS_SECONDS);
  t.same(listedBounds('- overhead:'), OVERHEAD_BUCKETS_SECONDS);
  t.equal(LATENCY_BUCKETS_SECONDS[0], 0.005, 'the latency buckets start low enough for cache hits');
  t.ok(LATENCY_BUCKETS_SECONDS.at(-1)! >= 300, 'and reach minutes of generation');
});
