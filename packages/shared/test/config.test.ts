import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ConfigErrors,
  fingerprint,
  loadConfigFile,
  loadConfigText,
  parseDuration,
  parseSize,
  redactConfig,
  redactUrlSecrets,
  resolveConfigPath,
  summarizeConfig,
  ConfigError,
} from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repoFile = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => e.message);
    if (err instanceof ConfigError) return [err.message];
    throw err;
  }
  throw new Error('expected a config error');
}

t.test('the SPEC minimal file loads as-is without any environment', async (t) => {
  const { config, warnings } = loadConfigFile(fixture('spec-minimal.yaml'), {});
  t.equal(config.server.drain_timeout, 30_000);
  t.equal(config.server.workers, 2);
  t.equal(config.auth.mode, 'hybrid');
  t.same(config.models.map((m) => m.name), ['gpt-4o-mini', 'claude-sonnet-4', 'demo']);
  t.equal(config.models[1]!.strategy, 'fallback');
  t.equal(config.auth.keys.length, 0, 'a key whose ${ENV} is unset is disabled, not accepted as empty');
  t.ok(warnings.some((w) => w.includes('TEAM_A_KEY')), 'the unset variable is reported');
  t.same(config.providers[0]!.api_keys, [], 'empty provider keys are dropped');
});

t.test('the SPEC minimal file with its environment set', async (t) => {
  const env = { TEAM_A_KEY: 'gw-team-a-secret', OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' };
  const { config, warnings } = loadConfigFile(fixture('spec-minimal.yaml'), env);
  t.same(warnings, []);
  t.equal(config.auth.keys[0]!.key, 'gw-team-a-secret');
  t.same(config.auth.keys[0]!.limits, { rpm: 600, tpm: 200000, concurrency: 20 });
  t.same(config.providers[1]!.api_keys, ['sk-ant-test']);
});

t.test('gateway keys whose ${VAR}s are all unset: an error where keyless calls would be served, not a disabled key', async (t) => {
  const spec = readFileSync(fixture('spec-minimal.yaml'), 'utf8');
  // The provider key is set, the gateway key not: hybrid would serve keyless callers with sk-test.
  const [open] = errorsOf(() => loadConfigText(spec, 'x.yaml', { OPENAI_API_KEY: 'sk-test' }));
  t.match(open, /^x\.yaml:\d+: auth\.keys: /, 'file, line and key path');
  t.match(open, 'auth.keys[0] (team-a): ${TEAM_A_KEY} unset or empty', 'names the key and its variable');
  t.match(open, 'would otherwise accept calls without a key');
  t.notMatch(open, 'sk-test');
  const twoKeys = (mode: string, providers: string) =>
    `auth:\n  mode: ${mode}\n  keys:\n    - { name: team-a, key: "\${TEAM_A_KEY}" }\n    - { name: team-b, key: "\${TEAM_B_KEY:-}" }\nproviders: [${providers}]\n`;
  const openai = '{ name: openai, type: openai, api_keys: ["sk-test"] }';
  for (const mode of ['hybrid', 'client']) {
    const [both] = errorsOf(() => loadConfigText(twoKeys(mode, openai), 'g.yaml', {}));
    t.match(both, /^g\.yaml:4: auth\.keys: every key is empty.*team-a.*\$\{TEAM_A_KEY\}.*team-b.*\$\{TEAM_B_KEY\}/, `${mode}: every key named`);
  }
  // The same in gateway mode, whose error names them too.
  t.match(errorsOf(() => loadConfigText(twoKeys('gateway', openai), 'g.yaml', {}))[0], /auth\.mode 'gateway' needs at least one key with a non-empty value; every key is empty: auth\.keys\[0\] \(team-a\): \$\{TEAM_A_KEY\}/);
  // A self-hosted endpoint may take calls without a key; a credential header is the operator's.
  t.match(errorsOf(() => loadConfigText(twoKeys('hybrid', '{ name: ollama, type: openai, base_url: "http://10.0.0.5:11434/v1" }'), 'g.yaml', {}))[0], /every key is empty/);
  t.match(errorsOf(() => loadConfigText(twoKeys('hybrid', '{ name: azure, type: openai, base_url: "https://api.openai.com/v1", headers: { api-key: az-1 } }'), 'g.yaml', {}))[0], /every key is empty/);
  // One key disabled among others that work: a warning only.
  const one = loadConfigText(twoKeys('hybrid', openai), 'g.yaml', { TEAM_B_KEY: 'gw-team-b' });
  t.same(one.config.auth.keys.map((k) => k.name), ['team-b']);
  t.ok(one.warnings.includes('auth.keys[0] (team-a) has an empty key; that key is disabled'));
  // Nothing a keyless call could be served with (public APIs without keys, the mock): the SPEC file loads.
  t.equal(loadConfigText(twoKeys('hybrid', '{ name: openai, type: openai }, { name: local, type: mock }'), 'g.yaml', {}).config.auth.keys.length, 0);
  // A key set empty by an override is named by that variable.
  t.match(errorsOf(() => loadConfigText(twoKeys('hybrid', openai), 'g.yaml', { GATEWAYD__AUTH__KEYS__1__KEY: '' }))[0], /^environment: GATEWAYD__AUTH__KEYS__1__KEY: .*every key is empty/);
});

t.test('the shipped default config loads and needs no keys', async (t) => {
  const { config } = loadConfigFile(repoFile('etc/gatewayd.yaml'), {});
  t.equal(config.providers[0]!.type, 'mock');
  t.equal(config.state.backend, 'local');
  t.equal(config.auth.keys.length, 0);
});

t.test('durations and sizes', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('1.5m'), 90_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration(250), 250);
  t.equal(parseDuration('250'), 250);
  t.equal(parseDuration('soon'), undefined);
  t.equal(parseDuration(-1), undefined);
  t.equal(parseSize('10mb'), 10 * 1024 * 1024);
  t.equal(parseSize('512KB'), 512 * 1024);
  t.equal(parseSize('big'), undefined);
  const { config } = loadConfigText('server: { drain_timeout: 1500ms, body_limit: 1kb }\n', 'x.yaml', {});
  t.equal(config.server.drain_timeout, 1500);
  t.equal(config.server.body_limit, 1024);
});

