/**
 * Last line of defence for "secrets never reach logs": pino's `redact` hides fields by NAME
 * (authorization, x-api-key, api_keys, key, token); this scrubs secret VALUES wherever they appear
 * in a serialised log line (an error message, a URL, a nested field): every configured secret
 * (gateway keys, provider api keys, credential headers and query values, admin token, Redis and
 * collector passwords) and anything shaped like a well-known provider key. It runs on the final
 * JSON string (pino hooks.streamWrite): a few substring searches per line, no re-serialisation.
 */
import { SECRET_NAME, type GatewayConfig } from '@gatewayd/shared';
import { asBuffer } from '../protocol/bytes.js';

export const REDACTED = '[REDACTED]';
/** Shorter values are not scrubbed: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;
/** OpenAI/Anthropic (`sk-...`, `sk-ant-...`) and Google (`AIza...`) key shapes, e.g. a caller's own key. */
const KEY_SHAPES = /\b(?:sk-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,})/g;

/** A URL's password, in its userinfo or as a `password` query parameter (ioredis takes both). */
function urlPassword(url: string): string | null {
  try {
    const parsed = new URL(url);
    const password = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password');
    return password || null;
  } catch {
    return null;
  }
}

/** A password as a URL's userinfo writes it (`+`, `!`, `*` left as they are; `@`, `/` encoded). */
function asUserinfo(secret: string): string {
  const url = new URL('http://host');
  url.password = secret;
  return url.password;
}

/** Every secret value of the config. */
export function configSecrets(config: GatewayConfig): string[] {
  const secrets: string[] = [];
  for (const key of config.auth.keys) secrets.push(key.key);
  for (const provider of config.providers) {
    secrets.push(...provider.api_keys);
    for (const [name, value] of Object.entries(provider.headers)) if (SECRET_NAME.test(name)) secrets.push(value.replace(/^(Bearer|Basic|Token)\s+/i, ''));
    for (const [name, value] of Object.entries(provider.query)) if (SECRET_NAME.test(name)) secrets.push(value);
  }
  if (config.admin.token) secrets.push(config.admin.token);
  for (const value of Object.values(config.tracing.headers)) secrets.push(value.replace(/^(Bearer|Basic|Token)\s+/i, ''));
  for (const url of [config.state.redis.url, config.tracing.endpoint]) {
    const password = urlPassword(url);
    if (password !== null) secrets.push(password);
  }
  const unique = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    // As it appears in a URL (a query credential, a password: `/` as %2F, `+` as %2B, a space as +
    // in a query) and inside a JSON string (quotes, backslashes, control characters escaped).
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), asUserinfo(secret)])) {
      unique.add(form);
      const escaped = JSON.stringify(form).slice(1, -1);
      if (escaped !== form) unique.add(escaped);
    }
  }
  // Longest first: a secret containing another is replaced whole.
  return [...unique].sort((a, b) => b.length - a.length);
}

/** A function from a serialised log line to the same line with every secret replaced. */
export function secretScrubber(secrets: readonly string[]): (line: string) => string {
  return (line) => {
    let out = line;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (out.includes('sk-') || out.includes('AIza')) out = out.replace(KEY_SHAPES, REDACTED);
    return out;
  };
}

/**
 * Upstream text that reaches callers or the admin plane (error messages, passed-through 4xx
 * bodies, /health/providers): an upstream that echoes what it received would hand out the
 * operator's provider key. Scrubbed like a log line; set once per worker (worker.ts), identity
 * until then (unit tests without a worker).
 */
let callerScrubber: (text: string) => string = (text) => text;

export function setCallerScrubber(scrub: (text: string) => string): void {
  callerScrubber = scrub;
}

export function scrubForCallers(text: string): string {
  return callerScrubber(text);
}

/**
 * scrubForCallers for a body: the same bytes when nothing was found. `callerKey`: the caller's
 * own provider key the request went with (auth modes client / hybrid), which no config lists and
 * whose shape may be any provider's (gsk_..., xai-...): an echo of it must not reach the admin
 * plane (/health/providers) or the logs through an error message.
 */
export function scrubBodyForCallers(body: Buffer, callerKey?: string): Buffer {
  const text = body.toString('utf8');
  const scrubbed = scrubTextForCallers(text, callerKey);
  return scrubbed === text ? body : Buffer.from(scrubbed, 'utf8');
}

/** scrubForCallers, and the caller's own provider key (see scrubBodyForCallers). */
export function scrubTextForCallers(text: string, callerKey?: string): string {
  const scrubbed = callerScrubber(text);
  return callerKey !== undefined && callerKey.length >= 8 && scrubbed.includes(callerKey) ? scrubbed.split(callerKey).join(REDACTED) : scrubbed;
}

const ERROR_KEY = Buffer.from('"error"');

/**
 * A streamed chunk on its way to the caller: scrubbed only when it holds an `"error"` key (an
 * upstream's error event may echo what it received); any other chunk passes as it is, with one
 * byte search. On JSON text the quoted key cannot come from inside a string (quotes are escaped).
 */
export function scrubChunkForCallers(data: string | Uint8Array, callerKey?: string): string | Uint8Array {
  if (typeof data === 'string') return data.includes('"error"') ? scrubTextForCallers(data, callerKey) : data;
  const bytes = asBuffer(data);
  return bytes.indexOf(ERROR_KEY) === -1 ? data : scrubBodyForCallers(bytes, callerKey);
}
