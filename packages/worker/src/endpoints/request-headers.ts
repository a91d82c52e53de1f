/**
 * Request headers the API endpoints need, read inside the uWS handler: the request object is only
 * valid during the handler, and the body arrives after it returned.
 */
import { isNativeEngine, type HttpRequest } from '../http/uws.js';
import type { ForwardHeaders } from '../pipeline/types.js';
import type { MockOverrideHeaders } from '../providers/mock/options.js';

export interface RequestHeaders {
  contentLength: string;
  /** '' when absent. */
  transferEncoding: string;
  /** '' when absent: the body as sent. */
  contentEncoding: string;
  forward: ForwardHeaders;
  mock: MockOverrideHeaders | null;
  /** issue 4: `no-cache` / `no-store` bypass the response cache ('' when absent). */
  cacheControl: string;
}

const NO_FORWARD: ForwardHeaders = { anthropicVersion: '', anthropicBeta: '', openaiOrganization: '', openaiProject: '' };

/** The mock provider's load-test knobs; null when none is set (the common case). */
function mockOverrides(req: HttpRequest): MockOverrideHeaders | null {
  const chunks = req.getHeader('x-mock-chunks');
  const chunkDelayMs = req.getHeader('x-mock-chunk-delay-ms');
  const latencyMs = req.getHeader('x-mock-latency-ms');
  return chunks === '' && chunkDelayMs === '' && latencyMs === '' ? null : { chunks, chunkDelayMs, latencyMs };
}

/**
 * Every Transfer-Encoding field line, joined as one list (RFC 9110 5.3): uWS's getHeader gives the
 * first line only, so `chunked` then `gzip` on a second line would pass as `chunked`, and an empty
 * first line would hide the second one. Read only when a body has no Content-Length (a chunked
 * one, or one to refuse), so a request with Content-Length pays nothing.
 */
function transferCodings(req: HttpRequest, first: string, contentLength: string): string {
  // The fallback engine (node:http) joins the lines itself and has no forEach.
  if (!isNativeEngine || (first === '' && contentLength !== '')) return first;
  const values: string[] = [];
  req.forEach((key, value) => {
    if (key === 'transfer-encoding') values.push(value);
  });
  return values.join(', ');
}

/** Only the forwardable headers of the caller's own protocol are read. */
export function readRequestHeaders(req: HttpRequest, anthropic: boolean): RequestHeaders {
  let forward = NO_FORWARD;
  if (anthropic) {
    const anthropicVersion = req.getHeader('anthropic-version');
    const anthropicBeta = req.getHeader('anthropic-beta');
    if (anthropicVersion !== '' || anthropicBeta !== '') forward = { anthropicVersion, anthropicBeta, openaiOrganization: '', openaiProject: '' };
  } else {
    const openaiOrganization = req.getHeader('openai-organization');
    const openaiProject = req.getHeader('openai-project');
    if (openaiOrganization !== '' || openaiProject !== '') forward = { anthropicVersion: '', anthropicBeta: '', openaiOrganization, openaiProject };
  }
  const contentLength = req.getHeader('content-length');
  return {
    contentLength,
    transferEncoding: transferCodings(req, req.getHeader('transfer-encoding'), contentLength),
    contentEncoding: req.getHeader('content-encoding'),
    forward,
    mock: mockOverrides(req),
    cacheControl: req.getHeader('cache-control'),
  };
}
