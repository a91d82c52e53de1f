/**
 * Test helpers: fork the built worker (dist/main.js) with a real `init`, talk to it over IPC and
 * real sockets. Every forked process is SIGKILLed in t.teardown if it is still running.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfigText, type GatewayConfig, type WorkerToSupervisor, type InitMessage } from '@gatewayd/shared';

export const WORKER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

type Tap = { teardown(fn: () => unknown): void };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A config on 127.0.0.1:port with the mock provider (model `demo`, alias `mock`) and an openai one. */
export function testConfig(port: number, extra: { drainTimeout?: string; bodyLimit?: string; level?: string; format?: string; chunks?: number; chunkDelay?: string } = {}): GatewayConfig {
  const text = `
server: { host: 127.0.0.1, port: ${port}, workers: 1, drain_timeout: ${extra.drainTimeout ?? '5s'}, body_limit: ${extra.bodyLimit ?? '64kb'} }
logging: { level: ${extra.level ?? 'info'}, format: ${extra.format ?? 'json'} }
providers:
  - { name: local, type: mock, chunks: ${extra.chunks ?? 4}, chunk_delay: ${extra.chunkDelay ?? '0ms'} }
  - { name: openai, type: openai, api_keys: ["sk-test-not-a-real-key"] }
models:
  - { name: demo, aliases: [mock], targets: [{ provider: local, model: demo }] }
  - { name: gpt-4o-mini, targets: [{ provider: openai, model: gpt-4o-mini }] }
`;
  return loadConfigText(text, '/test/gatewayd.yaml', {}).config;
}

export interface ForkedWorker {
  child: ChildProcess;
  messages: WorkerToSupervisor[];
  /** The first ready or start-failed message. */
  first: WorkerToSupervisor;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  nextMessage(match: (m: WorkerToSupervisor) => boolean, timeoutMs?: number): Promise<WorkerToSupervisor>;
}

export interface ForkOptions {
  config: GatewayConfig;
  env?: NodeJS.ProcessEnv;
  logFile?: string;
  /** Wait for this long for ready/start-failed. */
  timeoutMs?: number;
}

export async function forkWorker(t: Tap, options: ForkOptions): Promise<ForkedWorker> {
  // execArgv: [] keeps tap's loader hooks (inherited by default) out of the worker.
  const child = fork(WORKER_MAIN, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...options.env }, execArgv: [] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const messages: WorkerToSupervisor[] = [];
  const waiters = new Set<{ match: (m: WorkerToSupervisor) => boolean; resolve: (m: WorkerToSupervisor) => void }>();
  child.on('message', (m: WorkerToSupervisor) => {
    messages.push(m);
    for (const w of waiters) if (w.match(m)) {
      waiters.delete(w);
      w.resolve(m);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const nextMessage = (match: (m: WorkerToSupervisor) => boolean, timeoutMs = 10_000): Promise<WorkerToSupervisor> =>
    new Promise((resolve, reject) => {
      const seen = messages.find(match);
      if (seen) return resolve(seen);
      const waiter = { match, resolve: (m: WorkerToSupervisor) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}; stderr: ${err}; stdout: ${out}`));
      }, timeoutMs);
      waiters.add(waiter);
    });

  const init: InitMessage = { type: 'init', generation: 3, workerId: 7, config: options.config, configFile: '/test/gatewayd.yaml', ...(options.logFile ? { logFile: options.logFile } : {}) };
  // As the supervisor does: `init` only after the worker said hello (node:cluster drops earlier messages).
  await nextMessage((m) => m.type === 'hello', options.timeoutMs ?? 10_000);
  child.send(init);
  const first = await nextMessage((m) => m.type === 'ready' || m.type === 'start-failed', options.timeoutMs ?? 10_000);
  return { child, messages, first, port: first.type === 'ready' ? first.port : 0, exited, stdout: () => out, stderr: () => err, nextMessage };
}

let statsId = 0;
export async function workerStats(w: ForkedWorker): Promise<{ inFlight: number; activeStreams: number; requestsTotal: number; draining: boolean }> {
  const id = ++statsId;
  w.child.send({ type: 'stats-request', id });
  const m = await w.nextMessage((msg) => msg.type === 'stats' && msg.id === id);
  if (m.type !== 'stats') throw new Error('unexpected');
  return m;
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: Agent | false;
}

export function send(port: number, options: RequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function chat(port: number, body: unknown, headers: Record<string, string> = {}, agent?: Agent): Promise<HttpAnswer> {
  return send(port, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), agent });
}

/** A streamed chat request observed as it arrives. */
export interface OpenStream {
  response: Promise<IncomingMessage>;
  /** Resolves once at least `n` bytes of body arrived. */
  firstBytes: Promise<void>;
  /** The whole body once the response ends (or rejects on a socket error). */
  done: Promise<string>;
  abort(): void;
}

export function openStream(port: number, body: unknown, headers: Record<string, string> = {}): OpenStream {
  let abort = (): void => {};
  let resolveFirst: () => void = () => {};
  const firstBytes = new Promise<void>((r) => (resolveFirst = r));
  let resolveResponse: (res: IncomingMessage) => void = () => {};
  const response = new Promise<IncomingMessage>((r) => (resolveResponse = r));
  const done = new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...headers }, agent: false },
      (res) => {
        resolveResponse(res);
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          resolveFirst();
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.on('error', reject);
    abort = () => req.destroy();
    req.end(JSON.stringify(body));
  });
  done.catch(() => {});
  return { response, firstBytes, done, abort };
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      if (!block.startsWith('data: ')) throw new Error(`not an SSE data event: ${JSON.stringify(block)}`);
      return block.slice('data: '.length);
    });
}

export function isConnectionRefused(port: number): Promise<boolean> {
  return send(port, { path: '/health' }).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
  );
}
