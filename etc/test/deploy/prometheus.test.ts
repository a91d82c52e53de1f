/**
 * etc/prometheus: promtool validates the scrape config and the rules and runs the rules' unit
 * tests (alerts.test.yml); every metric the rules use is a SPEC name the supervisor exposes.
 * promtool comes from Debian's `prometheus` package (scripts/setup.sh installs it).
 */
import t from 'tap';
import { EXTRA_NAMES, metricFamilies, readRepoFile, registryNames, repoPath, SPEC_NAMES, specText, yamlFile, at, type Doc } from './helpers.js';
import { run } from '../helpers.js';

const DIR = repoPath('etc/prometheus');

t.test('the metric names of the SPEC are exactly the supervisor list, and all are exposed', async (t) => {
  const inSpec = new Set([...specText().matchAll(/`(llm_gateway_[a-z_]+)/g)].map((m) => m[1]!));
  t.same([...inSpec].sort(), [...SPEC_NAMES].sort(), 'SPEC.md and packages/supervisor/src/metrics/names.ts agree');
  for (const name of SPEC_NAMES) t.ok(registryNames().has(name), `${name} is registered`);
});

t.test('promtool: config and rules are valid, and the alert unit tests pass', async (t) => {
  const config = run('promtool', ['check', 'config', 'prometheus.yml'], { cwd: DIR });
  t.equal(config.status, 0, config.stdout + config.stderr);
  const rules = run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: DIR });
  t.equal(rules.status, 0, rules.stdout + rules.stderr);
  const tests = run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR });
  t.equal(tests.status, 0, tests.stdout + tests.stderr);
  t.match(tests.stdout, 'SUCCESS');
});

t.test('the alert rules use SPEC names or documented extras, and cover the operational failure modes', async (t) => {
  const doc = yamlFile('etc/prometheus/alerts.yml');
  const rules = (at(doc, 'groups') as Array<{ rules: Array<{ alert?: string; record?: string; expr: string; labels?: Doc; annotations?: Doc }> }>).flatMap((g) => g.rules);
  const used = new Set<string>();
  for (const rule of rules) {
    for (const name of metricFamilies(rule.expr)) {
      used.add(name);
      // Like the dashboard: an extra (names.ts EXTRA_METRIC, e.g. the state backend gauge) is allowed.
      t.ok(SPEC_NAMES.has(name) || EXTRA_NAMES.has(name), `${rule.alert ?? rule.record}: ${name} is a SPEC metric or a documented extra`);
      t.ok(registryNames().has(name), `${rule.alert ?? rule.record}: ${name} is exposed by the supervisor`);
    }
    if (rule.alert) {
      t.ok(rule.labels?.['severity'], `${rule.alert} has a severity`);
      t.ok(rule.annotations?.['summary'], `${rule.alert} has a summary`);
    }
  }
  const alerts = new Set(rules.flatMap((r) => (r.alert ? [r.alert] : [])));
  for (const name of ['GatewayHighErrorRatio', 'GatewayHighLatencyP99', 'GatewayProviderDown', 'GatewayRateLimitingSpike', 'GatewayWorkerRestarts', 'GatewayConfigReloadFailed', 'GatewayNoTraffic', 'GatewayStateBackendDown']) {
    t.ok(alerts.has(name), `alert ${name}`);
  }
  for (const name of ['llm_gateway_requests_total', 'llm_gateway_request_duration_seconds', 'llm_gateway_provider_health', 'llm_gateway_rate_limit_exceeded_total', 'llm_gateway_worker_restarts_total', 'llm_gateway_config_reloads_total', 'llm_gateway_state_backend_up']) {
    t.ok(used.has(name), `the rules use ${name}`);
  }
  // Every alert has a unit test that expects it to fire.
  const tested = readRepoFile('etc/prometheus/alerts.test.yml');
  for (const name of alerts) if (name !== 'GatewayDown' && !name.startsWith('GatewaySlow') && name !== 'GatewayHighOverhead') t.match(tested, `alertname: ${name}`, `${name} is unit-tested`);
});

t.test('the scrape config targets the admin port of the compose gateway and loads the rules', async (t) => {
  const doc = yamlFile('etc/prometheus/prometheus.yml');
  t.same(at(doc, 'rule_files'), ['alerts.yml']);
  const job = (at(doc, 'scrape_configs') as Doc[]).find((j) => j['job_name'] === 'gatewayd');
  t.equal(job?.['metrics_path'], '/metrics');
  const defaults = yamlFile('etc/gatewayd.yaml');
  t.same(at(job, 'static_configs') && (job!['static_configs'] as Array<{ targets: string[] }>)[0]!.targets, [`gateway:${at(defaults, 'admin.port') as number}`], 'the compose service name and the default admin port');
  const compose = yamlFile('docker-compose.yml');
  t.ok(at(compose, 'services.gateway'), 'the compose file has that service');
});
