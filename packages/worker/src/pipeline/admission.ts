/**
 * Shared state on the request path (issue 4): response cache lookup, rate-limit admission, and
 * the end-of-request bookkeeping (settle the tpm reservation and free the concurrency slots
 * exactly once; store a complete answer in the cache), between the endpoint and ProxyRequest.
 *
 *   endpoint -> startProxied -> [cache lookup] -> admit -> 429 / 503 / cached answer / ProxyRequest
 *                                                           Exchange finished -> settle, cache set
 *
 * The worker installs its backend once at start (startSharedState). A request with no limit to
 * count against and the cache off goes straight to ProxyRequest: nothing here is on its path.
 */
import type { GatewayConfig, LimitsConfig } from '@gatewayd/shared';
import type { Admission, LimitScope } from '@gatewayd/shared/state';
import type { Caller } from '../auth/index.js';
import { AnswerCapture, cacheKeyOf, sha256Hex, prepareHit, ResponseCache, sendCached, X_CACHE, X_CACHE_VALUE, type CachedAnswer, type CacheStatus } from '../cache/index.js';
import type { Cancellable, Exchange } from '../http/exchange.js';
import { failExchange, sendError } from '../http/respond.js';
import type { Logger } from '../log.js';
import { recorder } from '../metrics/index.js';
import { configSecrets, secretScrubber } from '../observe/secrets.js';
import type { ResolvedModel } from '../routing/index.js';
import { concurrencyScopeIds, createStateBackend, scopesFor, type StateBackend } from '../state/index.js';
import { supervisorHealthReporter } from '../state/health-report.js';
import { hasSupervisor } from '../supervisor-link.js';
import { rateLimitHeaders, retryAfterSeconds, type HeaderPairs } from './admission-headers.js';
import { estimateRequest, fitTokenLimit, settledTokens, type TokenEstimate } from './admission-tokens.js';
import { ProxyRequest, type PipelineDeps } from './proxy.js';
import type { ClientRequest } from './types.js';

interface SharedState {
  readonly backend: StateBackend;
  /** null: cache.enabled is false. */
  readonly cache: ResponseCache | null;
  readonly globalLimits: LimitsConfig | undefined;
  /** Scopes per (gateway key, model): both come from the config, so the set is bounded. */
  readonly scopes: Map<string, LimitScope[]>;
  /** Scopes with a concurrency limit: where a dead worker's slots may be (releaseDeadWorkerSlots). */
  readonly concurrencyScopes: readonly string[];
  /** on_error closed and some limit configured: an outage refuses limited requests (stateRefusal). */
  readonly refusesWhenDown: boolean;
}

let shared: SharedState | null = null;

function limitsConfigured(config: GatewayConfig): boolean {
  return config.limits !== undefined || config.models.some((m) => m.limits !== undefined) || config.auth.keys.some((k) => k.limits !== undefined);
}

/**
 * Called once at worker start, before the data server listens. Without any limit and with the
 * cache off there is nothing to share, and no backend (no IPC, no Redis connection) at all.
 */
export async function startSharedState(config: GatewayConfig, workerId: number, logger: Logger): Promise<StateBackend | null> {
  if (!limitsConfigured(config) && !config.cache.enabled) return null;
  // llm_gateway_state_backend_up. Redis: its health tracker's transitions (a failed call or a lost
  // connection, then the next success or reconnect). Local: always up. Its store is in the
  // supervisor, the process that answers the scrape, and its tracker recovers only on the next
  // state call, so one slow batch followed by an idle spell would stay 0 with nothing wrong (a
  // stalled supervisor shows in its own nodejs_eventloop_lag_* metrics).
  // Redis outages are seen by every worker (one connection each): the supervisor logs one line per
  // gateway transition from their reports, this worker's own lines are debug.
  const kind = config.state.backend;
  const report = kind === 'redis' && hasSupervisor() ? supervisorHealthReporter(kind, config.state.on_error, secretScrubber(configSecrets(config))) : null;
  const backend = createStateBackend(config, {
    workerId,
    logger,
    ...(process.env.GATEWAYD_STATE_INSTANCE ? { instance: process.env.GATEWAYD_STATE_INSTANCE } : {}),
    ...(kind === 'redis'
      ? {
          onHealthChange: (healthy: boolean, reason: string | null) => {
            recorder.setStateBackend('redis', healthy);
            report?.(healthy, reason);
          },
        }
      : {}),
    ...(report ? { supervisorLogs: true } : {}),
  });
  // The starting value; the tracker's transitions (already during ready()) overwrite it.
  recorder.setStateBackend(kind, kind === 'local' || backend.status().healthy);
  await backend.ready();
  shared = {
    backend,
    cache: config.cache.enabled ? new ResponseCache(backend, config.cache.ttl) : null,
    globalLimits: config.limits,
    scopes: new Map(),
    concurrencyScopes: concurrencyScopeIds(config),
    refusesWhenDown: config.state.on_error === 'closed' && limitsConfigured(config),
  };
  return backend;
}

