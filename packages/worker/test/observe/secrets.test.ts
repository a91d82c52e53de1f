/**
 * Secrets never leave the gateway: a real daemon (log files) with a secret in every place the
 * config allows one, driven through success and failure paths (wrong key, a caller's own
 * provider-shaped key, unreachable providers, failing health checks, failing trace export) at
 * debug level. No secret appears in any log file, in any admin endpoint, or in `status`; the
 * admin token is enforced on every admin endpoint.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint } from '@gatewayd/shared';
import { freePort, startFakeOpenai, startGateway } from '../fakes/index.js';
import { admin, chatBody, http, until } from './helpers.js';

const SECRETS = {
  TEAM_A_KEY: 'gw-team-a-3f9c2e7a1b',
  TEAM_B_KEY: 'gw-team-b-8d6e4c2a0f',
  OPENAI_KEY: 'sk-proj-openai-secret-7e6d5c4b3a29',
  ANTHROPIC_KEY: 'sk-ant-api03-secret-1a2b3c4d5e',
  GEMINI_KEY: 'AIzaSyD-gemini-secret-0q9w8e7r6t5y4u',
  HEADER_TOKEN: 'hdr-token-secret-5t6y7u8i',
  QUERY_KEY: 'query-key-secret-2w3e4r5t',
  BASEURL_PASSWORD: 'baseurl-pass-secret-9o8i7u',
  REDIS_PASSWORD: 'redis-pass-secret-6y5t4r',
  OTEL_PASSWORD: 'otel-pass-secret-3e2w1q',
  OTEL_TOKEN: 'otel-token-secret-4r5t6y',
  ADMIN_TOKEN: 'adm-token-secret-7u8i9o',
};
/** A key shaped like a provider key, sent by a caller: refused, and never logged either. */
const CALLER_KEY = 'sk-proj-caller-supplied-0123456789abcdef';

