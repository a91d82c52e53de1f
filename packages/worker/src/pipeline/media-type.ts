/**
 * Media types of upstream answers. They are case-insensitive and may carry parameters and
 * whitespace (RFC 9110 8.3.1): `Text/Event-Stream ; charset=UTF-8` is an event stream.
 */

/** The `type/subtype` of a content-type value, lower-cased, without parameters ('' when absent). */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

const EVENT_STREAM = 'text/event-stream';
const JSON_TYPE = 'application/json';

// The exact common spelling first: these run on every upstream answer.
export function isEventStreamType(contentType: string | undefined): boolean {
  return contentType === EVENT_STREAM || mediaType(contentType) === EVENT_STREAM;
}

export function isJsonType(contentType: string | undefined): boolean {
  return contentType === JSON_TYPE || mediaType(contentType) === JSON_TYPE;
}

/** Bytes of a UTF-8 byte order mark at the start of `bytes` (3), else 0: JSON and SSE readers skip it. */
export function bomLength(bytes: Buffer): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** Field names an event stream's first line can start with (a comment starts with `:`). */
const EVENT_STREAM_STARTS = ['data:', 'event:', 'id:', 'retry:', ':'].map((start) => Buffer.from(start));

/**
 * Whether the first bytes of an answer are an event stream's, whatever its content-type says
 * (FastAPI's StreamingResponse without a media_type, say). No JSON answer starts like this.
 */
export function startsLikeEventStream(chunk: Buffer): boolean {
  let at = bomLength(chunk);
  while (chunk[at] === 0x0a || chunk[at] === 0x0d) at++;
  return EVENT_STREAM_STARTS.some((start) => chunk.length - at >= start.length && chunk.compare(start, 0, start.length, at, at + start.length) === 0);
}
