/**
 * OTLP/HTTP JSON export: ended spans wait in a bounded queue and are POSTed in batches
 * (`{resourceSpans:[...]}` to tracing.endpoint) every FLUSH_INTERVAL_MS, or as soon as a batch is
 * full. The request path only pushes onto an array; serialisation and I/O happen on the timer.
 * A full queue drops the newest spans (counted, warned about at most once a minute): tracing must
 * never slow or break serving. One export in flight at a time.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../../log.js';
import type { Attribute, OtlpSpan } from './span.js';

export const FLUSH_INTERVAL_MS = 1_000;
export const MAX_BATCH = 512;
export const MAX_QUEUE = 4_096;
const EXPORT_TIMEOUT_MS = 5_000;
const WARN_EVERY_MS = 60_000;

export interface ExporterOptions {
  endpoint: string;
  headers: Record<string, string>;
  resource: Attribute[];
  logger: Logger;
  flushIntervalMs?: number;
}

export class OtlpHttpExporter {
  private queue: OtlpSpan[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private dropped = 0;
  private lastWarnAt = -Infinity;
  private readonly url: URL;
  /** The constant head of every payload, serialised once. */
  private readonly head: string;

  constructor(private readonly options: ExporterOptions) {
    this.url = new URL(options.endpoint);
    this.head = `{"resourceSpans":[{"resource":${JSON.stringify({ attributes: options.resource })},"scopeSpans":[{"scope":{"name":"gatewayd"},"spans":`;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  push(span: OtlpSpan): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped++;
      return;
    }
    this.queue.push(span);
    if (this.queue.length === MAX_BATCH) setImmediate(() => void this.flush());
  }

  /** Exports everything queued (batch by batch); resolves when done or failed. */
  async flush(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    if (this.queue.length === 0) return;
    this.inFlight = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.post(batch);
      }
    })().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** Stops the timer and exports what is left, waiting at most `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private post(batch: OtlpSpan[]): Promise<void> {
    const body = `${this.head}${JSON.stringify(batch)}}]}]}`;
    const url = this.url;
    const options: RequestOptions = {
      method: 'POST',
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: url.pathname + url.search,
      headers: { ...this.options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: EXPORT_TIMEOUT_MS,
      ...(url.username ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(options, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) this.failed(batch.length, `HTTP ${res.statusCode}`);
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${EXPORT_TIMEOUT_MS} ms`)));
      req.on('error', (err) => {
        this.failed(batch.length, err.message);
        resolve();
      });
      req.end(body);
    });
  }

  private failed(spans: number, reason: string): void {
    this.dropped += spans;
    const now = performance.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    // The endpoint without credentials or query: it may carry a token.
    this.options.logger.warn({ collector: `${this.url.origin}${this.url.pathname}`, reason, droppedSpans: this.dropped }, 'trace export failed; spans dropped');
  }
}
