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
