/**
 * A forwarded (same-protocol) 2xx answer of chat, completions, embeddings, messages or
 * count_tokens must be one JSON object. Checked on its first and last bytes, not parsed: every
 * pass-through answer pays for the check (an embeddings answer can be 100+ MB) and its bytes reach
 * the caller unchanged. That is enough for what a proxy or a wrong base_url sends in its place:
 * nothing (204), an HTML page, an event stream, a body cut short; ndjson (whose lines are objects)
 * is told by its media type. Such an answer fails the attempt as a translated answer that does not
 * parse does (unreadableFailure: failover, then 502).
 */
import { bomLength, isJsonType, mediaType } from './media-type.js';

const OPEN = 0x7b;
const CLOSE = 0x7d;
/** Bytes of the answer quoted in the message. */
const QUOTED = 80;
/** Media types of answers made of several JSON values (an event stream cannot begin with `{`). */
const SEQUENCES: ReadonlySet<string> = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq']);

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function quote(body: Buffer, start: number, end: number): string {
  return JSON.stringify(body.toString('utf8', Math.max(0, start), Math.min(body.length, end)).replace(/\s+/g, ' '));
}

function typeOf(contentType: string | undefined): string {
  return contentType === undefined ? 'no content-type' : contentType.slice(0, 60);
}

/** Throws, saying what the answer is instead, unless `body` looks like one whole JSON object. */
export function requireJsonObject(body: Buffer, status: number, contentType: string | undefined): void {
  // A byte order mark passes through: the JSON parsers of the SDKs' runtimes skip it.
  let start = bomLength(body);
  while (isSpace(body[start])) start++;
  if (start === body.length) throw new Error(`the answer (${status}, ${typeOf(contentType)}) is empty`);
  let end = body.length;
  while (isSpace(body[end - 1])) end--;
  if (body[start] === OPEN && body[end - 1] === CLOSE) {
    if (contentType !== undefined && !isJsonType(contentType) && SEQUENCES.has(mediaType(contentType))) throw new Error(`the answer is a sequence of JSON values (${typeOf(contentType)}), not one JSON object`);
    return;
  }
  if (body[start] !== OPEN) throw new Error(`the answer is not a JSON object (${typeOf(contentType)}): ${quote(body, start, start + QUOTED)}`);
  throw new Error(`the answer is not one whole JSON object (${typeOf(contentType)}, ${body.length} bytes ending ${quote(body, end - QUOTED, end)})`);
}
