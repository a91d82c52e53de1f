/**
 * GET /v1/models: the configured model names and aliases (globs are patterns, not models). OpenAI's
 * list shape by default; Anthropic's (data, has_more, first_id, last_id) for callers that send
 * anthropic-version, as the Anthropic SDK does (errors then in Anthropic's shape too). Bodies are built once; a key with a model
 * allowlist gets its own filtered list.
 */
import { GatewayError } from '@gatewayd/shared/errors';
import type { Caller } from '../auth/index.js';
import { sendError, sendGatewayError, sendJson } from '../http/respond.js';
import type { Exchange } from '../http/exchange.js';
import type { Handler } from '../http/router.js';
import type { HttpRequest } from '../http/uws.js';
import type { EndpointDeps } from './deps.js';

function openaiList(names: readonly string[], created: number): string {
  return JSON.stringify({ object: 'list', data: names.map((id) => ({ id, object: 'model', created, owned_by: 'gatewayd' })) });
}

function anthropicList(names: readonly string[], created: number): string {
  const createdAt = new Date(created * 1000).toISOString();
  return JSON.stringify({
    data: names.map((id) => ({ type: 'model', id, display_name: id, created_at: createdAt })),
    has_more: false,
    first_id: names[0] ?? null,
    last_id: names[names.length - 1] ?? null,
  });
}

/**
 * The caller of a /v1/models* request and its shape: the Anthropic SDK (anthropic-version) gets
 * its answers and errors (a bad key) in Anthropic's shape. null: refused (the answer is sent).
 */
function modelsCall(deps: EndpointDeps, ex: Exchange, req: HttpRequest): { caller: Caller; anthropic: boolean } | null {
  const anthropic = req.getHeader('anthropic-version') !== '';
  if (anthropic) ex.errorShape = 'anthropic';
  const caller = deps.auth.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'), req.getHeader('origin'));
  if (caller instanceof GatewayError) {
    sendGatewayError(ex, caller);
    return null;
  }
  return { caller, anthropic };
}

function openaiModel(id: string, created: number): string {
  return JSON.stringify({ id, object: 'model', created, owned_by: 'gatewayd' });
}

function anthropicModel(id: string, created: number): string {
  return JSON.stringify({ type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString() });
}

/** The part of GET /v1/models/{id} after the prefix, percent-decoded; null when malformed. */
function modelIdOf(path: string): string | null {
  try {
    return decodeURIComponent(path.slice(MODEL_PREFIX.length));
  } catch {
    return null;
  }
}

export const MODEL_PREFIX = '/v1/models/';

/**
 * GET /v1/models/{id} (the SDKs' models.retrieve): any name a request may use (a model, an alias,
 * a name a glob model matches), in the shapes of the list above; a name the caller may not use,
 * or one that resolves to no model, is 404 GW_ERR_UNKNOWN_MODEL.
 */
export function modelHandler(deps: EndpointDeps): Handler {
  return (ex, req) => {
    const call = modelsCall(deps, ex, req);
    if (call === null) return;
    const { caller, anthropic } = call;
    const id = modelIdOf(ex.path);
    // Whatever a chat request may name: a model, an alias, or a name one of its globs matches.
    // The allowlist first: names a key may not use never reach the router's glob cache.
    if (id === null || !deps.auth.allows(caller, id) || deps.router.resolve(id) === undefined) {
      sendError(ex, 'GW_ERR_UNKNOWN_MODEL', `the model ${JSON.stringify((id ?? ex.path.slice(MODEL_PREFIX.length)).slice(0, 200))} does not exist`);
      return;
    }
    sendJson(ex, 200, anthropic ? anthropicModel(id, deps.createdAt) : openaiModel(id, deps.createdAt));
  };
}

export function modelsHandler(deps: EndpointDeps): Handler {
  const names = deps.router.modelNames();
  const openaiBody = openaiList(names, deps.createdAt);
  const anthropicBody = anthropicList(names, deps.createdAt);
  const visibleTo = (caller: Caller): string[] => names.filter((name) => deps.auth.allows(caller, name));

  return (ex, req) => {
    const call = modelsCall(deps, ex, req);
    if (call === null) return;
    const { caller, anthropic } = call;
    if (caller.allowedModels === undefined) {
      sendJson(ex, 200, anthropic ? anthropicBody : openaiBody);
      return;
    }
    const visible = visibleTo(caller);
    sendJson(ex, 200, anthropic ? anthropicList(visible, deps.createdAt) : openaiList(visible, deps.createdAt));
  };
}
