/**
 * Request body -> JSON value, never throwing. V8's SyntaxError messages only sometimes carry a
 * position (and sometimes quote the body), so on failure the text is scanned once more by
 * locateJsonError to report where and what went wrong, without echoing the body.
 */
import { isUtf8 } from 'node:buffer';
import { GatewayError } from '@gatewayd/shared/errors';
import { locateJsonError } from './json-locate.js';

/**
 * The body without a leading UTF-8 byte order mark: not JSON, but some clients send one, and it
 * carries no meaning. Bytes forwarded upstream leave it behind too (strict parsers refuse it).
 */
export function withoutBom(body: Buffer): Buffer {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
}

export function parseJsonBody(body: Buffer): unknown | GatewayError {
  // Decoding would replace bad bytes with U+FFFD, while the raw bytes may be forwarded unchanged.
  if (!isUtf8(body)) return new GatewayError('GW_ERR_BAD_JSON', 'the request body is not valid UTF-8 text');
  let text: string;
  try {
    text = withoutBom(body).toString('utf8');
  } catch {
    // Only a body too large for a string gets here (the body limit normally prevents it).
    return new GatewayError('GW_ERR_BAD_JSON', 'the request body could not be decoded as UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Checked only on failure: trimming a valid body would copy it for nothing.
    if (text.trim() === '') return new GatewayError('GW_ERR_BAD_JSON', 'the request body is empty; expected a JSON object');
    const where = locateJsonError(text);
    return new GatewayError('GW_ERR_BAD_JSON', `the request body is not valid JSON: ${where.reason} at line ${where.line}, column ${where.column} (position ${where.position})`);
  }
}