/**
 * For /health/ready: the backend while this worker cannot reach it AND refuses limited requests
 * for that (on_error closed), so a load balancer routes elsewhere; null otherwise (on_error open
 * admits them unlimited: still ready).
 */
export function stateRefusal(): { backend: string; cause: string | null } | null {
  if (shared === null || !shared.refusesWhenDown) return null;
  const { healthy, cause } = shared.backend.status();
  return healthy ? null : { backend: shared.backend.kind, cause };
}

/** Another worker of this gateway died (supervisor's state-release-instance): free its slots now. */
export function releaseDeadWorkerSlots(instance: string): void {
  shared?.backend.releaseInstance?.(instance, shared.concurrencyScopes);
}

/** The worker is draining: its share of the limits goes back to the store (StateBackend.retire). */
export function retireSharedState(): void {
  shared?.backend.retire();
}

function scopesOf(state: SharedState, caller: Caller, model: ResolvedModel): LimitScope[] {
  const id = `${caller.keyId ?? ''}\u0000${model.config.name}`;
  let scopes = state.scopes.get(id);
  if (scopes === undefined) {
    scopes = scopesFor({
      key: caller.keyId !== null ? { fingerprint: caller.keyId, limits: caller.limits } : null,
      model: { name: model.config.name, limits: model.config.limits },
      global: state.globalLimits,
    });
    state.scopes.set(id, scopes);
  }
  return scopes;
}

/** Serves one validated, resolved request: through the shared state when there is any to consult. */
export function startProxied(deps: PipelineDeps, ex: Exchange, request: ClientRequest, caller: Caller, model: ResolvedModel, cacheControl: string): void {
  const state = shared;
  if (state === null) {
    new ProxyRequest(deps, ex, request, caller, model).start();
    return;
  }
  const scopes = scopesOf(state, caller, model);
  const cacheMode = state.cache === null ? 'off' : state.cache.statusFor(request.call.protocol, cacheControl);
  if (scopes.length === 0 && cacheMode === 'off') {
    new ProxyRequest(deps, ex, request, caller, model).start();
    return;
  }
  new GuardedRequest(state, deps, ex, request, caller, model, scopes, cacheMode).start();
}

/** The scopes with their rpm and concurrency limits only: what a cached answer counts against. */
function withoutTokenLimits(scopes: LimitScope[]): LimitScope[] {
  return scopes.map(({ tpm: _tpm, ...rest }) => rest);
}

/** The scope with the smallest tpm limit; null when none has one. */
function tightestTokenLimit(scopes: readonly LimitScope[]): LimitScope | null {
  let tightest: LimitScope | null = null;
  for (const scope of scopes) if (scope.tpm !== undefined && (tightest === null || scope.tpm < (tightest.tpm as number))) tightest = scope;
  return tightest;
}

/** Names a violated scope for the caller, without its key's fingerprint. */
function describeScope(scope: string, caller: Caller): string {
  if (scope.startsWith('key:')) return caller.keyName !== null ? `key "${caller.keyName}"` : 'this key';
  if (scope.startsWith('model:')) return `model "${scope.slice('model:'.length)}"`;
  return 'the gateway';
}

const LIMIT_UNITS = { rpm: 'requests per minute', tpm: 'tokens per minute', concurrency: 'concurrent requests' } as const;

class GuardedRequest implements Cancellable {
  /** The cache's verdict on this request (for x-cache and metrics). */
  cacheStatus: CacheStatus;
  private ticket: string | null = null;
  private settled = false;
  private proxy: ProxyRequest | null = null;
  private capture: AnswerCapture | null = null;
  private cacheKey: string | null = null;
  private readonly estimate: TokenEstimate;
  /** The scope whose tpm limit the caller's output budget alone exceeds (fitTokenLimit); null: none. */
  private readonly exceeds: LimitScope | null;

