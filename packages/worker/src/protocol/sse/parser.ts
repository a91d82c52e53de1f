/**
 * Incremental Server-Sent Events parser over raw bytes (WHATWG "event stream interpretation").
 *
 * Feed it network chunks as they come; chunks may split anywhere, even inside a multi-byte UTF-8
 * character or between the CR and LF of a CRLF. Line terminators are LF, CRLF or a lone CR. Only the
 * bytes of the current unfinished line are kept (as a list of slices, concatenated once when the line
 * ends), so a long line arriving in many pieces costs linear time; splitting on byte values 0x0A /
 * 0x0D is safe because they never occur inside a UTF-8 multi-byte sequence.
 */

export interface SseEvent {
  /** The `event:` field; undefined means the default type ("message"). */
  event: string | undefined;
  /** `data:` lines joined with "\n". */
  data: string;
  /** Last `id:` seen (persists across events, as the spec says). */
  id: string | undefined;
}

export interface SseParserOptions {
  /** Longest line accepted before push() throws, bounding memory. Default 16 MiB. */
  maxLineBytes?: number;
  /**
   * Most data one event may gather (its `data:` lines, counted in UTF-16 code units) before push()
   * throws: many short lines without the blank line that ends an event would otherwise pile up.
   * Default 16 Mi, as the pass-through scanners' event limit.
   */
  maxEventChars?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024;

export class SseLineTooLongError extends Error {
  constructor(limit: number) {
    super(`SSE line longer than ${limit} bytes`);
    this.name = 'SseLineTooLongError';
  }
}

export class SseEventTooLargeError extends Error {
  constructor(limit: number) {
    super(`SSE event with more than ${limit} characters of data`);
    this.name = 'SseEventTooLargeError';
  }
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly maxLineBytes: number;
  private readonly maxEventChars: number;
  /** Slices of the current, not yet terminated line. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The previous chunk ended with CR: a leading LF in the next chunk belongs to it. */
  private skipLeadingLf = false;
  private firstLine = true;
  private eventName: string | undefined;
  private dataLines: string[] = [];
  /** Characters in dataLines, with the newlines that will join them. */
  private dataChars = 0;
  private lastId: string | undefined;

  constructor(options: SseParserOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxEventChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  }

  /** Consumes one chunk; returns the events it completed (possibly none). */
  push(chunk: Uint8Array): SseEvent[] {
    const events: SseEvent[] = [];
    let lineStart = 0;
    let i = 0;
    if (this.skipLeadingLf) {
      this.skipLeadingLf = false;
      if (chunk.length > 0 && chunk[0] === LF) lineStart = i = 1;
    }
    const length = chunk.length;
    while (i < length) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) {
        i++;
        continue;
      }
      this.finishLine(chunk.subarray(lineStart, i), events);
      if (byte === CR) {
        if (i + 1 < length) {
          if (chunk[i + 1] === LF) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      lineStart = ++i;
    }
    if (lineStart < length) this.keep(chunk.subarray(lineStart));
    return events;
  }

  /**
   * End of stream. The spec discards an event not followed by a blank line; upstreams that omit the
   * final blank line are common enough that the pending line and event are delivered instead.
   */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pendingBytes > 0) this.finishLine(new Uint8Array(0), events);
    this.pending = [];
    this.pendingBytes = 0;
    this.dispatch(events);
    return events;
  }

  private keep(slice: Uint8Array): void {
    this.pendingBytes += slice.length;
    if (this.pendingBytes > this.maxLineBytes) throw new SseLineTooLongError(this.maxLineBytes);
    // Copied: the caller may reuse or detach the chunk's memory after push() returns.
    this.pending.push(new Uint8Array(slice));
  }

  private finishLine(tail: Uint8Array, events: SseEvent[]): void {
    let bytes = tail;
    if (this.pending.length > 0) {
      if (this.pendingBytes + tail.length > this.maxLineBytes) throw new SseLineTooLongError(this.maxLineBytes);
      bytes = concatBytes(this.pending, this.pendingBytes, tail);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let line = bytes.length === 0 ? '' : this.decoder.decode(bytes);
    if (this.firstLine) {
      this.firstLine = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    this.processLine(line, events);
  }

  private processLine(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 0x3a /* ':' comment */) return;
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.dataChars += value.length + (this.dataLines.length > 0 ? 1 : 0);
        if (this.dataChars > this.maxEventChars) throw new SseEventTooLargeError(this.maxEventChars);
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields are ignored: the gateway never reconnects an upstream stream.
        break;
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.dataLines.length > 0) {
      const data = this.dataLines.length === 1 ? (this.dataLines[0] as string) : this.dataLines.join('\n');
      events.push({ event: this.eventName, data, id: this.lastId });
    }
    this.dataLines = [];
    this.dataChars = 0;
    this.eventName = undefined;
  }
}

function concatBytes(pieces: Uint8Array[], piecesLength: number, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(piecesLength + tail.length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  out.set(tail, offset);
  return out;
}
