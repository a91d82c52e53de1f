/**
 * The protocol-independent half of a fake upstream: a node:http server on 127.0.0.1 (free port)
 * that records every request, consumes one scripted Behaviour per request, applies the
 * transport-level ones itself (status, reset-before-headers, hang) and hands the rest to the
 * protocol handler through an Exchange whose json()/sse() honour slow-stream and reset-mid-stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Behaviour, FakeUpstream, RecordedRequest } from './types.js';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  pathname: string;
  query: URLSearchParams;
  /** Parsed JSON body; `undefined` when empty; the raw text when it is not JSON (see `badJson`). */
  body: unknown;
  badJson: boolean;
  /** Only the kinds that shape the answer reach protocol handlers. */
  behaviour: Behaviour;
  record: RecordedRequest;
  json(status: number, body: unknown, headers?: Record<string, string>): Promise<void>;
  /** Writes complete, already framed SSE events one write each. */
  sse(frames: string[], headers?: Record<string, string>): Promise<void>;
}

export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Protocol {
  /** Suffix of base_url after the origin. */
  basePath: string;
  keyOf(req: IncomingMessage, query: URLSearchParams): string | undefined;
  /** The provider's answer to a missing or wrong key. */
  authError(key: string | undefined): ErrorAnswer;
  /** The provider's error body for a scripted status. */
  errorBody(status: number): unknown;
  /** Headers every answer of this provider carries (request ids, rate limits). */
  commonHeaders(): Record<string, string>;
  handle(ex: Exchange): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFake(protocol: Protocol, requireKey: string | undefined): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  let queue: Behaviour[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void serve(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        // A bug in a fake must be loud, not a hang.
        process.stderr.write(`fake upstream error: ${(err as Error).stack ?? String(err)}\n`);
        if (!res.headersSent) res.writeHead(599).end();
        else res.destroy();
      });
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = raw.toString('utf8');
    let body: unknown;
    let badJson = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    const key = protocol.keyOf(req, url.searchParams);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req), body, key, aborted: false, behaviour: { kind: 'ok' } };
    requests.push(record);
    let selfReset = false;
    res.on('close', () => {
      if (!res.writableFinished && !selfReset) record.aborted = true;
    });

    if (requireKey !== undefined && key !== requireKey) {
      const answer = protocol.authError(key);
      writeJson(res, answer.status, answer.body, { ...protocol.commonHeaders(), ...answer.headers });
      return;
    }
    const behaviour = queue.shift() ?? { kind: 'ok' };
    record.behaviour = behaviour;
    switch (behaviour.kind) {
      case 'status':
        writeJson(res, behaviour.status, behaviour.body ?? protocol.errorBody(behaviour.status), { ...protocol.commonHeaders(), ...behaviour.headers });
        return;
      case 'reset-before-headers':
        selfReset = true;
        req.socket.destroy();
        return;
      case 'hang':
        return;
      default:
        break;
    }

    const ex: Exchange = {
      req,
      res,
      method: record.method,
      pathname: url.pathname,
      query: url.searchParams,
      body,
      badJson,
      behaviour,
      record,
      json: async (status, answer, headers = {}) => {
        if (behaviour.kind === 'slow-stream') await delay(behaviour.delayMs);
        if (res.destroyed) return;
        const payload = Buffer.from(JSON.stringify(answer));
        res.writeHead(status, { 'content-type': 'application/json', ...protocol.commonHeaders(), ...headers, 'content-length': String(payload.length) });
        if (behaviour.kind === 'reset-mid-stream') {
          selfReset = true;
          await write(res, payload.subarray(0, payload.length >> 1));
          res.destroy();
          return;
        }
        res.end(payload);
      },
      sse: async (frames, headers = {}) => {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...protocol.commonHeaders(), ...headers });
        res.flushHeaders();
        for (let i = 0; i < frames.length; i++) {
          if (behaviour.kind === 'reset-mid-stream' && i === behaviour.afterEvents) {
            selfReset = true;
            res.destroy();
            return;
          }
          if (behaviour.kind === 'slow-stream') await delay(behaviour.delayMs);
          if (res.destroyed) return;
          await write(res, frames[i] as string);
        }
        res.end();
      },
    };
    await protocol.handle(ex);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${protocol.basePath}`,
    port,
    requests,
    script: (next) => {
      queue.push(...next);
    },
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    waitFor: async (what, check, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check(requests)) {
        if (Date.now() > deadline) throw new Error(`fake upstream: timed out waiting for ${what}; requests: ${JSON.stringify(requests.map((r) => ({ path: r.path, behaviour: r.behaviour.kind, aborted: r.aborted })))}`);
        await delay(20);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits until the chunk was handed to the socket, so a following destroy() cannot drop it. */
function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
  });
}

export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': String(payload.length) });
  res.end(payload);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Random id suffix in the style of the providers' ids. */
export function randomId(length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** Splits text into word pieces keeping the spaces, as token streams look. */
export function pieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

/** Deterministic embedding of `dims` floats derived from the text. */
export function embeddingOf(text: string, dims: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    // float32-exact values, so a base64 round trip compares equal.
    out.push(Math.fround(((h % 2000) - 1000) / 1000));
  }
  return out;
}

/** Rough prompt token estimate for count endpoints: 1 token per 4 characters of JSON. */
export function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}
