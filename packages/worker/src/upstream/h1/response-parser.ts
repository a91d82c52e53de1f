/**
 * Incremental HTTP/1.1 response parser for one keep-alive connection, as a state machine fed the
 * socket's reads as they come. Body bytes are handed on as subarrays of those reads (no copy, no
 * re-splitting); only a head split across reads is joined. Framing per RFC 9112 section 6: no body
 * for 1xx / 204 / 304, chunked when it is the last transfer coding, else content-length, else the
 * body runs to the end of the connection. 1xx interim answers (100, 103) are skipped.
 */
import type { UpstreamHeaders } from '../types.js';
import { UpstreamClientError } from './errors.js';
import { TOKEN } from './request-head.js';

/** nginx's and Node's own limit is in this range; a longer head is not an LLM API talking. */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export interface ResponseEvents {
  onHead(status: number, headers: UpstreamHeaders): void;
  onBody(chunk: Buffer): void;
  /** The response is complete (called inside execute(); act on it once execute() returns). */
  onComplete(): void;
}

/**
 * A head whose lines end in a bare LF never shows the CRLFCRLF that ends it: refused as soon as
 * its status line is seen to end that way, rather than waited on until the headers timeout.
 */
function checkStatusLineEnd(data: Buffer, at: number): void {
  const lf = data.indexOf(0x0a, at);
  if (lf !== -1 && (lf === at || data[lf - 1] !== 0x0d)) throw malformed('response lines end in a bare LF, not CRLF');
}

