/** The admin HTTP server on a real socket (port 0), with an in-memory host: auth, routes, errors. */
import t from 'tap';
import { loadConfigText } from '@gatewayd/shared';
import pino from 'pino';
import { startAdminServer, type AdminHost } from '../../src/admin/index.js';
import { MetricsHub } from '../../src/metrics/index.js';
import { httpRequest } from '../helpers/gatewayd.js';
import { report, workerRef } from './fixtures.js';

// Without a token the key is left out: present but empty is a config error (an unset ${ENV}).
const yaml = (withToken: boolean) => `
admin: { host: 127.0.0.1, port: 0${withToken ? ', token: "${ADMIN_TOKEN}"' : ''} }
providers: [{ name: openai, type: openai, api_keys: ["\${OPENAI_KEY}"] }]
models: [{ name: gpt-4o-mini, targets: [{ provider: openai, model: gpt-4o-mini }] }]
`;

async function serve(t: { teardown(fn: () => unknown): void }, token: string): Promise<{ port: number; host: AdminHost }> {
  const { config } = loadConfigText(yaml(token !== ''), '/t/gatewayd.yaml', { ADMIN_TOKEN: token, OPENAI_KEY: 'sk-very-secret-openai' });
  const workers = [workerRef(0, 999)];
  const metrics = new MetricsHub({ workers: () => workers, generation: () => 1, providers: () => ['openai'] });
  metrics.applyReport(workers[0]!, report(1, 4));
  const handle = { slot: 0, pid: 999, generation: 1, spawnedAt: new Date(), restarts: 0, state: 'ready' as const, engine: 'native' as const, stats: { inFlight: 0, activeStreams: 0, requestsTotal: 4, draining: false } };
  const host: AdminHost = { metrics, startedAt: new Date(), current: { generation: 1, config, configFile: '/t/gatewayd.yaml' }, pool: { all: [handle] }, listenAddresses: () => ({ data: '127.0.0.1:1', admin: null }), stateHealth: () => ({ backend: 'local', status: 'ok', since: null, reason: null, onError: 'open' }) };
  const server = await startAdminServer(host, { host: '127.0.0.1', port: 0 }, pino({ level: 'silent' }));
  t.teardown(() => server.close());
  return { port: server.port, host };
}

t.test('with admin.token: 401 without it or with a wrong one, 200 with it, on every endpoint', async (t) => {
  const { port } = await serve(t, 'adm-token-123');
  for (const path of ['/metrics', '/admin/stats', '/admin/workers', '/admin/config', '/health/providers', '/nope']) {
    const none = await httpRequest(port, path);
    t.equal(none.status, 401, `${path} without a token`);
    t.equal(none.headers['www-authenticate'], 'Bearer realm="gatewayd-admin"');
    t.match(JSON.parse(none.body), { error: { code: 'GW_ERR_UNAUTHORIZED' } });
    t.equal((await httpRequest(port, path, { headers: { authorization: 'Bearer adm-token-12' } })).status, 401, `${path} with a prefix of the token`);
    t.equal((await httpRequest(port, path, { headers: { authorization: 'Basic adm-token-123' } })).status, 401, `${path} with another scheme`);
  }
  const ok = await httpRequest(port, '/admin/stats', { headers: { authorization: 'Bearer adm-token-123' } });
  t.equal(ok.status, 200);
  t.match(JSON.parse(ok.body), { totals: { requests: 4 }, models: { 'gpt-4o-mini': { requests: 4 } }, keys: { 'team-a': { requests: 4 } }, workers: [{ pid: 999, requestsTotal: 0 }] });
  t.equal((await httpRequest(port, '/nope', { headers: { authorization: 'bearer adm-token-123' } })).status, 404, 'the scheme is case-insensitive; unknown paths 404 once authorized');
});

