/**
 * Latency at concurrency 1: sequential POSTs over one keep-alive connection (node:http Agent with a
 * single socket), timing request start to the last body byte. Bounded by iterations and seconds.
 */
import { Agent, request } from 'node:http';
import { spread, type Spread } from './stats.js';

export interface LatencyOptions {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  iterations: number;
  warmup: number;
  maxSeconds: number;
}

export interface LatencyResult {
  /** Microseconds per request, measured requests only (warm-up excluded). */
  us: Spread;
  errors: number;
  firstError: string | undefined;
}

function once(agent: Agent, url: URL, payload: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function probeLatency(options: LatencyOptions): Promise<LatencyResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(options.url);
  const payload = Buffer.from(JSON.stringify(options.body));
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const deadline = Date.now() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmup + options.iterations && Date.now() < deadline; i++) {
      const start = process.hrtime.bigint();
      try {
        const { status, body } = await once(agent, url, payload, options.headers ?? {});
        const us = Number(process.hrtime.bigint() - start) / 1000;
        if (status !== 200) {
          errors++;
          firstError ??= `HTTP ${status}: ${body.slice(0, 300)}`;
        } else if (i >= options.warmup) samples.push(us);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  } finally {
    agent.destroy();
  }
  return { us: spread(samples), errors, firstError };
}
