/**
 * Spans in the OTLP/JSON shape (opentelemetry-proto, JSON encoding): hex trace and span ids,
 * unix-nanosecond times as decimal strings, typed attribute values. A span is built in place while
 * the request runs and handed to the exporter once ended; nothing here allocates per attribute
 * beyond the attribute object itself.
 */
import { randomBytes } from 'node:crypto';

export type AttributeValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
export interface Attribute {
  key: string;
  value: AttributeValue;
}

/** SpanKind of the OTLP proto. */
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
/** Status codes of the OTLP proto. */
export const STATUS_OK = 1;
export const STATUS_ERROR = 2;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attribute[];
  status: { code: number; message?: string };
}

/** 16 random bytes as 32 hex characters (never all zero in practice; the spec forbids it). */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * performance.now() milliseconds as unix nanoseconds, exactly: a double holds unix ms with µs
 * precision, but not unix ns (> 2^53), so the digits are assembled as text.
 */
export function unixNanos(perfNowMs: number): string {
  const ms = performance.timeOrigin + perfNowMs;
  const whole = Math.floor(ms);
  const nanos = Math.min(999_999, Math.round((ms - whole) * 1e6));
  return `${whole}${String(nanos).padStart(6, '0')}`;
}

export function str(key: string, value: string): Attribute {
  return { key, value: { stringValue: value } };
}

export function int(key: string, value: number): Attribute {
  return { key, value: { intValue: String(Math.round(value)) } };
}

export function bool(key: string, value: boolean): Attribute {
  return { key, value: { boolValue: value } };
}

/** W3C traceparent `00-<trace id>-<parent id>-<flags>`; null when absent or malformed. */
export function parseTraceparent(header: string): { traceId: string; parentId: string; sampled: boolean } | null {
  if (header.length !== 55) return null;
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header);
  if (match === null || match[1] === 'ff') return null;
  const traceId = match[2] as string;
  const parentId = match[3] as string;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { traceId, parentId, sampled: (Number.parseInt(match[4] as string, 16) & 1) === 1 };
}
