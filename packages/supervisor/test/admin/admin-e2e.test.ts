/**
 * The admin plane of a real gatewayd: bearer token, secrets never shown, provider health as the
 * workers report it, and an admin port already in use failing the start.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fingerprint } from '@gatewayd/shared';
import { freePort, isProcessAlive, makeSandbox, runCli, type Sandbox } from '../helpers/gatewayd.js';
import { admin, adminJson, startWithEnv, SYNTHETIC_HEALTH_ENV } from './helpers.js';

const SECRETS = {
  TEAM_A_KEY: 'gw-team-a-7f3a9c1e2b',
  TEAM_B_KEY: 'gw-team-b-0d4e8f6a1c',
  OPENAI_API_KEY: 'sk-proj-openai-5e1b2c3d4f',
  ANTHROPIC_API_KEY: 'sk-ant-api03-9a8b7c6d5e',
  GEMINI_API_KEY: 'AIzaSy-gemini-1q2w3e4r',
  CUSTOM_HEADER_TOKEN: 'hdr-token-6y7u8i9o',
  REDIS_PASSWORD: 'redis-pass-3e4r5t6y',
  ADMIN_TOKEN: 'adm-4f5g6h7j8k',
};

/** A config with a secret in every place one can go, an admin token, and the mock model first. */
async function secretsConfig(sb: Sandbox): Promise<string> {
  // Loopback base URLs on a closed port: nothing here may ever reach a real provider.
  const closed = await freePort();
  return [
    `server: { host: 127.0.0.1, port: ${sb.port}, workers: 2, drain_timeout: 1s }`,
    `admin: { host: 127.0.0.1, port: ${sb.adminPort}, token: "\${ADMIN_TOKEN}" }`,
    'logging: { level: info, format: json }',
    // The provider states below come from the test-only switch alone: no active checks (issue 5).
    'health_checks: { enabled: false }',
    'auth:',
    '  keys:',
    '    - { name: team-a, key: "${TEAM_A_KEY}" }',
    '    - { name: team-b, key: "${TEAM_B_KEY}" }',
    'state: { backend: local, redis: { url: "redis://default:${REDIS_PASSWORD}@127.0.0.1:6390/0" } }',
    'providers:',
    '  - { name: local, type: mock, chunks: 4, chunk_delay: 0ms }',
    `  - { name: openai, type: openai, base_url: "http://127.0.0.1:${closed}/v1", api_keys: ["\${OPENAI_API_KEY}"], headers: { x-custom-token: "\${CUSTOM_HEADER_TOKEN}" } }`,
    `  - { name: anthropic, type: anthropic, base_url: "http://127.0.0.1:${closed}", api_keys: ["\${ANTHROPIC_API_KEY}"] }`,
    `  - { name: gemini, type: gemini, base_url: "http://127.0.0.1:${closed}/v1beta", api_keys: ["\${GEMINI_API_KEY}"] }`,
    'models:',
    '  - { name: demo, targets: [{ provider: local, model: demo }] }',
    '  - { name: gpt-4o-mini, targets: [{ provider: openai, model: gpt-4o-mini }] }',
    '',
  ].join('\n');
}

t.test('admin.token: 401 without the token, 200 with it; secrets never appear in /admin/config', async (t) => {
  const sb = await makeSandbox(t);
  writeFileSync(sb.configFile, await secretsConfig(sb));
  await startWithEnv(t, sb, { ...SECRETS, [SYNTHETIC_HEALTH_ENV]: 'openai=down,anthropic=healthy' });

  for (const path of ['/metrics', '/admin/stats', '/admin/workers', '/admin/config', '/health/providers']) {
    t.equal((await admin(sb, path)).status, 401, `${path} without a token`);
    t.equal((await admin(sb, path, 'adm-wrong')).status, 401, `${path} with a wrong token`);
    t.equal((await admin(sb, path, SECRETS.ADMIN_TOKEN)).status, 200, `${path} with the token`);
  }

  const config = await admin(sb, '/admin/config', SECRETS.ADMIN_TOKEN);
  for (const [name, secret] of Object.entries(SECRETS)) {
    t.notMatch(config.body, secret, `${name} does not appear`);
  }
  const body = JSON.parse(config.body) as { config: { auth: { keys: Array<{ key: string }> }; providers: Array<{ name: string; api_keys: string[] }> } };
  t.same(body.config.auth.keys.map((k) => k.key), [`sha256:${fingerprint(SECRETS.TEAM_A_KEY)}`, `sha256:${fingerprint(SECRETS.TEAM_B_KEY)}`], 'keys shown as fingerprints');
  t.same(body.config.providers.find((p) => p.name === 'openai')?.api_keys, [`sha256:${fingerprint(SECRETS.OPENAI_API_KEY)}`]);
  for (const path of ['/admin/stats', '/admin/workers', '/health/providers', '/metrics']) {
    const res = await admin(sb, path, SECRETS.ADMIN_TOKEN);
    t.notOk(Object.values(SECRETS).some((s) => res.body.includes(s)), `no secret in ${path}`);
  }

  type ProvidersHealth = { healthy: boolean; providers: Array<{ provider: string; state: string; lastError: { message: string } | null; workers: Array<{ state: string }> }> };
  // Workers push their health view every second: wait (bounded) until both have reported.
  let health = await adminJson<ProvidersHealth>(sb, '/health/providers', SECRETS.ADMIN_TOKEN);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    // The first reports carry the tables still 'unknown'; the synthetic states follow one interval later.
    const openai = health.providers.find((p) => p.provider === 'openai');
    if (openai?.workers.length === 2 && openai.workers.every((w) => w.state === 'down')) break;
    await new Promise((r) => setTimeout(r, 100));
    health = await adminJson<ProvidersHealth>(sb, '/health/providers', SECRETS.ADMIN_TOKEN);
  }
  t.equal(health.healthy, false);
  t.match(health.providers.find((p) => p.provider === 'openai'), { state: 'down', lastError: { message: 'synthetic outage (test only)' } });
  t.equal(health.providers.find((p) => p.provider === 'openai')?.workers.length, 2, 'both workers reported');
  t.equal(health.providers.find((p) => p.provider === 'anthropic')?.state, 'healthy');
  t.equal(health.providers.find((p) => p.provider === 'gemini')?.state, 'unknown');
  const metrics = (await admin(sb, '/metrics', SECRETS.ADMIN_TOKEN)).body;
  t.match(metrics, /^llm_gateway_provider_health\{provider="openai"\} 0$/m);
  t.match(metrics, /^llm_gateway_provider_health\{provider="anthropic"\} 1$/m);

  const status = await runCli(['status', '--pid-file', sb.pidFile]);
  t.notOk(Object.values(SECRETS).some((s) => status.stdout.includes(s)), 'no secret in status');
});

t.test('an admin port already in use fails the start (exit 1, reason, no worker left)', async (t) => {
  const sb = await makeSandbox(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(sb.adminPort, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const result = await runCli(['start', '--config', sb.configFile, '--pid-file', sb.pidFile], { cwd: sb.dir });
  t.equal(result.code, 1);
  t.match(result.stderr, `admin port 127.0.0.1:${sb.adminPort} is already in use`);
  const pids = [...result.stdout.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
  t.ok(pids.every((pid) => !isProcessAlive(pid)), 'nothing left running');
  t.equal((await runCli(['status', '--pid-file', sb.pidFile])).code, 3, 'not running');
});