  constructor(
    private readonly state: SharedState,
    private readonly deps: PipelineDeps,
    private readonly ex: Exchange,
    private readonly request: ClientRequest,
    private readonly caller: Caller,
    private readonly model: ResolvedModel,
    private readonly scopes: LimitScope[],
    cacheMode: 'off' | 'bypass' | 'lookup',
  ) {
    // 'lookup' becomes hit or miss once the entry is read.
    this.cacheStatus = cacheMode === 'lookup' ? 'miss' : cacheMode;
    ex.cacheStatus = this.cacheStatus; // read by the metrics and the access line at finish
    const estimate = estimateRequest(request.call);
    const tightest = tightestTokenLimit(scopes);
    const fitted = fitTokenLimit(estimate, tightest?.tpm);
    this.estimate = fitted ?? estimate;
    this.exceeds = fitted === null ? tightest : null;
  }

  start(): void {
    const ex = this.ex;
    // Until ProxyRequest takes over, an abort just finishes the exchange: run() sees ex.done.
    ex.cancel = this;
    ex.onFinished = () => this.finished();
    this.run().catch((err: unknown) => failExchange(ex, err));
  }

  cancel(): void {}

  private async run(): Promise<void> {
    const { ex, state, request } = this;
    // The lookup and the admission go out together (one batch / one Redis pipeline): a hit then
    // costs one round trip, not two. Admitted with the full reservation, a hit from the store
    // settles at 0; a hit from this worker's copy is known before the admission and reserves none.
    let lookup: Promise<Buffer | null> | null = null;
    let known: CachedAnswer | null = null;
    if (this.cacheStatus === 'miss' && state.cache !== null) {
      // A caller's own provider key gets its own entries (see cacheKeyOf); so do the headers the
      // upstream gets from the caller, which change what it answers (anthropic-beta: longer
      // outputs, new tools; openai-organization / -project: another account). Not
      // anthropic-version: one version exists, and the gateway sends it when a caller does not.
      const own = this.caller.providerKey === undefined ? '' : `client-key:${sha256Hex(this.caller.providerKey)}`;
      const { anthropicBeta, openaiOrganization, openaiProject } = request.forward;
      const forwarded = anthropicBeta === '' && openaiOrganization === '' && openaiProject === '' ? '' : `|forward:${JSON.stringify([anthropicBeta, openaiOrganization, openaiProject])}`;
      // The mock provider's x-mock-chunks sets the length of its answer (delays do not change it).
      const mock = request.mock === null ? '' : `|mock:${JSON.stringify(request.mock.chunks)}`;
      this.cacheKey = cacheKeyOf(request.call, this.model.cacheIdentity, own + forwarded + mock);
      if (this.cacheKey === null) {
        this.cacheStatus = ex.cacheStatus = 'off'; // a body the key cannot tell apart from others
      } else {
        const copy = state.cache.kept(this.cacheKey);
        if (copy !== null) known = prepareHit(request, copy);
        if (known === null) lookup = state.cache.fromStore(this.cacheKey);
      }
    }
    // A request too large for a tpm limit is not counted at all, unless the cache answers it.
    const reserve = known !== null ? 0 : this.estimate.prompt + this.estimate.output;
    let admission = this.exceeds === null || known !== null ? await state.backend.admit(this.scopes, reserve) : null;
    const entry = lookup === null ? null : await lookup;
    const hit = known ?? (entry === null || ex.done ? null : prepareHit(request, entry));
    if (hit !== null && (admission === null || (!admission.ok && admission.violated?.kind === 'tpm'))) {
      // A cached answer costs no tokens: only its request counts (rpm, concurrency). Rare: the
      // reservation of a miss did not fit, so ask again without the tpm limits (asking for 0
      // tokens is still refused by a window that real usage took over its limit). Its headers
      // show the tpm window as the first answer saw it.
      const tokens = admission?.tokens ?? null;
      admission = await state.backend.admit(withoutTokenLimits(this.scopes), 0);
      if (admission.tokens === null && tokens !== null) admission = { ...admission, tokens };
    }
    if (admission === null) {
      this.cacheStatus = ex.cacheStatus = 'off';
      this.refuseTooLarge(this.exceeds as LimitScope);
      return;
    }
    this.ticket = admission.ticket;
    if (ex.done) {
      // The client left while the admission was on its way: nothing was used.
      this.settle(0);
      return;
    }
    // A refused request is not served from the cache, whatever the lookup found, and is neither
    // a hit nor a miss: counting it as a miss would drag the hit ratio down under rate limiting.
    if (!admission.ok) this.cacheStatus = ex.cacheStatus = 'off';
    else if (hit !== null) this.cacheStatus = ex.cacheStatus = 'hit';
    const headers = this.responseHeaders(admission);
    if (!admission.ok) {
      this.reject(admission, headers);
      return;
    }
    ex.stateHeaders = headers.length > 0 ? headers : null;
    if (hit !== null) {
      sendCached(ex, hit);
      return;
    }
    const proxy = new ProxyRequest(this.deps, ex, request, this.caller, this.model);
    if (this.cacheKey !== null) proxy.capture = this.capture = new AnswerCapture(request.call.protocol);
    if (this.cacheKey !== null || this.ticket !== null) proxy.sendAfterState = (send, status) => this.sendAfterState(proxy, send, status);
    this.proxy = proxy;
    proxy.start();
  }

