/**
 * Helpers of the observability tests (issue 5): calls on fresh connections (so SO_REUSEPORT spreads
 * them over the workers), admin-port reads, Prometheus samples, and the daemon's access lines.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Gateway } from '../fakes/index.js';

export { until } from '../helpers.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export function http(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function chatBody(model: string, content: string, stream = false): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content }], ...(stream ? { stream: true } : {}) };
}

export function admin(gw: Gateway, path: string, token?: string): Promise<Answer> {
  return http(gw.adminPort, 'GET', path, undefined, token ? { authorization: `Bearer ${token}` } : {});
}

export async function scrape(gw: Gateway, token?: string): Promise<string> {
  const res = await admin(gw, '/metrics', token);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.text}`);
  return res.text;
}

/** The value of one sample line of a Prometheus exposition, or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return undefined;
}

/** Sum of every sample of `name` whose labels include all of `labels` (`key="value"` pairs). */
export function sum(text: string, name: string, labels: string[] = []): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const at = line.lastIndexOf(' ');
    const series = line.slice(0, at);
    if (labels.every((l) => series.includes(l))) total += Number(line.slice(at + 1));
  }
  return total;
}

export function logText(gw: Gateway): string {
  const read = (name: string): string => {
    try {
      return readFileSync(join(gw.dir, 'logs', name), 'utf8');
    } catch {
      return '';
    }
  };
  return read('gatewayd.out.log') + read('gatewayd.err.log');
}

export type AccessRecord = Record<string, unknown> & { reqId: string; msg: string };

/** Every JSON access line written so far. */
export function accessLines(gw: Gateway): AccessRecord[] {
  const out: AccessRecord[] = [];
  for (const line of logText(gw).split('\n')) {
    if (!line.includes('"msg":"access"')) continue;
    try {
      out.push(JSON.parse(line) as AccessRecord);
    } catch {
      // a line cut by a concurrent write: read again later
    }
  }
  return out;
}

export function requestId(answer: Answer): string {
  const id = answer.headers['x-request-id'];
  if (typeof id !== 'string') throw new Error('answer without x-request-id');
  return id;
}
