/**
 * One API call from body to pipeline: authentication (done in the handler, checked first, so a
 * caller without a valid key learns nothing about its body) -> JSON -> validation -> model
 * allowlist -> model resolution -> ProxyRequest. Each refusal answers in the caller's shape.
 */
import { GatewayError } from '@gatewayd/shared/errors';
import { forbiddenModelError, type Caller } from '../auth/index.js';
import type { BodySink } from '../http/body.js';
import type { Exchange } from '../http/exchange.js';
import { observeCall, observeModel } from '../observe/index.js';
import { sendError, sendGatewayError } from '../http/respond.js';
import { startProxied } from '../pipeline/admission.js';
import type { ClientProtocol, ClientRequest } from '../pipeline/types.js';
import { parseJsonBody, withoutBom } from '../validate/index.js';
import type { EndpointDeps } from './deps.js';
import type { RequestHeaders } from './request-headers.js';
import { streamFlags, validateCall } from './validate-call.js';

const MAX_NAME_IN_MESSAGE = 200;

/** The compression codings of the HTTP registry (RFC 9110 8.4.1 and since). */
const COMPRESSIONS = /(?:^|,)\s*(?:x-)?(?:gzip|deflate|compress|br|zstd)\s*(?:,|$)/i;

function isCompressed(contentEncoding: string): boolean {
  return COMPRESSIONS.test(contentEncoding);
}

export class ApiRequest implements BodySink {
  constructor(
    private readonly deps: EndpointDeps,
    private readonly ex: Exchange,
    private readonly protocol: ClientProtocol,
    private readonly headers: RequestHeaders,
    private readonly caller: Caller | GatewayError,
  ) {}

  onBody(body: Buffer): void {
    const { deps, ex, headers, caller } = this;
    if (caller instanceof GatewayError) return sendGatewayError(ex, caller);
    // A compressed body would only fail as "not UTF-8" (RFC 7694: 415 names the encoding). Other
    // values (a charset sent there by mistake) are ignored, as they always were.
    if (headers.contentEncoding !== '' && isCompressed(headers.contentEncoding)) {
      return sendError(ex, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', `request bodies with content-encoding ${JSON.stringify(headers.contentEncoding.slice(0, 40))} are not accepted: send the JSON uncompressed`, false, [['accept-encoding', 'identity']]);
    }
    // One leading BOM is taken off (parseJsonBody ignores it, and it is not forwarded); a second
    // one is not JSON.
    const json = parseJsonBody(body);
    if (json instanceof GatewayError) return sendGatewayError(ex, json);
    const raw = withoutBom(body);
    const call = validateCall(this.protocol, json);
    if (call instanceof GatewayError) return sendGatewayError(ex, call);
    observeCall(ex, call); // issue 5
    const name = call.body.model;
    if (!deps.auth.allows(caller, name)) return sendGatewayError(ex, forbiddenModelError(caller, name));
    const model = deps.router.resolve(name);
    if (model === undefined) return sendError(ex, 'GW_ERR_UNKNOWN_MODEL', `the model ${JSON.stringify(name.slice(0, MAX_NAME_IN_MESSAGE))} does not exist`);
    observeModel(ex, model); // issue 5
    const { stream, callerWantsUsage } = streamFlags(call);
    const request: ClientRequest = { call, raw, stream, callerWantsUsage, forward: headers.forward, mock: headers.mock, requestId: ex.id };
    // issue 4: rate limits and the response cache first (straight to ProxyRequest when neither applies).
    startProxied(deps, ex, request, caller, model, headers.cacheControl);
  }
}
