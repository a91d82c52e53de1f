/**
 * The request line and headers of an upstream call, serialised once: `POST <path> HTTP/1.1`, the
 * caller's headers (values checked: CR, LF or NUL would let a value inject headers), then the
 * framing headers the client owns.
 */
import { UpstreamClientError } from './errors.js';

/**
 * Framing and codings are the client's: these are never copied from the request's headers. It
 * reads bodies as sent (identity): without an Accept-Encoding a server may pick any coding.
 */
const CLIENT_OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'accept-encoding']);
const UNSAFE_VALUE = /[\r\n\0]/;
/** An HTTP header name (RFC 9110 token). */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `hostHeader` is the origin's host[:port]; a `host` entry in `headers` replaces it (an operator
 * may address a virtual host behind a fixed IP).
 */
export function requestHead(method: string, path: string, hostHeader: string, headers: readonly string[], bodyBytes: number): string {
  let host = hostHeader;
  let lines = '';
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!TOKEN.test(name)) throw new UpstreamClientError('UPSTREAM_BAD_HEADER', `invalid upstream request header name ${JSON.stringify(name.slice(0, 40))}`);
    if (UNSAFE_VALUE.test(value)) throw new UpstreamClientError('UPSTREAM_BAD_HEADER', `the value of upstream request header ${name} contains CR, LF or NUL`);
    const lower = name.toLowerCase();
    if (lower === 'host') host = value;
    else if (!CLIENT_OWNED.has(lower)) lines += `${name}: ${value}\r\n`;
  }
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw new UpstreamClientError('UPSTREAM_BAD_HEADER', `invalid upstream request path ${JSON.stringify(path.slice(0, 80))}`);
  return `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n${lines}accept-encoding: identity\r\ncontent-length: ${bodyBytes}\r\n\r\n`;
}
