/**
 * A worker SIGKILLed while holding a concurrency slot: the slot is free again as soon as the
 * supervisor knows, on backend local (its store frees the dead worker's slots) and on backend
 * redis (a live worker removes them from Redis), not after redis's 30-second leases.
 */
import t from 'tap';
import { chatBody, post, startSlotGateway, until } from './helpers.js';

const KEY = 'gw-dead-worker-key-000001';
const AUTH = { authorization: `Bearer ${KEY}` };

for (const backend of ['local', 'redis'] as const) {
  t.test(`backend ${backend}: the slots of a SIGKILLed worker come back at once`, async (t) => {
    const gw = await startSlotGateway(t, backend, { key: KEY, concurrency: 1, workers: 1 });
    const workers = async (): Promise<Array<{ pid: number; state: string }>> => {
      const status = await gw.cli('status', '--json', '--pid-file', gw.pidFile);
      return status.code === 0 ? (JSON.parse(status.stdout) as { workers: Array<{ pid: number; state: string }> }).workers : [];
    };
    const victim = (await workers())[0]!.pid;

    // A long stream holds the only slot.
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH, 'x-mock-chunks': '600', 'x-mock-chunk-delay-ms': '100' },
      body: JSON.stringify(chatBody('demo', 'hold the slot', { stream: true })),
      signal: controller.signal,
    });
    t.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    t.teardown(() => controller.abort());
    t.equal((await post(gw.url, '/v1/chat/completions', chatBody('demo', 'meanwhile'), AUTH)).status, 429, 'the slot is taken');

    process.kill(victim, 'SIGKILL');
    await reader.read().catch(() => undefined);
    await until('the replacement worker', async () => ((await workers()).some((w) => w.pid !== victim && w.state === 'ready') ? true : undefined));
    // Well within the 30 s lease that held a redis slot before.
    const admitted = await until('the slot of the dead worker to be free', async () => {
      const reply = await post(gw.url, '/v1/chat/completions', chatBody('demo', 'after the kill'), AUTH);
      return reply.status === 200 ? reply : undefined;
    }, 8_000);
    t.equal(admitted.status, 200);
  });
}
