/**
 * Raw HTTP for the limit tests: every request on its own connection (agent: false), so a burst
 * spreads over the workers (SO_REUSEPORT hands each new connection to one of them), and the
 * helpers to read what came back.
 */
import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { startGateway, type Gateway, type TestLike } from '../fakes/index.js';
import { startRedis } from '../state/redis-server.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Json = Record<string, any>;

/** POST `body` as JSON on a fresh connection; resolves with the whole answer (SSE included). */
export function post(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers }, ...(signal ? { signal } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `n` requests at once. */
export function burst(n: number, send: (i: number) => Promise<Reply>): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => send(i)));
}

export function header(reply: Reply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The worker that answered: generated request ids start with a per-process prefix of 10 hex. */
export function workerOf(reply: Reply): string {
  return (header(reply, 'x-request-id') ?? '').slice(0, 10);
}

export function countStatuses(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** OpenAI's reset format (Go durations): 20ms, 1s, 1.5s, 6m0s, 1h0m0s. */
export const OPENAI_RESET = /^(?:\d+ms|(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?s)$/;

/** Polls `check` until it returns a value (not undefined), failing after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const chatBody = (model: string, text: string, extra: Json = {}): Json => ({ model, messages: [{ role: 'user', content: text }], ...extra });
export const messagesBody = (model: string, text: string, extra: Json = {}): Json => ({ model, max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra });

/**
 * A gateway on backend `local` or `redis` (a redis-server of the test's own) with one key whose
 * only limit is `concurrency`, in front of the mock provider (model `demo`).
 */
export async function startSlotGateway(t: TestLike, backend: 'local' | 'redis', options: { key: string; concurrency: number; workers: number }): Promise<Gateway> {
  const state =
    backend === 'redis'
      ? `state: { backend: redis, redis: { url: "${(await startRedis(t)).url}", prefix: "gw-slots:${randomBytes(4).toString('hex')}:" } }`
      : 'state: { backend: local }';
  return startGateway(
    t,
    `
logging: { level: warn }
${state}
auth: { mode: gateway, keys: [{ name: slots, key: "${options.key}", limits: { concurrency: ${options.concurrency} } }] }
providers:
  - { name: local, type: mock, chunks: 2 }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
`,
    { workers: options.workers },
  );
}
