/**
 * Optional bearer token of the admin plane (admin.token). Compared in constant time: both sides
 * are hashed first, so neither the length nor a matching prefix of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function digest(value: Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The token sent as `Authorization: Bearer <token>`, or null: all that follows the scheme, less
 * trailing blanks, so a token with spaces inside (which the config allows) can be presented.
 * Node reads header bytes as latin1: Buffer.from(token, 'latin1') gives back what the client sent.
 */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization;
  if (typeof header !== 'string') return null;
  // Blanks are spaces and tabs only: a latin1-read UTF-8 byte 0xA0 (the end of "à") is no blank.
  const match = /^Bearer[ \t]+([^ \t](?:.*[^ \t])?)[ \t]*$/is.exec(header);
  return match ? match[1]! : null;
}

/**
 * True when no token is configured, or the request carries exactly that token: as its UTF-8 bytes
 * (curl, Prometheus) or as latin1 (fetch, Python's http.client send header strings so).
 */
export function isAuthorized(headers: IncomingHttpHeaders, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const presented = bearerToken(headers);
  // Compare even when absent, so a missing header takes the same path as a wrong one; both
  // readings always, so the time does not tell which one matched.
  const sent = Buffer.from(presented ?? '', 'latin1');
  const asUtf8 = timingSafeEqual(digest(sent), digest(Buffer.from(token, 'utf8')));
  const asLatin1 = timingSafeEqual(digest(sent), digest(Buffer.from(token, 'latin1')));
  return (asUtf8 || (asLatin1 && isLatin1(token))) && presented !== null;
}

/** Only a token of characters up to U+00FF has a latin1 form (Buffer's latin1 drops higher bits). */
function isLatin1(token: string): boolean {
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) > 0xff) return false;
  return true;
}

/**
 * Whether a request to a loopback admin plane without a token names a loopback host: a web page
 * that rebinds its own name to 127.0.0.1 reaches the port, but its requests carry its own name.
 * No Host (HTTP/1.0) is allowed: browsers always send one.
 */
export function namesLoopback(headers: IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (host === undefined || host === '') return true;
  const name = (host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '')).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