t.test('interpolation: defaults, and a secret with YAML syntax in it stays a string', async (t) => {
  const text = 'providers:\n  - { name: p, type: openai, api_keys: ["${K}"], base_url: "${BASE:-http://127.0.0.1:1234/v1}" }\n';
  const { config } = loadConfigText(text, 'x.yaml', { K: 'a: "b", [c]' });
  t.same(config.providers[0]!.api_keys, ['a: "b", [c]']);
  t.equal(config.providers[0]!.base_url, 'http://127.0.0.1:1234/v1');
});

t.test('interpolation as a shell reads it: ${VAR-x}, ${VAR:?message} and ${VAR?} fail or default, $${ is literal, other forms are errors, never the key itself', async (t) => {
  const key = (ref: string, env: Record<string, string>) => loadConfigText(`auth: { mode: gateway, keys: [{ name: a, key: "${ref}" }] }\n`, 'k.yaml', env);
  t.equal(key('${K:?set K}', { K: 'real-secret-value-123' }).config.auth.keys[0]!.key, 'real-secret-value-123');
  t.match(errorsOf(() => key('${K:?set K to the team key}', {}))[0], /^k\.yaml:1: auth\.keys\[0\]\.key: environment variable K is not set: set K to the team key/);
  t.match(errorsOf(() => key('${K:?}', { K: '' }))[0], /environment variable K is empty/);
  t.equal(key('${K?}', { K: 'v' }).config.auth.keys[0]!.key, 'v');
  t.match(errorsOf(() => key('${K?}', {}))[0], /environment variable K is not set/);
  t.equal(key('${K-fallback-key}', {}).config.auth.keys[0]!.key, 'fallback-key', '- : the default when unset');
  t.equal(key('pre${K:-dflt}', { K: '' }).config.auth.keys[0]!.key, 'predflt', ':- : the default when empty too');
  t.equal(key('$${LITERAL}', {}).config.auth.keys[0]!.key, '${LITERAL}', '$${ is a literal ${');
  t.equal(key('${A:-${B}}', { A: 'aval', B: 'bval' }).config.auth.keys[0]!.key, 'aval', 'a nested default is not glued to the value');
  t.equal(key('${U:-${B}}', { B: 'bval' }).config.auth.keys[0]!.key, 'bval', 'a nested default is expanded');
  t.equal(key('${U:-x-${V:-y}-z}', {}).config.auth.keys[0]!.key, 'x-y-z');
  t.equal(key('a}b$c', {}).config.auth.keys[0]!.key, 'a}b$c', 'braces and dollars elsewhere are text');
  for (const odd of ['${K:=x}', '${K+x}', '${1K}', '${}', '${K:?}x${ BAD }']) {
    const errors = errorsOf(() => key(odd, { K: 'v' }));
    t.ok(errors.length > 0 && errors.every((e) => e.includes('auth.keys[0].key')), `${odd}: refused (${errors.join('; ')})`);
  }
});

