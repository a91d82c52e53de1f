/**
 * POST /v1/chat/completions: read and validate the body, resolve the model, and hand the request
 * to its provider. Only the `mock` provider exists so far.
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { readBody } from '../http/body.js';
import type { Exchange } from '../http/exchange.js';
import { sendError } from '../http/respond.js';
import type { Handler, RouteTable } from '../http/router.js';
import type { ModelTable } from '../models.js';
import { resolveMockOptions, serveMock, type MockOverrideHeaders } from '../providers/mock/index.js';
import { parseChatRequest } from './chat-request.js';

export interface ChatRouteDeps {
  config: GatewayConfig;
  models: ModelTable;
}

/** Override headers are read inside the uWS handler (the request object dies with it). */
function readMockOverrides(req: Parameters<Handler>[1]): MockOverrideHeaders | null {
  const chunks = req.getHeader('x-mock-chunks');
  const chunkDelayMs = req.getHeader('x-mock-chunk-delay-ms');
  const latencyMs = req.getHeader('x-mock-latency-ms');
  return chunks === '' && chunkDelayMs === '' && latencyMs === '' ? null : { chunks, chunkDelayMs, latencyMs };
}

export function addChatRoutes(routes: RouteTable, deps: ChatRouteDeps): void {
  const bodyLimit = deps.config.server.body_limit;

  const onBody = (ex: Exchange, body: Buffer, overrides: MockOverrideHeaders | null): void => {
    const parsed = parseChatRequest(body);
    if (!parsed.ok) {
      sendError(ex, parsed.code, parsed.message);
      return;
    }
    const request = parsed.request;
    const route = deps.models.get(request.model);
    if (route === undefined) {
      sendError(ex, 'GW_ERR_UNKNOWN_MODEL', `the model ${JSON.stringify(request.model.slice(0, 200))} does not exist`);
      return;
    }
    if (route.provider.type !== 'mock') {
      sendError(ex, 'GW_ERR_UPSTREAM_ERROR', `provider type ${route.provider.type} is not implemented yet`);
      return;
    }
    serveMock(ex, request, route.target.model, resolveMockOptions(route.provider, overrides));
  };

  const chatCompletions: Handler = (ex, req) => {
    const overrides = readMockOverrides(req);
    readBody(ex, bodyLimit, req.getHeader('content-length'), (bodyEx, body) => onBody(bodyEx, body, overrides));
  };

  routes.set('/v1/chat/completions', { post: chatCompletions });
}