t.test('no secret in the logs, the admin API or status; the admin token is enforced', async (t) => {
  const fake = await startFakeOpenai({ requireKey: SECRETS.OPENAI_KEY });
  t.teardown(() => fake.close());
  const closed = await freePort();
  const yaml = `
logging: { level: debug }
admin: { token: "\${ADMIN_TOKEN}" }
health_checks: { enabled: true, interval: 300ms, timeout: 500ms }
tracing: { enabled: true, endpoint: "http://otel:\${OTEL_PASSWORD}@127.0.0.1:${closed}/v1/traces", headers: { authorization: "Bearer \${OTEL_TOKEN}" } }
state: { backend: local, redis: { url: "redis://default:\${REDIS_PASSWORD}@127.0.0.1:${closed}/0" } }
auth: { mode: gateway, keys: [{ name: team-a, key: "\${TEAM_A_KEY}" }, { name: team-b, key: "\${TEAM_B_KEY}" }] }
routing: { retries: 0 }
providers:
  - { name: openai, type: openai, base_url: "${fake.url}", api_keys: ["\${OPENAI_KEY}"], headers: { x-custom-token: "\${HEADER_TOKEN}" }, query: { key: "\${QUERY_KEY}" } }
  - { name: anthropic, type: anthropic, base_url: "http://127.0.0.1:${closed}", api_keys: ["\${ANTHROPIC_KEY}"], headers: { proxy-authorization: "Basic \${BASEURL_PASSWORD}" } }
  - { name: gemini, type: gemini, base_url: "http://127.0.0.1:${closed}/v1beta", api_keys: ["\${GEMINI_KEY}"] }
models:
  - { name: gpt, targets: [{ provider: openai, model: gpt-4o-mini }] }
  - { name: claude, targets: [{ provider: anthropic, model: claude-sonnet-4 }] }
  - { name: gemini, targets: [{ provider: gemini, model: gemini-2.0-flash }] }
`;
  const gw = await startGateway(t, yaml, { workers: 2, env: { ...SECRETS, GATEWAYD__HEALTH_CHECKS__ENABLED: 'true' } });
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', 'hi'), as(SECRETS.TEAM_A_KEY))).status, 200);
  t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', 'hi', true), as(SECRETS.TEAM_B_KEY))).status, 200);
  t.equal((await http(gw.port, 'POST', '/v1/messages', { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': SECRETS.TEAM_A_KEY })).status, 502);
  t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gemini', 'hi'), as(SECRETS.TEAM_B_KEY))).status, 502);
  t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', 'hi'), as(CALLER_KEY))).status, 401);
  t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', 'hi'), { 'x-api-key': CALLER_KEY, authorization: `Bearer ${SECRETS.TEAM_A_KEY}` })).status, 200);
  t.ok(fake.requests.some((r) => r.path.includes('/chat/completions') && r.path.includes(`key=${SECRETS.QUERY_KEY}`)), 'the query key does travel upstream');

  for (const path of ['/metrics', '/admin/stats', '/admin/workers', '/admin/config', '/health/providers']) {
    t.equal((await admin(gw, path)).status, 401, `${path} without the token`);
    t.equal((await admin(gw, path, 'adm-token-wrong')).status, 401, `${path} with a wrong token`);
    t.equal((await admin(gw, path, SECRETS.ADMIN_TOKEN)).status, 200, `${path} with the token`);
  }
  // Failing checks and the failing trace export have been logged by now.
  await until('the unreachable providers checked down', async () => {
    const view = (await admin(gw, '/health/providers', SECRETS.ADMIN_TOKEN)).json<{ providers: Array<{ provider: string; state: string }> }>();
    return ['anthropic', 'gemini'].every((name) => view.providers.find((p) => p.provider === name)?.state === 'down');
  });
  const logDir = join(gw.dir, 'logs');
  await until('the trace export failure logged', () => readFileSync(join(logDir, 'gatewayd.out.log'), 'utf8').includes('trace export failed'));

  const bodies: Record<string, string> = {};
  for (const path of ['/metrics', '/admin/stats', '/admin/workers', '/admin/config', '/health/providers']) bodies[path] = (await admin(gw, path, SECRETS.ADMIN_TOKEN)).text;
  bodies['status'] = (await gw.cli('status', '--pid-file', gw.pidFile)).stdout;
  bodies['status --json'] = (await gw.cli('status', '--json', '--pid-file', gw.pidFile)).stdout;
  for (const file of readdirSync(logDir)) bodies[`log ${file}`] = readFileSync(join(logDir, file), 'utf8');
  t.ok(bodies['log gatewayd.out.log']!.includes('"msg":"access"'), 'the log has access lines');
  for (const [where, body] of Object.entries(bodies)) {
    const leaked = Object.entries({ ...SECRETS, CALLER_KEY }).filter(([, secret]) => body.includes(secret)).map(([name]) => name);
    t.same(leaked, [], `no secret in ${where}`);
  }

  const config = JSON.parse(bodies['/admin/config']!) as { config: { tracing: { headers: Record<string, string>; endpoint: string }; providers: Array<{ name: string; query: Record<string, string>; base_url: string }> } };
  t.equal(config.config.tracing.headers['authorization'], `sha256:${fingerprint(`Bearer ${SECRETS.OTEL_TOKEN}`)}`, 'collector headers as fingerprints');
  t.equal(config.config.providers.find((p) => p.name === 'openai')?.query['key'], `sha256:${fingerprint(SECRETS.QUERY_KEY)}`, 'key-like query values as fingerprints');
  const anthropicHeaders = (config.config.providers.find((p) => p.name === 'anthropic') as unknown as { headers: Record<string, string> }).headers;
  t.equal(anthropicHeaders['proxy-authorization'], `sha256:${fingerprint(`Basic ${SECRETS.BASEURL_PASSWORD}`)}`, 'credential headers as fingerprints');
  t.match(config.config.tracing.endpoint, fingerprint(SECRETS.OTEL_PASSWORD), 'URL passwords as fingerprints');
});