const enum Phase {
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

export class ResponseParser {
  private phase = Phase.Head;
  /** Head bytes of earlier reads (a head split across reads). */
  private pendingHead: Buffer | null = null;
  private pendingLength = 0;
  /** Bytes left in the current content-length body or chunk. */
  private remaining = 0;
  /** A chunk-size or trailer line split across reads. */
  private pendingLine = '';
  /** Where the line takeLine() returned ends in the read. */
  private lineEnd = 0;
  private keepAlive = true;

  constructor(private readonly events: ResponseEvents) {}

  /** The response is complete and the connection may carry another request. */
  get reusable(): boolean {
    return this.phase === Phase.Done && this.keepAlive;
  }

  /** Whether the end of the connection completes the response (body delimited by close). */
  get endsAtClose(): boolean {
    return this.phase === Phase.UntilClose;
  }

  /** Feeds one read; throws UpstreamClientError on a malformed response. */
  execute(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      switch (this.phase) {
        case Phase.Head:
          at = this.readHead(data, at);
          break;
        case Phase.Fixed:
          at = this.passBody(data, at);
          if (this.remaining === 0) this.finish();
          break;
        case Phase.ChunkSize:
          at = this.readChunkSize(data, at);
          break;
        case Phase.ChunkData:
          at = this.passBody(data, at);
          if (this.remaining === 0) {
            this.phase = Phase.ChunkDataEnd;
            this.remaining = 2;
          }
          break;
        case Phase.ChunkDataEnd:
          // The CRLF after a chunk's data, possibly split across reads.
          if (data[at] !== (this.remaining === 2 ? 0x0d : 0x0a)) throw malformed('no CRLF after a chunk');
          at++;
          if (--this.remaining === 0) this.phase = Phase.ChunkSize;
          break;
        case Phase.Trailers:
          at = this.readTrailerLine(data, at);
          break;
        case Phase.UntilClose:
          this.events.onBody(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case Phase.Done:
          // Without pipelining nothing may follow a response: the connection is not reused.
          this.keepAlive = false;
          at = data.length;
          break;
      }
    }
  }

  /** Hands on up to `remaining` body bytes from `at` (the read itself when it is all body). */
  private passBody(data: Buffer, at: number): number {
    const end = Math.min(data.length, at + this.remaining);
    this.remaining -= end - at;
    this.events.onBody(at === 0 && end === data.length ? data : data.subarray(at, end));
    return end;
  }

  private readHead(data: Buffer, at: number): number {
    if (this.pendingHead === null) {
      // RFC 9112 2.2: empty lines before the status line are ignored.
      while (at < data.length && (data[at] === 0x0d || data[at] === 0x0a)) at++;
      if (at === data.length) return at;
      const end = data.indexOf(CRLF_CRLF, at);
      if (end === -1) {
        if (data.length - at > MAX_HEAD_BYTES) throw malformed('response head too large');
        checkStatusLineEnd(data, at);
        this.appendPendingHead(data, at);
        return data.length;
      }
      if (end - at > MAX_HEAD_BYTES) throw malformed('response head too large');
      this.parseHead(data.toString('latin1', at, end));
      return end + 4;
    }
    // A head split over reads: searched from just before the new bytes (the earlier ones had no CRLFCRLF).
    const before = this.pendingLength;
    this.appendPendingHead(data, at);
    const joined = this.pendingHead.subarray(0, this.pendingLength);
    const end = joined.indexOf(CRLF_CRLF, Math.max(0, before - 3));
    if (end === -1) {
      if (this.pendingLength > MAX_HEAD_BYTES) throw malformed('response head too large');
      checkStatusLineEnd(joined, 0);
      return data.length;
    }
    if (end > MAX_HEAD_BYTES) throw malformed('response head too large');
    this.pendingHead = null;
    this.pendingLength = 0;
    this.parseHead(joined.toString('latin1', 0, end));
    // Position in `data` just after the blank line.
    return at + (end + 4 - before);
  }

  /**
   * Keeps a partial head: copied into a buffer that doubles as it fills, so a head that arrives a
   * few bytes per read costs linear time, not a re-join of everything per read.
   */
  private appendPendingHead(data: Buffer, at: number): void {
    const needed = this.pendingLength + data.length - at;
    if (this.pendingHead === null || needed > this.pendingHead.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * (this.pendingHead?.length ?? 512), 2 * MAX_HEAD_BYTES)));
      if (this.pendingHead !== null) this.pendingHead.copy(grown, 0, 0, this.pendingLength);
      this.pendingHead = grown;
    }
    data.copy(this.pendingHead, this.pendingLength, at);
    this.pendingLength = needed;
  }

  private parseHead(head: string): void {
    const firstEnd = head.indexOf('\r\n');
    const statusLine = firstEnd === -1 ? head : head.slice(0, firstEnd);
    // HTTP/1.x SP 3DIGIT SP reason
    if (!statusLine.startsWith('HTTP/1.') || statusLine.length < 12 || statusLine.charCodeAt(8) !== 0x20 || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20)) throw malformed(`bad status line ${JSON.stringify(statusLine.slice(0, 40))}`);
    const status = Number(statusLine.slice(9, 12));
    if (!/^\d{3}$/.test(statusLine.slice(9, 12)) || status < 100) throw malformed(`bad status line ${JSON.stringify(statusLine.slice(0, 40))}`);
    const http10 = statusLine.charCodeAt(7) === 0x30;
    // No prototype: a `__proto__` header is just a header.
    const headers: UpstreamHeaders = Object.create(null) as UpstreamHeaders;
    let at = firstEnd === -1 ? head.length : firstEnd + 2;
    while (at < head.length) {
      let end = head.indexOf('\r\n', at);
      if (end === -1) end = head.length;
      const colon = head.indexOf(':', at);
      if (colon <= at || colon > end) throw malformed('bad header line');
      const name = lowerName(head.slice(at, colon));
      // "name: value" is the common shape: trim only when there is more space than that.
      let value = head.slice(head.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1, end);
      if (value.length > 0 && (isSpace(value.charCodeAt(0)) || isSpace(value.charCodeAt(value.length - 1)))) value = value.trim();
      // Values reach the caller's response headers: a bare CR or LF, NUL or another control byte
      // would inject headers there (or make node:http throw).
      if (CONTROL.test(value)) throw malformed(`control character in the value of header ${name}`);
      at = end + 2;
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
    }
    if (status < 200) {
      if (status === 101) throw malformed('the upstream switched protocols');
      return; // interim answer: the real head follows
    }
    const connection = lower(headers['connection']);
    this.keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    // Requests ask for identity: a compressed body would reach the caller undecoded and mislabelled.
    const contentCoding = lower(headers['content-encoding']).trim();
    if (contentCoding !== '' && contentCoding !== 'identity' && status !== 204 && status !== 304) throw malformed(`unsupported content-encoding "${contentCoding.slice(0, 40)}"`);
    this.events.onHead(status, headers);
    if (status === 204 || status === 304) return this.finish();
    const coding = lower(headers['transfer-encoding']);
    // Only chunked is decoded here (no TE is sent, so a server has no reason to use another): a
    // body in gzip or any other coding would reach the caller undecoded, so it is refused instead.
    const codings = coding.split(',').map((name) => name.trim()).filter((name) => name !== '' && name !== 'identity');
    if (codings.length > 0) {
      if (codings.length > 1 || codings[0] !== 'chunked') throw malformed(`unsupported transfer-encoding "${coding}"`);
      // RFC 9112 6.1 / 6.3: a message with both framings, or chunked from HTTP/1.0, closes after it.
      if (http10 || headers['content-length'] !== undefined) this.keepAlive = false;
      this.phase = Phase.ChunkSize;
      return;
    }
    const length = headers['content-length'];
    if (length === undefined) return this.untilClose();
    const value = Array.isArray(length) ? length[0]! : length;
    if (!/^\d{1,15}$/.test(value) || (Array.isArray(length) && length.some((other) => other !== value))) throw malformed('bad content-length');
    this.remaining = Number(value);
    if (this.remaining === 0) this.finish();
    else this.phase = Phase.Fixed;
  }

  private readChunkSize(data: Buffer, at: number): number {
    const line = this.takeLine(data, at, MAX_CHUNK_LINE_BYTES, 'chunk size line');
    if (line === null) return data.length;
    // size [; extensions] CR
    const digits = /^([0-9a-fA-F]{1,12})[ \t]*(?:;[^\r]*)?\r$/.exec(line);
    if (digits === null) throw malformed('bad chunk size');
    this.remaining = parseInt(digits[1]!, 16);
    this.phase = this.remaining === 0 ? Phase.Trailers : Phase.ChunkData;
    return this.lineEnd;
  }

  private readTrailerLine(data: Buffer, at: number): number {
    const line = this.takeLine(data, at, MAX_HEAD_BYTES, 'trailer line');
    if (line === null) return data.length;
    if (line === '\r' || line === '') this.finish(); // trailers are read and dropped, as undici's onResponseEnd does
    return this.lineEnd;
  }

  /** The line (CR kept) that starts at `at`, joined across reads; null: the read ended first. */
  private takeLine(data: Buffer, at: number, limit: number, what: string): string | null {
    const lf = data.indexOf(0x0a, at);
    const piece = data.toString('latin1', at, lf === -1 ? data.length : lf);
    if (this.pendingLine.length + piece.length > limit) throw malformed(`${what} too long`);
    if (lf === -1) {
      this.pendingLine += piece;
      return null;
    }
    const line = this.pendingLine + piece;
    this.pendingLine = '';
    this.lineEnd = lf + 1;
    return line;
  }

  private untilClose(): void {
    this.keepAlive = false;
    this.phase = Phase.UntilClose;
  }

  private finish(): void {
    this.phase = Phase.Done;
    this.events.onComplete();
  }
}

/** Lower-cased header names, interned: the same few names arrive on every response. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 512;

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** The lower-cased name; throws for a name that is not an HTTP token (`Content-Length :`). */
function lowerName(raw: string): string {
  const known = NAMES.get(raw);
  if (known !== undefined) return known;
  if (!TOKEN.test(raw)) throw malformed(`bad header name ${JSON.stringify(raw.slice(0, 40))}`);
  const name = raw.toLowerCase();
  if (NAMES.size < MAX_NAMES) NAMES.set(raw, name);
  return name;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function lower(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join(',') : value).toLowerCase();
}

function malformed(detail: string): UpstreamClientError {
  return new UpstreamClientError('UPSTREAM_BAD_RESPONSE', `malformed upstream response: ${detail}`);
}
