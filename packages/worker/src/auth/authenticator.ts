/**
 * Who is calling (SPEC "Auth modes"):
 * - gateway: a gateway key from auth.keys is required; provider keys come from config.
 * - client:  the presented key is the caller's own provider key and is passed upstream. A gateway
 *            key is refused (401): it must never travel upstream, and client mode grants nothing
 *            for it.
 * - hybrid:  a matching gateway key authenticates as that key; any other key is a provider key.
 * With no usable auth.keys, client and hybrid need no key at all (the caller then gets the
 * configured provider keys); gateway mode fails closed. A call without a gateway key from a web
 * page (an `Origin` header) must come from an origin of `cors.origins`: otherwise any page a user
 * of the host opens could spend the provider keys, by a simple POST or through DNS rebinding,
 * which CORS alone does not stop (it only hides the answer).
 * Messages never contain a presented key, at most its fingerprint.
 */
import type { GatewayConfig, LimitsConfig } from '@gatewayd/shared';
import { GatewayError } from '@gatewayd/shared/errors';
import { MAX_ORIGIN_LENGTH } from './cors.js';
import { isWellFormedKey, presentedKeys } from './credentials.js';
import { fingerprintOf, GatewayKeyTable, sha256, type StoredGatewayKey } from './key-table.js';
import { modelAllowed } from './model-glob.js';

export interface Caller {
  /** Gateway key name, null when none (open or client mode, or a provider key in hybrid). */
  keyName: string | null;
  /** Fingerprint of the gateway key (never the key). */
  keyId: string | null;
  limits: LimitsConfig | undefined;
  /** Names/globs; undefined = all. */
  allowedModels: string[] | undefined;
  /** client/hybrid: the caller's own provider key, passed upstream. Never a gateway key. */
  providerKey: string | undefined;
}

export type AuthMode = GatewayConfig['auth']['mode'];

const MISSING_KEY = 'missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"';
const UNSUPPORTED_SCHEME = 'the Authorization header is not "Bearer <key>": send the key as "Authorization: Bearer <key>" or "x-api-key: <key>"';
const MALFORMED_KEY = 'malformed API key: a key is one token of printable characters without spaces, commas or quotes, sent as "Authorization: Bearer <key>" or "x-api-key: <key>"';
const GATEWAY_KEY_IN_CLIENT_MODE = 'a gateway key cannot be used here (auth mode "client"): send your provider API key';

export class Authenticator {
  readonly mode: AuthMode;
  private readonly keys: GatewayKeyTable;
  private readonly originAllowed: (origin: string) => boolean;

  /** `originAllowed`: whether `cors.origins` lets a web page of that origin call (none by default). */
  constructor(auth: GatewayConfig['auth'], originAllowed: (origin: string) => boolean = () => false) {
    this.mode = auth.mode;
    this.keys = new GatewayKeyTable(auth.keys);
    this.originAllowed = originAllowed;
  }

  /** Inputs are the raw header values ('' when absent). */
  authenticate(authorization: string, xApiKey: string, origin = ''): Caller | GatewayError {
    const presented = presentedKeys(authorization, xApiKey);
    if (presented.length === 0) {
      if (this.mode !== 'gateway' && this.keys.size === 0) return this.withoutGatewayKey(undefined, origin);
      // An Authorization header of another scheme (Basic, a bare key) is a key sent wrongly, not none.
      return unauthorized(authorization.trim() === '' ? MISSING_KEY : UNSUPPORTED_SCHEME);
    }
    for (const key of presented) if (!isWellFormedKey(key)) return unauthorized(MALFORMED_KEY);
    // Nothing to match against: skip hashing (a gateway mode without keys still fails closed below).
    if (this.keys.size === 0 && this.mode !== 'gateway') return this.withoutGatewayKey(presented[0], origin);
    // Every presented key is checked, so a gateway key is recognised in whichever header it came.
    let firstDigest: Buffer | undefined;
    for (const key of presented) {
      const digest = sha256(key);
      firstDigest ??= digest;
      const match = this.keys.find(digest);
      if (match === undefined) continue;
      if (this.mode === 'client') return unauthorized(GATEWAY_KEY_IN_CLIENT_MODE);
      return gatewayCaller(match);
    }
    if (this.mode === 'gateway') return unauthorized(`invalid API key (fingerprint ${fingerprintOf(firstDigest as Buffer)})`);
    return this.withoutGatewayKey(presented[0], origin);
  }

  /**
   * A caller with no gateway key: from a web page, only from an origin of cors.origins. A page of
   * another origin cannot pass a CORS preflight, so what reaches here from one is a simple POST or
   * a DNS-rebinding page (same-origin to the browser, free to set any key header: a made-up key
   * reaches an upstream that ignores keys, or the operator's extra credentials).
   */
  private withoutGatewayKey(providerKey: string | undefined, origin: string): Caller | GatewayError {
    if (origin !== '' && !this.originAllowed(origin)) return foreignOrigin(origin);
    return openCaller(providerKey);
  }

  allows(caller: Caller, model: string): boolean {
    return modelAllowed(caller.allowedModels, model);
  }
}

/** The 403 for a model outside the caller's allowlist (GW_ERR_FORBIDDEN_MODEL). */
export function forbiddenModelError(caller: Caller, model: string): GatewayError {
  const who = caller.keyName === null ? 'this caller' : `key "${caller.keyName}"`;
  return new GatewayError('GW_ERR_FORBIDDEN_MODEL', `${who} is not allowed to use model "${model}"`);
}

/** RFC 9110 wants a challenge on every 401. */
export const CHALLENGE: Readonly<Record<string, string>> = { 'www-authenticate': 'Bearer realm="gatewayd"' };

function unauthorized(message: string): GatewayError {
  return new GatewayError('GW_ERR_UNAUTHORIZED', message, { ...CHALLENGE });
}

function foreignOrigin(origin: string): GatewayError {
  const shown = origin.length > MAX_ORIGIN_LENGTH ? `${origin.slice(0, MAX_ORIGIN_LENGTH)}...` : origin;
  return new GatewayError(
    'GW_ERR_FORBIDDEN_ORIGIN',
    `web pages may call this gateway without a gateway key only from the origins in cors.origins, and ${JSON.stringify(shown)} is not one`,
  );
}

function gatewayCaller(key: StoredGatewayKey): Caller {
  return { keyName: key.name, keyId: key.keyId, limits: key.limits, allowedModels: key.models, providerKey: undefined };
}

function openCaller(providerKey: string | undefined): Caller {
  return { keyName: null, keyId: null, limits: undefined, allowedModels: undefined, providerKey };
}
