/**
 * Backend redis through real gatewayd processes and a real redis-server (started here on a free
 * port, no persistence, SIGKILLed at teardown):
 * - two gateways (2 workers each) sharing one Redis enforce one limit;
 * - Redis killed mid-test: requests keep succeeding (on_error: open), exactly one warn line per
 *   gateway (the supervisor's, whatever the number of workers), llm_gateway_state_backend_up
 *   {backend="redis"} drops to 0 on the admin /metrics; Redis restarted on the same port: limits
 *   are enforced again, the gauge is back to 1, exactly one recovery line per gateway;
 * - on_error: closed with Redis unreachable: limited requests get 503 GW_ERR_STATE_UNAVAILABLE; the
 *   worker killed during the outage is replaced without a second log line.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { freePort, startGateway, type Gateway } from '../fakes/index.js';
import { sample, scrape } from '../observe/helpers.js';
import { startRedis } from '../state/redis-server.js';
import { burst, chatBody, countStatuses, header, post, until, type Json } from './helpers.js';

const SHARED_KEY = 'gw-redis-shared-key-0001';
const OUTAGE_KEY = 'gw-redis-outage-key-0002';
const FREE_KEY = 'gw-redis-free-key-0003';
const RPM = 15;

/** A generous timeout: a slow (loaded) machine must not turn into a spurious outage here. */
function yaml(redisUrl: string, prefix: string, onError: 'open' | 'closed' = 'open', timeout = '2s'): string {
  return `
logging: { level: info }
state: { backend: redis, on_error: ${onError}, redis: { url: "${redisUrl}", prefix: "${prefix}", timeout: ${timeout} } }
auth:
  mode: gateway
  keys:
    - { name: shared, key: "${SHARED_KEY}", limits: { rpm: ${RPM} } }
    - { name: outage, key: "${OUTAGE_KEY}", limits: { rpm: 5 } }
    - { name: free, key: "${FREE_KEY}" }
providers: [{ name: local, type: mock, chunks: 2 }]
models: [{ name: demo, targets: [{ provider: local, model: demo }] }]
`;
}

const send = (gw: Gateway, key: string, text: string) => post(gw.url, '/v1/chat/completions', chatBody('demo', text), { authorization: `Bearer ${key}` });

const redis = await startRedis(t);
const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
const [a, b] = await Promise.all([startGateway(t, yaml(redis.url, prefix)), startGateway(t, yaml(redis.url, prefix))]) as [Gateway, Gateway];

interface LogLine {
  level: number;
  msg: string;
  role?: string;
  err?: string;
}

