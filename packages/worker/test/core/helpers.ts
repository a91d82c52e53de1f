/**
 * Helpers of the core (proxy pipeline) tests: a forked worker on a YAML config, raw HTTP calls
 * that keep the exact response bytes, streamed calls observed as they arrive, SSE parsing, and a
 * scripted node:http upstream that records raw request bytes and answers however a test needs.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadConfigText } from '@gatewayd/shared';
import { startFakeGemini, type FakeUpstream } from '../fakes/index.js';
import { forkWorker, freePort, type ForkedWorker } from '../helpers.js';

type Tap = { teardown(fn: () => unknown): void };

export interface CoreWorker {
  port: number;
  worker: ForkedWorker;
}

/** A fake Gemini upstream and a worker with one model `name` on it (no retries), both stopped at teardown. */
export async function startGeminiModel(t: Tap, name: string, model: string): Promise<{ gemini: FakeUpstream; port: number }> {
  const gemini = await startFakeGemini();
  t.teardown(() => gemini.close());
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 0 }
providers:
  - { name: ge, type: gemini, base_url: "${gemini.url}", api_keys: ["k"] }
models:
  - { name: ${name}, targets: [{ provider: ge, model: ${model} }] }
`,
  );
  return { gemini, port };
}

/** A worker on a free port; `yaml` holds everything but the server address. */
export async function startCoreWorker(t: Tap, yaml: string, server = ''): Promise<CoreWorker> {
  const port = await freePort();
  const text = `server: { host: 127.0.0.1, port: ${port}, workers: 1, drain_timeout: 5s${server === '' ? '' : `, ${server}`} }\nlogging: { level: warn }\n${yaml}`;
  const worker = await forkWorker(t, { config: loadConfigText(text, '/test/core.yaml', {}).config });
  if (worker.first.type !== 'ready') throw new Error(`worker did not start: ${JSON.stringify(worker.first)} ${worker.stderr()}`);
  return { port, worker };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export function call(port: number, path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<RawAnswer> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes, text: bytes.toString('utf8'), json: <T>() => JSON.parse(bytes.toString('utf8')) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface LiveStream {
  response: Promise<IncomingMessage>;
  /** Resolves once the body contains `marker` (any bytes when omitted). */
  received(marker?: string): Promise<void>;
  done: Promise<string>;
  abort(): void;
}

export function openCall(port: number, path: string, body: unknown, headers: Record<string, string> = {}): LiveStream {
  let text = '';
  const waiters: Array<{ marker: string; resolve: () => void }> = [];
  let abort = (): void => {};
  let resolveResponse: (res: IncomingMessage) => void = () => {};
  const response = new Promise<IncomingMessage>((r) => (resolveResponse = r));
  const done = new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      resolveResponse(res);
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        for (const w of [...waiters]) if (text.includes(w.marker)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
      res.on('end', () => resolve(text));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    abort = () => req.destroy();
    req.end(JSON.stringify(body));
  });
  done.catch(() => {});
  return {
    response,
    received: (marker = '') => new Promise<void>((resolve) => (text.length > 0 && text.includes(marker) ? resolve() : waiters.push({ marker, resolve }))),
    done,
    abort: () => abort(),
  };
}

export interface SseFrame {
  event: string | undefined;
  data: string;
}

export function sseFrames(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: data.join('\n') };
    });
}

/** The JSON payloads of an OpenAI stream (without [DONE]). */
export function openaiChunks(text: string): Array<Record<string, unknown>> {
  return sseFrames(text)
    .filter((f) => f.data !== '[DONE]')
    .map((f) => JSON.parse(f.data) as Record<string, unknown>);
}

export interface RawRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The connection closed before the answer finished. */
  aborted: boolean;
}

export interface ScriptedUpstream {
  url: string;
  port: number;
  requests: RawRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: RawRequest, res: ServerResponse, socket: Socket) => void;

/** A node:http upstream on a free port; `handle` answers each request (raw body already read). */
export async function startScripted(t: Tap, handle: UpstreamHandler): Promise<ScriptedUpstream> {
  const requests: RawRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record: RawRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), aborted: false };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      handle(record, res, req.socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  t.teardown(close);
  return { url: `http://127.0.0.1:${port}`, port, requests, close };
}

/** A port nothing listens on (connect refused). */
export async function closedPort(): Promise<number> {
  return freePort();
}
