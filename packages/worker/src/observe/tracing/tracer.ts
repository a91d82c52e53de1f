/**
 * OpenTelemetry tracing without the SDK (config `tracing`, off by default): one SERVER span per
 * API request (child of the caller's W3C `traceparent` when it sent one) and one CLIENT span per
 * upstream attempt, exported over OTLP/HTTP JSON. Sampling: the caller's sampled flag when it sent
 * a traceparent, else `sample_ratio`. Disabled, the request path pays one null check.
 */
import { hostname } from 'node:os';
import type { GatewayConfig } from '@gatewayd/shared';
import type { Logger } from '../../log.js';
import { OtlpHttpExporter } from './exporter.js';
import { int, newSpanId, newTraceId, parseTraceparent, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, STATUS_ERROR, STATUS_OK, str, unixNanos, type Attribute, type OtlpSpan } from './span.js';

export class SpanBuilder {
  readonly span: OtlpSpan;
  private exported = false;

  constructor(traceId: string, parentSpanId: string | null, name: string, kind: number, startedAt: number) {
    this.span = { traceId, spanId: newSpanId(), name, kind, startTimeUnixNano: unixNanos(startedAt), endTimeUnixNano: '', attributes: [], status: { code: 0 } };
    if (parentSpanId !== null) this.span.parentSpanId = parentSpanId;
  }

  /** Fixes the end time (the work is over) while attributes may still follow; end() exports. */
  stop(at: number): void {
    if (this.span.endTimeUnixNano === '') this.span.endTimeUnixNano = unixNanos(at);
  }

  add(attribute: Attribute): void {
    this.span.attributes.push(attribute);
  }

  fail(message: string): void {
    this.span.status = { code: STATUS_ERROR, message };
  }

  end(at: number, exporter: OtlpHttpExporter): void {
    if (this.exported) return;
    this.exported = true;
    this.stop(at);
    if (this.span.status.code === 0) this.span.status = { code: STATUS_OK };
    exporter.push(this.span);
  }
}

export class Tracer {
  private readonly exporter: OtlpHttpExporter;
  private readonly ratio: number;

  constructor(config: GatewayConfig['tracing'], workerId: number, logger: Logger, flushIntervalMs?: number) {
    this.ratio = config.sample_ratio;
    const resource = [str('service.name', config.service_name), str('service.instance.id', `${hostname()}/${process.pid}`), str('host.name', hostname()), int('process.pid', process.pid), int('gatewayd.worker', workerId)];
    this.exporter = new OtlpHttpExporter({ endpoint: config.endpoint, headers: config.headers, resource, logger, ...(flushIntervalMs ? { flushIntervalMs } : {}) });
    this.exporter.start();
  }

  /** The request's SERVER span, or null when not sampled. */
  startRequest(name: string, traceparent: string, startedAt: number): SpanBuilder | null {
    const parent = traceparent === '' ? null : parseTraceparent(traceparent);
    if (parent !== null ? !parent.sampled : !(this.ratio >= 1 || Math.random() < this.ratio)) return null;
    return new SpanBuilder(parent?.traceId ?? newTraceId(), parent?.parentId ?? null, name, SPAN_KIND_SERVER, startedAt);
  }

  startAttempt(request: SpanBuilder, name: string, startedAt: number): SpanBuilder {
    return new SpanBuilder(request.span.traceId, request.span.spanId, name, SPAN_KIND_CLIENT, startedAt);
  }

  end(span: SpanBuilder, at: number): void {
    span.end(at, this.exporter);
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.exporter.shutdown(timeoutMs);
  }
}
