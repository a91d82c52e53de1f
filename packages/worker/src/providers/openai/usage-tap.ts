/**
 * Pass-through tap for OpenAI SSE streams (caller and upstream both speak OpenAI).
 *
 * The upstream's bytes are forwarded as they are: never decoded and re-encoded. The tap only finds
 * event boundaries (a blank line) in the byte stream, and inspects each event with native byte
 * searches: an event is JSON-parsed only when it contains `"usage"` followed by `{` (not `null`),
 * which is the one chunk carrying token counts. With `stripUsageChunk` (the caller did not ask for
 * include_usage, the gateway did), that usage-only chunk is cut out of the byte stream; to do so,
 * a partial event at the end of a network read is held back until its end arrives. Without
 * stripping, every read is forwarded at once, untouched.
 */
import type { ChatCompletionChunk, OpenaiUsage } from '@gatewayd/shared';
import { isPlainObject } from '../../protocol/content.js';
import { asBuffer } from '../../protocol/bytes.js';

const LF = 0x0a;
const CR = 0x0d;
const USAGE_KEY = Buffer.from('"usage"');
const DONE_MARK = Buffer.from('[DONE]');
const ERROR_KEY = Buffer.from('{"error"');
const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

export interface OpenaiSseTapOptions {
  /** Remove the usage-only chunk (`choices: []` + usage) from the forwarded bytes. */
  stripUsageChunk: boolean;
  /** Longest event held in memory before push() throws. Default 16 MiB. */
  maxEventBytes?: number;
}

/** The chunk OpenAI sends last with include_usage: no choices, only usage. */
export function isUsageOnlyChunk(chunk: Pick<ChatCompletionChunk, 'choices' | 'usage'>): boolean {
  return Array.isArray(chunk.choices) && chunk.choices.length === 0 && isPlainObject(chunk.usage);
}

/** Usage carried by one SSE data payload; parses JSON only when a usage object is present. */
export function extractUsage(data: string): OpenaiUsage | undefined {
  const at = data.indexOf('"usage"');
  if (at === -1 || !usageObjectFollows(Buffer.from(data.slice(at + 7, at + 40)), 0)) return undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    return isPlainObject(parsed) && isPlainObject(parsed.usage) ? (parsed.usage as unknown as OpenaiUsage) : undefined;
  } catch {
    return undefined;
  }
}

export class OpenaiSseTap {
  /** Last usage seen (cumulative on every server known). */
  usage: OpenaiUsage | undefined;
  /** `data: [DONE]` went by: the upstream finished the stream properly. */
  sawDone = false;
  /** An `{"error":...}` payload went by: the upstream reported a failure mid-stream. */
  sawError = false;
  /** Events other than [DONE] and usage: about one generated token each (the first is the role's). */
  chunkEvents = 0;

  private readonly strip: boolean;
  private readonly maxEventBytes: number;
  /** Copies of the bytes of the current, unfinished event. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lineLength = 0;
  private crPending = false;
  /** The last complete event was stripped (its CRLF's LF may arrive in the next read). */
  private lastDropped = false;

  constructor(options: OpenaiSseTapOptions) {
    this.strip = options.stripUsageChunk;
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /** Takes one upstream read; returns the byte slices to send to the client, in order. */
  push(input: Uint8Array): Uint8Array[] {
    const chunk = asBuffer(input);
    const out: Uint8Array[] = [];
    let eventStart = 0;
    let keptStart = 0; // start of the run of kept bytes not yet emitted (strip mode)
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.crPending) {
        this.crPending = false;
        if (byte === LF) {
          // Second half of a CRLF whose CR ended an event at the end of the previous read.
          if (i === eventStart && this.pending.length === 0) {
            eventStart = i + 1;
            if (this.strip && this.lastDropped) keptStart = i + 1;
          }
          continue;
        }
      }
      if (byte !== LF && byte !== CR) {
        this.lineLength++;
        continue;
      }
      if (byte === CR) this.crPending = true;
      if (this.lineLength > 0) {
        this.lineLength = 0;
        continue;
      }
      // A blank line: the event ends here (its CRLF included when both bytes are in this read).
      let end = i + 1;
      if (byte === CR && i + 1 < chunk.length && chunk[i + 1] === LF) {
        end = i + 2;
        this.crPending = false;
        i++;
      }
      const tail = chunk.subarray(eventStart, end);
      const parts = this.pending.length > 0 ? [...this.pending, tail] : undefined;
      const drop = this.inspectEvent(parts ? Buffer.concat(parts) : tail);
      this.lastDropped = drop;
      if (this.strip) {
        if (parts) {
          // The event began in an earlier read (always the first event of this one).
          if (!drop) out.push(...parts);
          keptStart = end;
        } else if (drop) {
          if (keptStart < eventStart) out.push(chunk.subarray(keptStart, eventStart));
          keptStart = end;
        }
      }
      this.pending = [];
      this.pendingBytes = 0;
      eventStart = end;
    }
    if (eventStart < chunk.length) this.hold(chunk.subarray(eventStart));
    if (!this.strip) return [input];
    if (keptStart < eventStart) out.push(chunk.subarray(keptStart, eventStart));
    return out;
  }

  /** Upstream EOF: flushes a trailing event that had no blank line after it. */
  end(): Uint8Array[] {
    if (this.pendingBytes === 0) return [];
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const drop = this.inspectEvent(rest);
    return this.strip && !drop ? [rest] : [];
  }

  private hold(slice: Buffer): void {
    this.pendingBytes += slice.length;
    if (this.pendingBytes > this.maxEventBytes) throw new Error(`SSE event longer than ${this.maxEventBytes} bytes`);
    // Copied: the caller may reuse the read buffer after push() returns.
    this.pending.push(Buffer.from(slice));
  }

  private inspectEvent(event: Buffer): boolean {
    if (event.length <= 32 && event.indexOf(DONE_MARK) !== -1) {
      this.sawDone = true;
      return false;
    }
    const errorAt = event.indexOf(ERROR_KEY);
    if (errorAt !== -1 && errorAt < 16) this.sawError = true;
    const usageAt = event.indexOf(USAGE_KEY);
    if (usageAt === -1 || !usageObjectFollows(event, usageAt + USAGE_KEY.length)) {
      this.chunkEvents++;
      return false;
    }
    const parsed = parseEventData(event);
    if (!parsed || !isPlainObject(parsed.usage)) return false;
    this.usage = parsed.usage as unknown as OpenaiUsage;
    return this.strip && isUsageOnlyChunk(parsed as unknown as ChatCompletionChunk);
  }
}

/** After `"usage"`: optional whitespace, a colon, optional whitespace, then `{`. */
function usageObjectFollows(bytes: Buffer, from: number): boolean {
  let i = from;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x3a) return false;
  i++;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === LF || bytes[i] === CR)) i++;
  return bytes[i] === 0x7b;
}

function parseEventData(event: Buffer): Record<string, unknown> | undefined {
  const lines = event.toString('utf8').split(/\r\n|\r|\n/);
  const data: string[] = [];
  for (const line of lines) {
    if (line.startsWith('data:')) data.push(line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5));
  }
  try {
    const value: unknown = JSON.parse(data.join('\n'));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
