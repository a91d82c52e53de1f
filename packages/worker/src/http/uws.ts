/**
 * The one module that imports uWebSockets.js: swapping in another build (e.g. an upstream release)
 * is a one-line change here. Everything else imports App, the listen helpers and the types from here.
 *
 * The package's loader silently falls back to a slow pure-JS server (on node:http) when the native
 * binary does not load, or when UWS_USE_FALLBACK=1. That fallback exports only App,
 * us_listen_socket_close, us_socket_local_port and _cfg, so the native-only exports tell the two apart.
 */
import uws from 'uWebSockets.js';
import type { HttpEngine } from '@gatewayd/shared';
import type { HttpResponse } from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, RecognizedString, TemplatedApp, us_listen_socket } from 'uWebSockets.js';

const loaded = uws as unknown as Record<string, unknown>;

export const httpEngine: HttpEngine =
  typeof loaded.getParts === 'function' && typeof loaded.SSLApp === 'function' ? 'native' : 'fallback';

/**
 * What differs on the fallback engine: it lacks onWritable/getWriteOffset/endWithoutBody (they
 * throw) and buffers writes in node:http, so a stream waits for onWritable on the native engine and
 * for the node:http response's 'drain' on the fallback (onceDrained); its getUrl() includes the query string and getMethod() is upper case, where the native
 * engine strips the query and reports lower case.
 */
export const isNativeEngine = httpEngine === 'native';

/**
 * Fallback engine only: `handler` runs once when the node:http response behind `res` has drained
 * its buffer (the fallback has no onWritable). False when there is no such response to watch.
 */
export function onceDrained(res: HttpResponse, handler: () => void): boolean {
  const response = (res as unknown as { response?: { once?: unknown } }).response;
  if (typeof response?.once !== 'function') return false;
  (response as { once(event: 'drain', listener: () => void): unknown }).once('drain', handler);
  return true;
}

export const App = uws.App;
export const us_listen_socket_close = uws.us_listen_socket_close;
export const us_socket_local_port = uws.us_socket_local_port;