/** The state backend transition lines of this gateway's log files (supervisor and workers). */
function transitions(gw: Gateway): LogLine[] {
  // Workers append to the same files asynchronously: a read can end inside one of their lines,
  // which is skipped (the supervisor, whose lines these are, writes synchronously).
  return gw
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"msg":"state backend'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** The state backend gauge as this gateway's supervisor exposes it (undefined: no series). */
async function redisUp(gw: Gateway): Promise<number | undefined> {
  return sample(await scrape(gw), 'llm_gateway_state_backend_up{backend="redis"}');
}

/** Waits until both gateways show `value`: reports reach the supervisor once a second. */
async function gaugeBecomes(value: number, what: string): Promise<void> {
  for (const gw of [a, b]) await until(`${what} (admin port ${gw.adminPort})`, async () => ((await redisUp(gw)) === value ? true : undefined));
}

t.test('two gateway processes on one redis enforce one limit', async (t) => {
  const replies = await burst(4 * RPM, (i) => send(i % 2 === 0 ? a : b, SHARED_KEY, `shared ${i}`));
  t.same(countStatuses(replies), { 200: RPM, 429: 3 * RPM }, `exactly ${RPM} admitted across both gateways`);
  const perGateway = [0, 1].map((g) => replies.filter((r, i) => i % 2 === g && r.status === 200).length);
  t.comment(`admitted per gateway: ${perGateway.join(' + ')}`);
  const remaining = replies.filter((r) => r.status === 200).map((r) => Number(header(r, 'x-ratelimit-remaining-requests')));
  t.same(remaining.sort((x, y) => x - y), Array.from({ length: RPM }, (_, i) => i), 'one counter: remaining counts down once across both');
});

t.test('redis killed: fail open; restarted: limits enforced again', async (t) => {
  for (let i = 0; i < 5; i++) t.equal((await send(a, OUTAGE_KEY, `before ${i}`)).status, 200);
  t.equal((await send(b, OUTAGE_KEY, 'before, over the limit')).status, 429, 'the limit holds while redis is up');
  t.equal(await redisUp(a), 1, 'state backend gauge: redis up');
  t.equal(await redisUp(b), 1);

  await redis.kill();
  const during = await burst(12, (i) => send(i % 2 === 0 ? a : b, OUTAGE_KEY, `during ${i}`));
  t.same(countStatuses(during), { 200: 12 }, 'state.on_error open: every request is served while redis is down');
  for (const r of during) t.equal(header(r, 'x-ratelimit-limit-requests'), undefined, 'no limit figures without the backend');
  // A few more, so every worker has met the outage.
  await burst(12, (i) => send(i % 2 === 0 ? a : b, OUTAGE_KEY, `during again ${i}`));

  await gaugeBecomes(0, 'the state backend gauge to show redis down');
  for (const gw of [a, b]) {
    const lines = transitions(gw);
    t.equal(lines.length, 1, `one line for the outage of a gateway with 2 workers, not one per worker or request (admin port ${gw.adminPort})`);
    t.match(lines[0], { level: 40, role: 'supervisor', msg: 'state backend unavailable: admitting requests without limits (state.on_error: open)', err: String });
  }
  t.equal(await redisUp(a), 0, 'state backend gauge: 0 while redis is down');
  t.equal(await redisUp(b), 0);

  await redis.restart();
  const refused = await until('limits to be enforced again after redis came back', async () => {
    const reply = await send(a, OUTAGE_KEY, 'after');
    return reply.status === 429 ? reply : undefined;
  }, 30_000);
  t.equal(header(refused, 'x-ratelimit-remaining-requests'), '0');
  t.match(JSON.parse(refused.body) as Json, { error: { code: 'GW_ERR_RATE_LIMITED' } });
  // The recovery line: every worker of the gateway that saw the outage reaches redis again.
  for (const gw of [a, b]) await until(`the recovery line (admin port ${gw.adminPort})`, async () => (transitions(gw).length === 2 ? true : undefined));
  t.equal((await send(b, OUTAGE_KEY, 'after, other gateway')).status, 429, 'the other gateway shares the restored counter');
  // Every worker of both gateways must have reconnected (the gauge is the min over the workers).
  await gaugeBecomes(1, 'the state backend gauge to recover');
  const after = await burst(8, (i) => send(i % 2 === 0 ? a : b, OUTAGE_KEY, `after again ${i}`));
  t.same(countStatuses(after), { 429: 8 }, 'every worker counts on redis again');
  for (const gw of [a, b]) {
    t.same(
      transitions(gw).map((line) => [line.level, line.role, line.msg]),
      [
        [40, 'supervisor', 'state backend unavailable: admitting requests without limits (state.on_error: open)'],
        [30, 'supervisor', 'state backend recovered'],
      ],
      `exactly one warn and one recovery line for the outage (admin port ${gw.adminPort})`,
    );
  }
  t.equal(await redisUp(a), 1, 'state backend gauge: back to 1 after recovery');
  t.equal(await redisUp(b), 1);
});

t.test('on_error closed with redis unreachable: 503 GW_ERR_STATE_UNAVAILABLE for limited requests', async (t) => {
  const deadPort = await freePort();
  const closed = await startGateway(t, yaml(`redis://127.0.0.1:${deadPort}`, prefix, 'closed', '250ms'), { workers: 1 });
  const limited = await send(closed, SHARED_KEY, 'closed');
  t.equal(limited.status, 503);
  t.equal(header(limited, 'retry-after'), '1');
  t.match(JSON.parse(limited.body) as Json, { error: { code: 'GW_ERR_STATE_UNAVAILABLE' } });
  const anthropic = await post(closed.url, '/v1/messages', { model: 'demo', max_tokens: 16, messages: [{ role: 'user', content: 'closed' }] }, { 'x-api-key': SHARED_KEY });
  t.equal(anthropic.status, 503);
  t.match(JSON.parse(anthropic.body) as Json, { type: 'error', error: { type: 'overloaded_error' } });
  t.equal((await send(closed, FREE_KEY, 'no limits')).status, 200, 'a request without limits needs no shared state');
  await until('the state backend gauge of a redis never reached', async () => ((await redisUp(closed)) === 0 ? true : undefined));

  // Its only worker dies during the outage: the replacement joins it without a second line.
  const workerPids = async (): Promise<Array<{ pid: number; state: string }>> => {
    const status = await closed.cli('status', '--json', '--pid-file', closed.pidFile);
    return status.code === 0 ? (JSON.parse(status.stdout) as { workers: Array<{ pid: number; state: string }> }).workers : [];
  };
  const victim = (await workerPids())[0]!.pid;
  process.kill(victim, 'SIGKILL');
  await until('the replacement worker', async () => ((await workerPids()).some((w) => w.pid !== victim && w.state === 'ready') ? true : undefined));
  t.equal((await send(closed, SHARED_KEY, 'replacement')).status, 503, 'the replacement meets the outage too');
  // Its first report (after its transition, on the same channel) brings the gauge back.
  await until('the replacement to report', async () => ((await redisUp(closed)) === 0 ? true : undefined));
  t.same(
    transitions(closed).map((line) => [line.level, line.role, line.msg]),
    [[40, 'supervisor', 'state backend unavailable: rejecting limited requests (state.on_error: closed)']],
    'one line for the whole outage, the replacement worker included',
  );
});