  private responseHeaders(admission: Admission): HeaderPairs {
    const headers: HeaderPairs = [];
    rateLimitHeaders(headers, this.ex.errorShape, admission, Date.now());
    if (this.cacheStatus !== 'off') headers.push([X_CACHE, X_CACHE_VALUE[this.cacheStatus]]);
    return headers;
  }

  private reject(admission: Admission, headers: HeaderPairs): void {
    const ex = this.ex;
    const retryAfter = retryAfterSeconds(admission.retryAfterMs);
    headers.push(['retry-after', retryAfter]);
    ex.stateHeaders = headers;
    const violated = admission.violated;
    if (violated === null) {
      sendError(ex, 'GW_ERR_STATE_UNAVAILABLE', `rate limits cannot be checked: the shared state backend (${this.state.backend.kind}) is unavailable; retry after ${retryAfter}s`);
      return;
    }
    recorder.recordRateLimited(violated.scope.split(':', 1)[0] ?? violated.scope);
    const limit = this.scopes.find((s) => s.id === violated.scope)?.[violated.kind];
    const what = limit !== undefined ? `${limit} ${LIMIT_UNITS[violated.kind]}` : LIMIT_UNITS[violated.kind];
    sendError(ex, 'GW_ERR_RATE_LIMITED', `rate limit reached for ${describeScope(violated.scope, this.caller)}: ${what}; retry after ${retryAfter}s`);
  }

  /** No window of `scope` could ever hold the caller's output budget: waiting would not help, so this is no 429. */
  private refuseTooLarge(scope: LimitScope): void {
    const { output } = this.estimate;
    const message = `this request asks for up to ${output} output tokens (max_tokens, times n), more than the ${scope.tpm} tokens per minute of ${describeScope(scope.id, this.caller)} allow in any window: lower max_tokens`;
    sendError(this.ex, 'GW_ERR_EXCEEDS_TOKEN_LIMIT', message);
  }

  /** The exchange ended (answer sent, error, client abort, drain cut): runs exactly once. */
  private finished(): void {
    const { ex, proxy } = this;
    if (proxy === null) {
      // Cached answer, refusal, or an abort before the upstream call: no token was used.
      this.settle(0);
      return;
    }
    const answered = ex.streaming || (ex.status >= 200 && ex.status < 300) || proxy.abandonedInFlight;
    this.settle(settledTokens(proxy.usage, this.estimate, answered));
    // A streamed answer is stored once over (a complete one was stored before it was sent).
    if (ex.status >= 200 && ex.status < 300) {
      const entry = this.takeEntry(proxy);
      if (entry !== null) this.state.cache?.set(this.cacheKey as string, entry);
    }
  }

  /**
   * A complete answer, before it is sent: settled (its slot is free before the caller can send
   * its next request) and, on a cache miss, stored (read-your-writes); `send` follows both.
   */
  private sendAfterState(proxy: ProxyRequest, send: () => void, status: number): void {
    this.settle(settledTokens(proxy.usage, this.estimate, status >= 200 && status < 300));
    const entry = this.takeEntry(proxy);
    if (entry !== null && this.state.cache !== null) this.state.cache.setBeforeSend(this.cacheKey as string, entry, send);
    else this.state.backend.sendAfterQueued(send);
  }

  /** The entry to store, once: null when there is none (not a complete success, or already taken). */
  private takeEntry(proxy: ProxyRequest): Buffer | null {
    const capture = this.capture;
    this.capture = null;
    if (capture === null || this.cacheKey === null) return null;
    try {
      // The gateway's own estimate is no usage to replay as the provider's.
      return capture.entry(proxy.usage?.estimated === true ? undefined : proxy.usage);
    } catch (err) {
      this.deps.logger.warn({ err, reqId: this.ex.id }, 'could not store an answer in the response cache');
      return null;
    }
  }

  private settle(tokens: number): void {
    if (this.settled || this.ticket === null) return;
    this.settled = true;
    this.state.backend.settle(this.ticket, tokens);
  }
}