t.test('a token with spaces, or outside ASCII, can be presented; a secret with a trailing line break is trimmed', async (t) => {
  const spaced = await serve(t, 'admin tok with spaces');
  t.equal((await httpRequest(spaced.port, '/admin/stats', { headers: { authorization: 'Bearer admin tok with spaces' } })).status, 200, 'spaces inside');
  t.equal((await httpRequest(spaced.port, '/admin/stats', { headers: { authorization: 'Bearer admin tok with spaces  ' } })).status, 200, 'trailing blanks');
  t.equal((await httpRequest(spaced.port, '/admin/stats', { headers: { authorization: 'Bearer admin tok' } })).status, 401, 'a part of it is not it');
  const accented = await serve(t, 'pässwört-123');
  // As curl or Prometheus send it from a UTF-8 config: the token's UTF-8 bytes (Node's client writes header strings as latin1).
  const utf8 = Buffer.from('pässwört-123', 'utf8').toString('latin1');
  t.equal((await httpRequest(accented.port, '/admin/stats', { headers: { authorization: `Bearer ${utf8}` } })).status, 200, 'a UTF-8 token');
  t.equal((await httpRequest(accented.port, '/admin/stats', { headers: { authorization: 'Bearer pässwört-123' } })).status, 200, 'the same token as latin1 (fetch, Python)');
  // "à" ends in the byte 0xA0, which latin1 reads as a no-break space: no blank at the token's end.
  const voila = await serve(t, 'secret-voilà');
  t.equal((await httpRequest(voila.port, '/admin/stats', { headers: { authorization: `Bearer ${Buffer.from('secret-voilà', 'utf8').toString('latin1')}` } })).status, 200, 'a token ending in à');
  t.equal((await httpRequest(voila.port, '/admin/stats', { headers: { authorization: 'Bearer secret-voil' } })).status, 401, 'less of it is not it');
  const loaded = loadConfigText(yaml(true), '/t/gatewayd.yaml', { ADMIN_TOKEN: 'tok123456\n ', OPENAI_KEY: 'sk-x' });
  t.equal(loaded.config.admin.token, 'tok123456', 'trimmed');
  t.ok(loaded.warnings.includes('admin.token has leading or trailing whitespace; it is trimmed'), 'with a warning');
  t.throws(() => loadConfigText(yaml(true), '/t/gatewayd.yaml', { ADMIN_TOKEN: 'tok\n123456', OPENAI_KEY: 'sk-x' }), /admin\.token: has a control character/);
});

t.test('without a token: open; JSON errors; /metrics in the Prometheus text format', async (t) => {
  const { port } = await serve(t, '');
  const metrics = await httpRequest(port, '/metrics');
  t.equal(metrics.status, 200);
  t.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  t.match(metrics.body, /^llm_gateway_requests_total\{provider="openai",model="gpt-4o-mini",status="200"\} 4$/m);
  const head = await httpRequest(port, '/metrics', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
  const post = await httpRequest(port, '/admin/stats', { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  t.match(JSON.parse(post.body), { error: { code: 'GW_ERR_METHOD_NOT_ALLOWED' } });
  const missing = await httpRequest(port, '/admin/nothing?x=1');
  t.equal(missing.status, 404);
  t.equal(missing.headers['content-type'], 'application/json; charset=utf-8');
  t.match(JSON.parse(missing.body), { error: { code: 'GW_ERR_NOT_FOUND' } });
  const providers = JSON.parse((await httpRequest(port, '/health/providers')).body) as { healthy: boolean; providers: Array<{ provider: string; state: string }> };
  t.same(providers.providers.map((p) => [p.provider, p.state]), [['openai', 'unknown']]);
  const config = await httpRequest(port, '/admin/config');
  t.notMatch(config.body, 'sk-very-secret-openai', 'provider keys are redacted');
  t.match(config.body, '"sha256:');
});

t.test('a port already in use fails with a clear reason', async (t) => {
  const { port } = await serve(t, '');
  const { config } = loadConfigText(yaml(false), '/t/gatewayd.yaml', {});
  const host = { current: { config } } as unknown as AdminHost;
  await t.rejects(startAdminServer(host, { host: '127.0.0.1', port }, pino({ level: 'silent' })), { message: `admin port 127.0.0.1:${port} is already in use` });
});

t.test('without a token on loopback: a request addressed to another name (a DNS-rebinding page) is refused', async (t) => {
  const { port } = await serve(t, '');
  for (const host of [`rebound.attacker.example:${port}`, 'attacker.example', `[2001:db8::1]:${port}`, `127.0.0.1.attacker.example:${port}`]) {
    const refused = await httpRequest(port, '/admin/config', { headers: { host } });
    t.equal(refused.status, 403, `Host ${host}`);
    t.match(JSON.parse(refused.body), { error: { code: 'GW_ERR_FORBIDDEN_HOST' } });
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, `prometheus.localhost:${port}`, '127.0.0.2']) {
    t.equal((await httpRequest(port, '/admin/config', { headers: { host } })).status, 200, `Host ${host}`);
  }
  const tokened = await serve(t, 'adm-token-123');
  const viaProxy = await httpRequest(tokened.port, '/admin/stats', { headers: { host: 'gateway-admin.internal', authorization: 'Bearer adm-token-123' } });
  t.equal(viaProxy.status, 200, 'with a token any name is fine (a page cannot know the token)');
});
