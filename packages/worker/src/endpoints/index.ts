/**
 * The data-plane API routes: the five POST endpoints (OpenAI and Anthropic protocols), GET (and
 * HEAD) /v1/models and /v1/models/{id}, and CORS preflight (OPTIONS) on every route of the table.
 */
import type { Cors } from '../auth/index.js';
import { readBody } from '../http/body.js';
import { sendEmpty } from '../http/respond.js';
import type { HeaderList } from '../http/exchange.js';
import { allowedMethods, type Handler, type RouteTable } from '../http/router.js';
import { observeApiCall } from '../observe/index.js';
import type { ClientProtocol } from '../pipeline/types.js';
import { ApiRequest } from './api-request.js';
import type { EndpointDeps } from './deps.js';
import { MODEL_PREFIX, modelHandler, modelsHandler } from './models.js';
import { readRequestHeaders } from './request-headers.js';

export type { EndpointDeps } from './deps.js';

const API_ROUTES: ReadonlyArray<readonly [string, ClientProtocol]> = [
  ['/v1/chat/completions', 'openai-chat'],
  ['/v1/completions', 'openai-completions'],
  ['/v1/embeddings', 'openai-embeddings'],
  ['/v1/messages', 'anthropic-messages'],
  ['/v1/messages/count_tokens', 'anthropic-count-tokens'],
];

function apiHandler(deps: EndpointDeps, protocol: ClientProtocol): Handler {
  const anthropic = protocol.startsWith('anthropic');
  return (ex, req) => {
    // Keys are checked here, inside the handler: only the resulting Caller is kept.
    const caller = deps.auth.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'), req.getHeader('origin'));
    observeApiCall(ex, req, 'keyName' in caller ? caller.keyName : null); // issue 5: metrics, access line, trace
    const headers = readRequestHeaders(req, anthropic);
    readBody(ex, deps.bodyLimit, headers.contentLength, headers.transferEncoding, new ApiRequest(deps, ex, protocol, headers, caller));
  };
}

/** OPTIONS: a 204 with the preflight headers when the Origin is allowed, else a bare 204 with the route's Allow. */
function preflightHandler(cors: Cors, allow: string): Handler {
  const allowHeader: HeaderList = [['allow', allow]];
  return (ex, req) => {
    const headers = cors.preflight(req.getHeader('origin'), req.getHeader('access-control-request-method'), req.getHeader('access-control-request-headers'));
    // The preflight set already holds the origin headers the dispatcher prepared.
    ex.cors = null;
    sendEmpty(ex, 204, headers ?? allowHeader);
  };
}

/** Adds the API routes, then OPTIONS to every route already in the table (health included). */
export function addApiRoutes(routes: RouteTable, deps: EndpointDeps): void {
  for (const [path, protocol] of API_ROUTES) routes.set(path, { post: apiHandler(deps, protocol) });
  const models = modelsHandler(deps);
  const model = modelHandler(deps);
  routes.set('/v1/models', { get: models, head: models });
  routes.set(`${MODEL_PREFIX}*`, { get: model, head: model });
  for (const handlers of routes.values()) handlers.options ??= preflightHandler(deps.cors, `${allowedMethods(handlers)}, OPTIONS`);
}
