/** etc/grafana: provisioning files and the dashboard, cross-checked with the registry and compose. */
import t from 'tap';
import { EXTRA_NAMES, at, metricFamilies, readRepoFile, registryNames, SPEC_NAMES, yamlFile, type Doc } from './helpers.js';

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  targets?: Array<{ expr: string; datasource?: { uid?: string } }>;
}

const dashboard = JSON.parse(readRepoFile('etc/grafana/dashboards/gatewayd.json')) as { uid: string; title: string; panels: Panel[] };

t.test('the dashboard has overview, providers, cache and cost rows, each with panels', async (t) => {
  const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
  t.same(rows, ['Overview', 'Providers', 'Cache', 'Cost']);
  let current = '';
  const counts = new Map<string, number>();
  for (const p of dashboard.panels) {
    if (p.type === 'row') current = p.title;
    else counts.set(current, (counts.get(current) ?? 0) + 1);
  }
  for (const row of rows) t.ok((counts.get(row) ?? 0) > 0, `row ${row} has panels`);
  t.ok(dashboard.uid && dashboard.title, 'uid and title');
  const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dashboard.panels) t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
});

t.test('every query uses metrics the supervisor exposes (SPEC names, or its documented extras)', async (t) => {
  const used = new Set<string>();
  for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
    t.ok(p.targets && p.targets.length > 0, `${p.title} has a query`);
    for (const target of p.targets ?? []) {
      const names = metricFamilies(target.expr);
      t.ok(names.length > 0, `${p.title}: the query reads a gatewayd metric`);
      for (const name of names) {
        used.add(name);
        t.ok(registryNames().has(name), `${p.title}: ${name} is exposed`);
        t.ok(SPEC_NAMES.has(name) || EXTRA_NAMES.has(name), `${p.title}: ${name} is a SPEC name or a documented extra`);
      }
    }
  }
  for (const name of SPEC_NAMES) {
    if (name === 'llm_gateway_worker_restarts_total' || name === 'llm_gateway_config_reloads_total' || used.has(name)) continue;
    t.fail(`the dashboard shows no panel for ${name}`);
  }
  t.ok(used.has('llm_gateway_cost_dollars_total') && used.has('llm_gateway_cache_hits_total') && used.has('llm_gateway_provider_health'));
});

t.test('provisioning: the datasource uid the panels use, the folder compose mounts the dashboards into', async (t) => {
  const datasources = yamlFile('etc/grafana/provisioning/datasources/prometheus.yml');
  const ds = (at(datasources, 'datasources') as Doc[])[0]!;
  t.equal(ds['type'], 'prometheus');
  t.equal(ds['url'], 'http://prometheus:9090', 'the compose Prometheus service');
  for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
    t.equal(p.datasource?.uid, ds['uid'], `${p.title} uses the provisioned datasource`);
    for (const target of p.targets ?? []) t.equal(target.datasource?.uid, ds['uid']);
  }
  const providers = yamlFile('etc/grafana/provisioning/dashboards/gatewayd.yml');
  const path = at((at(providers, 'providers') as Doc[])[0], 'options.path');
  const grafana = at(yamlFile('docker-compose.yml'), 'services.grafana') as { volumes: string[] };
  t.ok(grafana.volumes.includes(`./etc/grafana/dashboards:${String(path)}:ro`), 'compose mounts the dashboards where provisioning looks');
  t.ok(grafana.volumes.includes('./etc/grafana/provisioning:/etc/grafana/provisioning:ro'));
});