t.test('a bad base_url is reported with the rest, at its line; a bad Redis URL is refused without showing it', async (t) => {
  const errors = errorsOf(() => loadConfigText('providers: [{ name: o, type: openai, base_url: "${OLLAMA_URL}" }]\nserver: { wrokers: 2 }\n', 'g.yaml', {}));
  t.ok(errors.some((e) => /^g\.yaml:1: providers\[0\]\.base_url: /.test(e)), errors.join('; '));
  t.ok(errors.some((e) => /server\.wrokers: unknown key/.test(e)), 'the other error is still reported');
  const redis = errorsOf(() => loadConfigText('state: { backend: redis, redis: { url: "redis://default:s3cr/t+Pw==@127.0.0.1:6379" } }\n', 'g.yaml', {}));
  t.match(redis[0], /state\.redis\.url: not a valid URL \(percent-encode/);
  t.notMatch(redis.join(' '), 's3cr/t');
  t.match(errorsOf(() => loadConfigText('state: { redis: { url: "http://127.0.0.1:6379" } }\n', 'g.yaml', {}))[0], /state\.redis\.url: the scheme must be redis or rediss/);
  t.equal(redactUrlSecrets('redis://default:s3cr/t@host'), `sha256:${fingerprint('redis://default:s3cr/t@host')}`, 'an unparseable URL is redacted whole');
});

t.test('a URL whose user name or password has a "%" that does not decode is refused at its line, without showing it; /admin/config never throws on one', async (t) => {
  for (const [url, part] of [
    ['redis://:p%ZZw-SECRET@127.0.0.1:18637', 'password'],
    ['rediss://default:s3cret-SECRET%@127.0.0.1:18637', 'password'],
    ['redis://us%FFer-SECRET:pw@127.0.0.1:18637', 'user name'],
  ] as const) {
    const errors = errorsOf(() => loadConfigText(`server: { port: 8080 }\nstate: { backend: redis, redis: { url: "${url}" } }\n`, 'g.yaml', {}));
    t.match(errors[0], new RegExp(`^g\\.yaml:2: state\\.redis\\.url: the ${part} must be percent-encoded: .*write % as %25`), url);
    t.notMatch(errors.join(' '), 'SECRET', 'the credentials are not repeated');
  }
  const tracing = errorsOf(() => loadConfigText('tracing: { enabled: true, endpoint: "https://otel:p%ZZ-SECRET@collector.test/v1/traces" }\n', 'g.yaml', {}));
  t.match(tracing[0], /^g\.yaml:1: tracing\.endpoint: the password must be percent-encoded/);
  t.notMatch(tracing.join(' '), 'SECRET');
  t.ok(loadConfigText('state: { redis: { url: "redis://:p%25ZZw%2F@127.0.0.1:18637" } }\n', 'g.yaml', {}), 'the same password percent-encoded loads');
  const redacted = redactUrlSecrets('redis://:p%ZZw@127.0.0.1:18637');
  t.equal(redacted, `redis://:sha256%3A${fingerprint('p%ZZw')}@127.0.0.1:18637`, 'an undecodable password is fingerprinted as written');
});

t.test('admin and data listeners on one port of overlapping addresses, and a ready_timeout of 0, are refused', async (t) => {
  t.match(errorsOf(() => loadConfigText('server: { host: 127.0.0.1, port: 18500 }\nadmin: { host: 0.0.0.0, port: 18500 }\n', 'g.yaml', {}))[0], /admin\.port: admin\.port 18500 is the same as server\.port \(on 0\.0\.0\.0 and 127\.0\.0\.1\)/);
  t.equal(loadConfigText('server: { host: 127.0.0.1, port: 18500 }\nadmin: { host: 127.0.0.2, port: 18500 }\n', 'g.yaml', {}).config.admin.port, 18500, 'two loopback addresses do not overlap');
  t.match(errorsOf(() => loadConfigText('server: { host: localhost, port: 18500 }\nadmin: { host: 127.0.0.1, port: 18500 }\n', 'g.yaml', {}))[0], /admin\.port 18500 is the same as server\.port/, 'localhost is 127.0.0.1 or ::1');
  t.match(errorsOf(() => loadConfigText('supervisor: { ready_timeout: 0 }\n', 'g.yaml', {}))[0], /supervisor\.ready_timeout: must be more than 0/);
});

t.test('YAML merge keys and anchors; an alias to nothing is an error naming the file', async (t) => {
  const text = 'x-provider: &p { type: mock, chunks: 3 }\nproviders:\n  - { <<: *p, name: a }\n  - { <<: *p, name: b, chunks: 5 }\n';
  const errors = errorsOf(() => loadConfigText(text, 'g.yaml', {}));
  t.ok(errors.every((e) => !e.includes('<<')), `no "<<" key problem: ${errors.join('; ')}`);
  const merged = loadConfigText('providers:\n  - &p { name: a, type: mock, chunks: 3 }\n  - { <<: *p, name: b, chunks: 5 }\n', 'g.yaml', {});
  t.same(merged.config.providers.map((p) => [p.name, p.type, p.chunks]), [['a', 'mock', 3], ['b', 'mock', 5]]);
  t.match(errorsOf(() => loadConfigText('server: { port: *nolim }\n', 'g.yaml', {}))[0], /^g\.yaml: .*nolim/);
});

t.test('GATEWAYD__SECTION__KEY overrides, typed, including array indexes', async (t) => {
  const text = readFileSync(fixture('spec-minimal.yaml'), 'utf8');
  const { config, warnings } = loadConfigText(text, 'x.yaml', {
    TEAM_A_KEY: 'gw-team-a-secret', // else a local base_url without a gateway key is refused
    GATEWAYD__SERVER__PORT: '9000',
    GATEWAYD__SERVER__WORKERS: 'auto',
    GATEWAYD__LOGGING__FORMAT: 'pretty',
    GATEWAYD__PROVIDERS__0__BASE_URL: 'http://127.0.0.1:9999/v1',
    GATEWAYD__CACHE__ENABLED: 'true',
  });
  t.equal(config.server.port, 9000);
  t.equal(config.server.workers, 'auto');
  t.equal(config.logging.format, 'pretty');
  t.equal(config.providers[0]!.base_url, 'http://127.0.0.1:9999/v1');
  t.equal(config.cache.enabled, true);
  t.ok(warnings.includes('server.port overridden from the environment'));
});

t.test('GATEWAYD__ overrides: secrets are taken as given, list entries by name, errors never echo the value', async (t) => {
  const text = readFileSync(fixture('spec-minimal.yaml'), 'utf8');
  const load = (env: Record<string, string>) => loadConfigText(text, 'x.yaml', { TEAM_A_KEY: 'gw-team-a-secret', ...env }).config;
  t.equal(load({ GATEWAYD__ADMIN__TOKEN: 'Str0ng #Secret-Part' }).admin.token, 'Str0ng #Secret-Part', "' #' is no comment");
  t.equal(load({ GATEWAYD__ADMIN__TOKEN: '@dm1n: *x' }).admin.token, '@dm1n: *x', 'reserved YAML characters');
  t.equal(load({ GATEWAYD__ADMIN__TOKEN: '0012345678' }).admin.token, '0012345678', 'digits in a string field, leading zeros kept');
  t.equal(load({ GATEWAYD__SERVER__PORT: '9001' }).server.port, 9001, 'a number where a number goes');
  const byName = load({ GATEWAYD__PROVIDERS__OPENAI__API_KEYS: '["sk-from-env-0001"]' });
  t.strictSame(byName.providers.find((p) => p.name === 'openai')?.api_keys, ['sk-from-env-0001'], 'a provider by name');
  t.throws(() => load({ GATEWAYD__PROVIDERS__NOPE__API_KEYS: '[x]' }), /GATEWAYD__PROVIDERS__NOPE__API_KEYS: providers has no entry named 'nope'/);
  t.throws(() => load({ GATEWAYD__PROVIDERS__LENGTH: '0' }), /no entry named 'length'/);
  const bad = errorsOf(() => load({ GATEWAYD__ADMIN__TOKEN: '[unclosed-SECRET-9' }));
  t.match(bad[0], /GATEWAYD__ADMIN__TOKEN: starts with \[ or \{ but is not a valid YAML list or mapping/);
  t.notMatch(bad.join('\n'), 'SECRET-9', 'the value is not repeated');
  const port = errorsOf(() => load({ GATEWAYD__SERVER__PORT: 'abc' }));
  t.match(port[0], /^environment: GATEWAYD__SERVER__PORT: server\.port: /, 'named by the variable, not a line of the file');
  const latency = errorsOf(() => load({ GATEWAYD__PROVIDERS__0__LATENCY: 'sk-proj-verysecret12345' }));
  t.match(latency[0], /^environment: GATEWAYD__PROVIDERS__0__LATENCY: providers\[0\]\.latency: invalid duration/);
  t.notMatch(latency.join('\n'), 'verysecret', 'the value is not repeated');
  t.match(latency[0], /use "500ms"/, 'the rest of the message is intact');
  t.match(errorsOf(() => load({ GATEWAYD__SUPERVISOR__READY_TIMEOUT: '0' }))[0], /must be more than 0/, 'a value that is also in the message does not garble it');
  const flow = errorsOf(() => load({ GATEWAYD__SERVER: '{port: 8080, request_timeout: "sk-SECRET123"}' }));
  t.match(flow[0], /^environment: GATEWAYD__SERVER: server\.request_timeout: invalid duration/);
  t.notMatch(flow.join('\n'), 'sk-SECRET123', 'nor a value inside a mapping');
  const appended = errorsOf(() => load({ GATEWAYD__MODELS__0__TARGETS__1__PROVIDER: 'openai' }));
  t.match(appended[0], /^environment: GATEWAYD__MODELS__0__TARGETS__1__PROVIDER: models\[0\]\.targets\[1\]\.model: /, 'an entry the variable made is the variable\'s');
  t.match(errorsOf(() => load({ GATEWAYD__PROVIDERS__9__NAME: 'x' }))[0], /GATEWAYD__PROVIDERS__9__NAME: providers has \d+ entries: index 9 would leave a gap/);
  const typo = errorsOf(() => load({ GATEWAYD__SERVER__PROT: '9000' }));
  t.match(typo[0], /^environment: GATEWAYD__SERVER__PROT: server\.prot: unknown key/, 'a typo in a variable is named by the variable, not a line of the file');
  t.match(errorsOf(() => load({ GATEWAYD__SERVR__PORT: '9000' }))[0], /^environment: GATEWAYD__SERVR__PORT: servr: unknown key/);
  t.match(errorsOf(() => load({ GATEWAYD__SERVER: '{port: 8080, prot: 1}' }))[0], /^environment: GATEWAYD__SERVER: server\.prot: unknown key/);
  // A port clash is reported at admin.port; when the variable made it, it is the variable's.
  const clash = errorsOf(() => load({ GATEWAYD__SERVER__PORT: String(load({}).admin.port) }));
  t.match(clash[0], /^environment: GATEWAYD__SERVER__PORT: server\.port: admin\.port \d+ is the same as server\.port/, 'a clash the variable made is named by it');
});

t.test('every error names the file, the line, the key path and the reason', async (t) => {
  const text = 'server:\n  port: abc\n  workers: 0\nmodels:\n  - name: x\n    targets: [{ provider: nope, model: y }]\n';
  const schemaErrors = errorsOf(() => loadConfigText(text, '/etc/g.yaml', {}));
  t.match(schemaErrors[0], /^\/etc\/g\.yaml:2: server\.port: .*expected number/);
  t.match(schemaErrors[1], /^\/etc\/g\.yaml:3: server\.workers: /);
  const refErrors = errorsOf(() => loadConfigText('models:\n  - name: x\n    targets: [{ provider: nope, model: y }]\n', 'g.yaml', {}));
  t.match(refErrors[0], /^g\.yaml:3: models\[0\]\.targets\[0\]\.provider: unknown provider 'nope'/);
  t.match(errorsOf(() => loadConfigText('sever: {}\n', 'g.yaml', {}))[0], /^g\.yaml:1: sever: unknown key/);
  // An unknown key is reported at its own line and path, not its parent's.
  t.strictSame(errorsOf(() => loadConfigText('server:\n  port: 1\n  prot: 2\n  wrokers: 3\n', 'g.yaml', {})).map((e) => e.split(' (')[0]), ['g.yaml:3: server.prot: unknown key', 'g.yaml:4: server.wrokers: unknown key']);
  t.match(errorsOf(() => loadConfigText('providers:\n  - name: a\n    type: mock\n    bogus: 1\n', 'g.yaml', {}))[0], /^g\.yaml:4: providers\[0\]\.bogus: unknown key/);
  t.match(errorsOf(() => loadConfigText('server: [\n', 'g.yaml', {}))[0], /^g\.yaml:\d+: \(root\): YAML syntax/);
  t.match(errorsOf(() => loadConfigText('server: { drain_timeout: soon }\n', 'g.yaml', {}))[0], /server\.drain_timeout: invalid duration "soon"/);
  // Node's timers cannot wait past 2^31-1 ms: a longer timeout would fire at once.
  t.match(errorsOf(() => loadConfigText('server: { request_timeout: 30d }\n', 'g.yaml', {}))[0], /server\.request_timeout: at most 24d/);
  t.match(errorsOf(() => loadConfigText('health_checks: { interval: 30d }\n', 'g.yaml', {}))[0], /health_checks\.interval: at most 24d/);
  t.equal(loadConfigText('cache: { ttl: 90d }\n', 'g.yaml', {}).config.cache.ttl, 90 * 86_400_000, 'a cache ttl is no timer: longer is fine');
  t.match(errorsOf(() => loadConfigText('state: { redis: { prefix: "app{}:" } }\n', 'g.yaml', {}))[0], /state\.redis\.prefix: must not contain \{ or \}/);
  t.match(errorsOf(() => loadConfigText('auth: { mode: gateway }\n', 'g.yaml', {}))[0], /auth\.keys: auth\.mode 'gateway' needs at least one key/);
  t.match(errorsOf(() => loadConfigText('providers: [{ name: a, type: mock }, { name: a, type: mock }]\n', 'g.yaml', {}))[0], /providers\[1\]\.name: duplicate provider name 'a'/);
  t.match(errorsOf(() => loadConfigText('providers: [{ name: a, type: nosuch }]\n', 'g.yaml', {}))[0], /providers\[0\]\.type: /);
});

t.test('config path lookup', async (t) => {
  const dir = t.testdir({ etc: { 'gatewayd.yaml': 'server: {}\n' }, 'other.yaml': 'server: {}\n' });
  t.equal(resolveConfigPath(undefined, {}, dir), `${dir}/etc/gatewayd.yaml`);
  t.equal(resolveConfigPath(undefined, { GATEWAYD_CONFIG: 'other.yaml' }, dir), `${dir}/other.yaml`);
  t.equal(resolveConfigPath('other.yaml', { GATEWAYD_CONFIG: 'nope.yaml' }, dir), `${dir}/other.yaml`);
  t.throws(() => resolveConfigPath('missing.yaml', {}, dir), /missing\.yaml: \(root\): file not found/);
});

t.test('summary and redaction show keys only as SHA-256 fingerprints', async (t) => {
  const env = { TEAM_A_KEY: 'gw-team-a-secret', OPENAI_API_KEY: 'sk-test-openai', ANTHROPIC_API_KEY: 'sk-ant-test' };
  const { config, file } = loadConfigFile(fixture('spec-minimal.yaml'), env);
  const summary = summarizeConfig(config, file).join('\n');
  t.equal(fingerprint('gw-team-a-secret').length, 16);
  t.match(summary, fingerprint('gw-team-a-secret'));
  t.match(summary, fingerprint('sk-test-openai'));
  const redacted = JSON.stringify(redactConfig(config));
  for (const secret of Object.values(env)) {
    t.notMatch(summary, secret, 'summary hides the secret');
    t.notMatch(redacted, secret, 'redacted config hides the secret');
  }
});

t.test('secrets in URLs are hidden too: a Redis ?password=, a cookie header; base_url userinfo and query are refused without showing them', async (t) => {
  const text = `
state: { backend: redis, redis: { url: "redis://127.0.0.1:6390/0?password=redisq-SECRET-q" } }
providers:
  - { name: p, type: openai, base_url: "https://example.test/v1", headers: { cookie: "session=cookie-SECRET-c" } }
models: [{ name: m, targets: [{ provider: p, model: x }] }]
`;
  const { config } = loadConfigText(text, 'x.yaml', {});
  const shown = [summarizeConfig(config, 'x.yaml').join('\n'), JSON.stringify(redactConfig(config))];
  for (const secret of ['redisq-SECRET-q', 'cookie-SECRET-c']) {
    for (const text of shown) t.notMatch(text, secret, `${secret} hidden`);
  }
  t.match(shown[0], `password=sha256%3A${fingerprint('redisq-SECRET-q')}`, 'as a fingerprint');
  const refused = (url: string) => errorsOf(() => loadConfigText(`providers: [{ name: p, type: openai, base_url: "${url}" }]\n`, 'x.yaml', {})).join('\n');
  const userinfo = refused('https://user:basepw-SECRET-b@example.test/v1');
  t.match(userinfo, /providers\[0\]\.base_url: credentials in the URL are not sent/);
  t.notMatch(userinfo, 'basepw-SECRET-b');
  const query = refused('https://example.test/v1?api_key=query-SECRET-k');
  t.match(query, /providers\[0\]\.base_url: a query or fragment would land in the middle of the endpoint paths: put query parameters in query/);
  t.notMatch(query, 'query-SECRET-k');
  t.match(refused('ftp://example.test/v1'), /base_url: the scheme must be http or https, got "ftp"/);
});

t.test('a provider header named as a credential (credential, bearer) is redacted like any other', async (t) => {
  const text = `
providers:
  - { name: p, type: openai, base_url: "https://example.test/v1", headers: { X-Credential: "cred-SECRET-c", X-Bearer: "bearer-SECRET-b", X-Client-Credentials: "creds-SECRET-s" } }
models: [{ name: m, targets: [{ provider: p, model: x }] }]
`;
  const { config } = loadConfigText(text, 'x.yaml', {});
  const shown = JSON.stringify(redactConfig(config));
  for (const secret of ['cred-SECRET-c', 'bearer-SECRET-b', 'creds-SECRET-s']) t.notMatch(shown, secret, `${secret} hidden`);
  t.match(shown, `sha256:${fingerprint('bearer-SECRET-b')}`, 'as a fingerprint');
});

t.test('${VAR} in numeric and boolean fields', async (t) => {
  const text = 'server: { port: "${PORT}", workers: "${WORKERS:-3}" }\ncache: { enabled: "${CACHE:-false}" }\n';
  const { config } = loadConfigText(text, 'x.yaml', { PORT: '8181' });
  t.equal(config.server.port, 8181);
  t.equal(config.server.workers, 3);
  t.equal(config.cache.enabled, false);
  t.match(errorsOf(() => loadConfigText('server: { port: "${PORT}" }\n', 'x.yaml', { PORT: 'eighty' }))[0], /server\.port: /);
});

t.test('a repeated provider api key is kept once, with a warning that does not show it', async (t) => {
  const text = `
providers:
  - { name: o, type: openai, base_url: "http://127.0.0.1:1/v1", api_keys: ["\${K1}", "\${K2}", "sk-other", "\${K1}"] }
models:
  - { name: m, targets: [{ provider: o, model: x }] }
`;
  const { config, warnings } = loadConfigText(text, 'x.yaml', { K1: 'sk-same-secret', K2: 'sk-same-secret' });
  t.same(config.providers[0]!.api_keys, ['sk-same-secret', 'sk-other']);
  t.same(warnings.filter((w) => w.includes('repeats')), ['providers[0] (o): api_keys[1] repeats an earlier key; the copy is ignored', 'providers[0] (o): api_keys[3] repeats an earlier key; the copy is ignored']);
  t.notOk(warnings.some((w) => w.includes('sk-same-secret')));
});

t.test('admin.token present but empty (an unset ${ENV}) is an error, not an open admin API', async (t) => {
  const errors = errorsOf(() => loadConfigText('admin: { token: "${ADMIN_TOKEN}" }\n', '/test/gatewayd.yaml', {}));
  t.match(errors.join('\n'), /admin\.token.*is empty \(an unset \$\{ENV\}\?\)/);
  t.equal(loadConfigText('admin: { token: "${ADMIN_TOKEN}" }\n', '/test/gatewayd.yaml', { ADMIN_TOKEN: 's3cret-token' }).config.admin.token, 's3cret-token');
  t.equal(loadConfigText('admin: { port: 9999 }\n', '/test/gatewayd.yaml', {}).config.admin.token, undefined, 'left out: no token');
});

t.test('secrets with surrounding whitespace (a newline from echo) are trimmed, with a warning', async (t) => {
  const text = 'auth: { mode: hybrid, keys: [{ name: d, key: "${GW_KEY}" }] }\nproviders: [{ name: p, type: openai, api_keys: ["${P_KEY}"] }]\n';
  const { config, warnings } = loadConfigText(text, '/test/gatewayd.yaml', { GW_KEY: 'sk-gw-dddd\n', P_KEY: ' sk-provider \n' });
  t.equal(config.auth.keys[0]!.key, 'sk-gw-dddd', 'the gateway key as callers present it');
  t.same(config.providers[0]!.api_keys, ['sk-provider']);
  t.ok(warnings.some((w) => w.includes('auth.keys[0] (d) has leading or trailing whitespace')));
  t.ok(warnings.some((w) => w.includes('api_keys[0] has leading or trailing whitespace')));
  t.notMatch(warnings.join('\n'), 'sk-gw-dddd', 'the warning never shows the key');
});

t.test('a gateway key no caller could present (space, comma, quote, non-ASCII) is a config error, and so is a repeated one', async (t) => {
  const keys = (list: string[]) => `auth: { mode: gateway, keys: [${list.map((key, i) => `{ name: k${i}, key: ${JSON.stringify(key)} }`).join(', ')}] }\n`;
  for (const bad of ['abc def', 'abc"def', 'clé-ü', 'a,b']) {
    const errors = errorsOf(() => loadConfigText(keys(['gw-good-key-1', bad]), 'g.yaml', {}));
    t.match(errors[0], /^g\.yaml:1: auth\.keys\[1\]\.key: a key is printable ASCII without spaces, commas or quotes/, JSON.stringify(bad));
    t.notMatch(errors.join('\n'), bad, 'the key is not quoted');
  }
  t.match(errorsOf(() => loadConfigText(keys(['gw-same', 'gw-same']), 'g.yaml', {}))[0], /the same key value is used twice/);
  t.equal(loadConfigText(keys(['sk-ant-api03_x.y~z+/=', 'gw-good-key-1']), 'g.yaml', {}).config.auth.keys.length, 2, 'printable punctuation is fine');
});
