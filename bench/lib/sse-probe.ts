/**
 * Streaming probe: `clients` concurrent callers, each running `streams` SSE requests in sequence over
 * keep-alive. Per stream it records time to first byte (response headers), time to first token (the
 * first content chunk), and for every content chunk the gap since the previous one and, when the
 * upstream stamps its chunks (sse-upstream-main.ts), its one-way delay from the upstream's send time. A read carrying two or more content
 * chunks counts as coalescing: the upstream sent them delayMs apart, so they should arrive apart.
 */
import { Agent, request } from 'node:http';
import { readSendStamp } from './openai-fixtures.js';
import { spread, type Spread } from './stats.js';

export interface SseProbeOptions {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  clients: number;
  streams: number;
  /** Content chunks the upstream sends per stream. */
  expectedChunks: number;
  /** A stamped chunk slower than this (upstream send to arrival) counts as late; default: never. */
  lateAfterMs?: number;
  maxSeconds: number;
}

export interface SseProbeResult {
  streamsOk: number;
  streamsFailed: number;
  firstError: string | undefined;
  ttfbUs: Spread;
  ttftUs: Spread;
  /** Upstream send to client arrival, every content chunk. */
  chunkDelayUs: Spread;
  /** The same for the first content chunk only (it rides with the response headers). */
  firstChunkDelayUs: Spread;
  /** Arrival gap between consecutive content chunks at the client. */
  gapUs: Spread;
  /** Content chunks that arrived in the same read as an earlier one. */
  coalesced: number;
  /** Stamped chunks whose one-way delay exceeded lateAfterMs. */
  lateChunks: number;
  chunksSeen: number;
}

/** Non-empty `choices[0].delta.content` of every `data:` event in complete SSE text. */
function* contentDeltas(text: string): Generator<string> {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    let event: { choices?: Array<{ delta?: { content?: unknown } }> };
    try {
      event = JSON.parse(line.slice(6)) as typeof event;
    } catch {
      continue; // not JSON: the end-of-stream check reports the stream as broken
    }
    const content = event.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content !== '') yield content;
  }
}

interface StreamSample {
  ttfbUs: number;
  ttftUs: number;
  /** One-way delay of the first content chunk; NaN when unstamped. */
  firstDelayUs: number;
  delays: number[];
  gaps: number[];
  coalesced: number;
  chunks: number;
}

function oneStream(agent: Agent, url: URL, payload: Buffer, headers: Record<string, string>, expected: number): Promise<StreamSample> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': String(payload.length), ...headers } },
      (res) => {
        const ttfbUs = Number(process.hrtime.bigint() - start) / 1000;
        let pending = '';
        let all = '';
        let ttftUs = Number.NaN;
        let firstDelayUs = Number.NaN;
        let lastArrival: bigint | undefined;
        const delays: number[] = [];
        const gaps: number[] = [];
        let coalesced = 0;
        let chunks = 0;
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const now = process.hrtime.bigint();
          all += text;
          pending += text;
          const end = pending.lastIndexOf('\n\n');
          if (end < 0) return;
          const complete = pending.slice(0, end + 2);
          pending = pending.slice(end + 2);
          let inThisRead = 0;
          for (const content of contentDeltas(complete)) {
            inThisRead++;
            chunks++;
            const sent = readSendStamp(content);
            if (sent !== undefined) delays.push(Number(now - sent) / 1000);
            if (lastArrival === undefined) {
              ttftUs = Number(now - start) / 1000;
              if (sent !== undefined) firstDelayUs = Number(now - sent) / 1000;
            } else gaps.push(Number(now - lastArrival) / 1000);
            lastArrival = now;
          }
          if (inThisRead > 1) coalesced += inThisRead - 1;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${all.slice(0, 300)}`));
          if (chunks !== expected) return reject(new Error(`got ${chunks}/${expected} content chunks; tail: ${JSON.stringify(all.slice(-300))}`));
          if (!all.includes('data: [DONE]')) return reject(new Error(`no [DONE]; tail: ${JSON.stringify(all.slice(-300))}`));
          resolve({ ttfbUs, ttftUs, firstDelayUs, delays, gaps, coalesced, chunks });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('stream timed out after 30 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function probeSse(options: SseProbeOptions): Promise<SseProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const url = new URL(options.url);
  const payload = Buffer.from(JSON.stringify(options.body));
  const deadline = Date.now() + options.maxSeconds * 1000;
  const samples: StreamSample[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const client = async () => {
    for (let i = 0; i < options.streams && Date.now() < deadline; i++) {
      try {
        samples.push(await oneStream(agent, url, payload, options.headers ?? {}, options.expectedChunks));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.clients }, client));
  } finally {
    agent.destroy();
  }
  const delays = samples.flatMap((s) => s.delays);
  const lateAfterUs = (options.lateAfterMs ?? Number.POSITIVE_INFINITY) * 1000;
  return {
    streamsOk: samples.length,
    streamsFailed: failed,
    firstError,
    ttfbUs: spread(samples.map((s) => s.ttfbUs)),
    ttftUs: spread(samples.map((s) => s.ttftUs)),
    chunkDelayUs: spread(delays),
    firstChunkDelayUs: spread(samples.map((s) => s.firstDelayUs).filter((us) => !Number.isNaN(us))),
    gapUs: spread(samples.flatMap((s) => s.gaps)),
    coalesced: samples.reduce((n, s) => n + s.coalesced, 0),
    lateChunks: delays.filter((us) => us > lateAfterUs).length,
    chunksSeen: samples.reduce((n, s) => n + s.chunks, 0),
  };
}
