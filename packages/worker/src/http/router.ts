/**
 * One uWS catch-all handler and a plain map from path to per-method handlers: one lookup per
 * request, and the request id, counters, 404/405 and the exception guard live in one place. A
 * path not in the map is looked up as its nearest ancestor with `*` (`/v1/models/*`).
 */
import { Exchange, type HeaderList } from './exchange.js';
import { failExchange, sendError } from './respond.js';
import { isNativeEngine, type HttpRequest, type HttpResponse } from './uws.js';
import { requestIdFor } from '../request-id.js';
import type { WorkerState } from '../state.js';

export type Handler = (ex: Exchange, req: HttpRequest) => void;
/** Methods in lower case, as uWS reports them. */
export type MethodHandlers = Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete' | 'options' | 'head', Handler>>;
export type RouteTable = Map<string, MethodHandlers>;

const MAX_PATH_IN_MESSAGE = 200;
const MODELS_PREFIX = '/v1/models';
const ANTHROPIC_PREFIX = '/v1/messages';

export interface DispatcherOptions {
  /** CORS headers for a request's Origin ('' when absent); null: none. */
  corsFor?(origin: string): HeaderList | null;
}

/**
 * A path not in the table, as the nearest ancestor with `*` (`/v1/models/*` also serves
 * `/v1/models/meta-llama/Llama-3.1-8B`: model names may hold slashes). Only misses get here.
 */
function wildcardEntry(routes: RouteTable, path: string): MethodHandlers | undefined {
  for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
    const entry = routes.get(`${path.slice(0, end + 1)}*`);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

/** The Allow header of a route: its methods, upper case (RFC 9110 wants it on a 405). */
export function allowedMethods(entry: MethodHandlers): string {
  return Object.keys(entry)
    .map((method) => method.toUpperCase())
    .join(', ');
}

export function createDispatcher(worker: WorkerState, routes: RouteTable, options: DispatcherOptions = {}): (res: HttpResponse, req: HttpRequest) => void {
  const corsFor = options.corsFor;
  return (res, req) => {
    let path = req.getUrl();
    let method = req.getMethod();
    if (!isNativeEngine) {
      const query = path.indexOf('?');
      if (query >= 0) path = path.slice(0, query);
      method = method.toLowerCase();
    }
    const ex = new Exchange(res, worker, requestIdFor(req.getHeader('x-request-id')), method, path);
    // Anthropic's endpoints answer errors in Anthropic's shape, everything else in OpenAI's.
    if (path.startsWith(ANTHROPIC_PREFIX)) ex.errorShape = 'anthropic';
    if (corsFor !== undefined) ex.cors = corsFor(req.getHeader('origin'));
    const connection = req.getHeader('connection');
    if (connection.length !== 0) {
      if (connection.length === 5 && connection.toLowerCase() === 'close') ex.closeRequested = true;
      else if (/(?:^|,)\s*close\s*(?:,|$)/i.test(connection)) ex.closeListed = true;
    }
    try {
      const entry = routes.get(path) ?? wildcardEntry(routes, path);
      const handler = entry?.[method as keyof MethodHandlers];
      if (handler !== undefined) handler(ex, req);
      else if (entry !== undefined) {
        // /v1/models* is shared: the Anthropic SDK (anthropic-version) gets its errors in its shape.
        if (path.startsWith(MODELS_PREFIX) && req.getHeader('anthropic-version') !== '') ex.errorShape = 'anthropic';
        sendError(ex, 'GW_ERR_METHOD_NOT_ALLOWED', `method ${method.toUpperCase()} is not allowed on ${path.slice(0, MAX_PATH_IN_MESSAGE)}`, false, [['allow', allowedMethods(entry)]]);
      } else {
        // An Anthropic SDK with a wrong base URL (`.../v1` twice, say) says so by its version header.
        if (req.getHeader('anthropic-version') !== '') ex.errorShape = 'anthropic';
        sendError(ex, 'GW_ERR_NOT_FOUND', `no route for ${method.toUpperCase()} ${path.slice(0, MAX_PATH_IN_MESSAGE)}`);
      }
      // Native uWS aborts the whole process when a handler returns without answering or
      // watching for aborts: turn such a bug into a 500 instead.
      if (!ex.done && !ex.isAsync) throw new Error('the handler returned without answering');
    } catch (err) {
      failExchange(ex, err);
    }
    ex.inHandler = false;
  };
}
