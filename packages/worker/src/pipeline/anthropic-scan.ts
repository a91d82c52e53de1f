/**
 * Watches a forwarded Anthropic SSE stream without changing or decoding it: finds event
 * boundaries with native byte searches, and parses only the two events that carry usage
 * (message_start, message_delta). Also notes message_stop (the stream completed) and an `error`
 * event (the upstream reported its failure itself).
 */
import type { TokenUsage } from './types.js';
import { anthropicUsageOf } from './usage-scan.js';

const BLANK_LF = Buffer.from('\n\n');
const BLANK_CRLF = Buffer.from('\n\r\n');
const USAGE = Buffer.from('"usage"');
const MESSAGE_STOP = Buffer.from('message_stop');
const ERROR_EVENT = Buffer.from('event: error');
/** An error event written by a compatible server without its `event:` line. */
const ERROR_TYPE = Buffer.from('"type":"error"');
const DATA = Buffer.from('data:');
/** Event names sit at the start of an event; a marker further in is content, not a type. */
const HEAD_BYTES = 48;
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

export class AnthropicSseScanner {
  complete = false;
  failed = false;
  private usageSoFar: Record<string, unknown> | undefined;
  /** Copies of the bytes of the current unfinished event. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  usage(): TokenUsage | undefined {
    return anthropicUsageOf(this.usageSoFar);
  }

  /** One read; returns the offset in it just past its last complete event (0: none completed). */
  push(chunk: Buffer): number {
    let start = 0;
    // A blank line split between reads (\n|\n, \r\n\r|\n, ...): look at the junction.
    if (this.pendingBytes > 0) {
      const tail = this.pendingTail(BLANK_CRLF.length);
      const joint = Buffer.concat([tail, chunk.subarray(0, BLANK_CRLF.length)]);
      const end = boundary(joint, 0);
      if (end > tail.length) {
        start = end - tail.length;
        this.inspect(this.takePending(chunk.subarray(0, start)));
      }
    }
    // The next LF and CRLF blank lines are kept across events and only the one consumed (now
    // behind `start`) is searched again: searching both from every event start made the one that
    // does not occur scan to the end of the read per event, quadratic in the size of one read.
    let lf = chunk.indexOf(BLANK_LF, start);
    let crlf = chunk.indexOf(BLANK_CRLF, start);
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(BLANK_LF, start);
      if (crlf !== -1 && crlf < start) crlf = chunk.indexOf(BLANK_CRLF, start);
      const end = earlierBoundary(lf, crlf);
      if (end === -1) break;
      this.inspect(this.takePending(chunk.subarray(start, end)));
      start = end;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    return start;
  }

  /** Upstream EOF: an event without a final blank line still counts. */
  end(): void {
    if (this.pendingBytes > 0) this.inspect(this.takePending(Buffer.alloc(0)));
  }

  /** The last `n` bytes held (fewer if less is held), across the held pieces. */
  private pendingTail(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    for (let i = this.pending.length - 1; i >= 0 && need > 0; i--) {
      const piece = this.pending[i] as Buffer;
      const take = Math.min(need, piece.length);
      parts.unshift(piece.subarray(piece.length - take));
      need -= take;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  private takePending(tail: Buffer): Buffer {
    if (this.pendingBytes === 0) return tail;
    const event = Buffer.concat([...this.pending, tail], this.pendingBytes + tail.length);
    this.pending = [];
    this.pendingBytes = 0;
    return event;
  }

  private hold(slice: Buffer): void {
    this.pendingBytes += slice.length;
    if (this.pendingBytes > MAX_EVENT_BYTES) throw new Error(`SSE event longer than ${MAX_EVENT_BYTES} bytes`);
    // Copied: undici reuses nothing, but the slice must outlive this read either way.
    this.pending.push(Buffer.from(slice));
  }

  private inspect(event: Buffer): void {
    const stopAt = event.indexOf(MESSAGE_STOP);
    if (stopAt !== -1 && stopAt < HEAD_BYTES) this.complete = true;
    const eventAt = event.indexOf(ERROR_EVENT);
    const errorAt = eventAt !== -1 ? eventAt : event.indexOf(ERROR_TYPE);
    if (errorAt !== -1 && errorAt < HEAD_BYTES) this.failed = true;
    if (event.indexOf(USAGE) === -1) return;
    const dataAt = event.indexOf(DATA);
    if (dataAt === -1) return;
    let payload: unknown;
    try {
      payload = JSON.parse(event.toString('utf8', dataAt + DATA.length));
    } catch {
      return;
    }
    if (typeof payload !== 'object' || payload === null) return;
    const record = payload as { type?: unknown; usage?: unknown; message?: { usage?: unknown } };
    const usage = record.type === 'message_start' ? record.message?.usage : record.usage;
    if (typeof usage !== 'object' || usage === null) return;
    // message_delta counts are cumulative; fields it leaves null keep message_start's value.
    const merged = this.usageSoFar ?? {};
    for (const [key, value] of Object.entries(usage)) if (typeof value === 'number' || (key === 'cache_creation' && typeof value === 'object' && value !== null)) merged[key] = value;
    this.usageSoFar = merged;
  }
}

/** Index just past the blank line ending an event at or after `from`, or -1. */
function boundary(chunk: Buffer, from: number): number {
  return earlierBoundary(chunk.indexOf(BLANK_LF, from), chunk.indexOf(BLANK_CRLF, from));
}

/** Index just past whichever blank line comes first (positions of \n\n and \n\r\n, -1: none), or -1. */
function earlierBoundary(lf: number, crlf: number): number {
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + BLANK_CRLF.length;
  return lf === -1 ? -1 : lf + BLANK_LF.length;
}
