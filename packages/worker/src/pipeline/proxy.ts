/**
 * One proxied request: runs the Router's failover loop with one Attempt per try, answers the
 * caller with the last failure when no attempt delivered, and is the Exchange's Cancellable (a
 * client abort or the drain cut aborts the running attempt and the router's waits).
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { GatewayError } from '@gatewayd/shared/errors';
import type { Caller } from '../auth/index.js';
import type { AnswerCapture } from '../cache/capture.js';
import type { Cancellable, Exchange } from '../http/exchange.js';
import { failExchange, sendBody, sendGatewayError } from '../http/respond.js';
import type { Logger } from '../log.js';
import { TranslationError } from '../protocol/errors.js';
import { Cancellation, type AttemptFailure, type AttemptResult, type ResolvedModel, type RouteTarget, type Router } from '../routing/index.js';
import type { PoolRegistry } from '../upstream/pools.js';
import type { AdapterRegistry } from './adapter.js';
import { Attempt } from './attempt.js';
import { keysCoolingFailure, unsupportedFailure } from './failures.js';
import { ownKeyView } from './own-key.js';
import { planFor } from './plan.js';
import type { AttemptInput, ClientRequest, TokenUsage } from './types.js';

export interface PipelineDeps {
  readonly router: Router;
  readonly pools: PoolRegistry;
  readonly adapters: AdapterRegistry;
  readonly server: Pick<GatewayConfig['server'], 'request_timeout' | 'stream_idle_timeout'>;
  readonly logger: Logger;
}

/** Answered by the gateway (no upstream call): not evidence of the target's health. */
const LOCAL_OK: AttemptResult = { ok: true, local: true };

export class ProxyRequest implements Cancellable {
  /** Token usage of the delivered answer, when known (for logs and, later, metrics and limits). */
  usage: TokenUsage | undefined;
  /** The last upstream 429 of this request: what the caller sees if every key ends up cooling down. */
  lastRateLimit: AttemptFailure | undefined;
  /** issue 4: collects the delivered answer for the response cache (set on a cache miss). */
  capture: AnswerCapture | null = null;
  /** issue 4: set for a limited request or a cache miss; a complete answer is handed to it to send (settle and store first). */
  sendAfterState: ((send: () => void, status: number) => void) | null = null;
  /** issue 4: the caller left (or the drain cut it) while an upstream attempt was in flight. */
  abandonedInFlight = false;
  private cancelled = false;
  private current: Attempt | null = null;
  private readonly cancellation = new Cancellation();
  private readonly attemptFn = (target: RouteTarget): Promise<AttemptResult> => this.attempt(target);

  constructor(
    readonly deps: PipelineDeps,
    readonly ex: Exchange,
    readonly request: ClientRequest,
    private readonly caller: Caller,
    private readonly model: ResolvedModel,
  ) {}

  start(): void {
    this.ex.cancel = this;
    this.run().catch((err: unknown) => failExchange(this.ex, err));
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    // The provider may generate (and bill) the whole answer anyway, a plain one above all.
    if (this.current?.inFlight === true) this.abandonedInFlight = true;
    // Signal first: the router then neither records this attempt nor starts another.
    this.cancellation.cancel();
    this.current?.abort();
  }

  /** issue 5: waits between attempts are neither upstream time nor the gateway's overhead. */
  private readonly onRetryWait = (ms: number): void => {
    if (this.ex.obs !== null) this.ex.obs.retryWaitMs += ms;
  };

  private async run(): Promise<void> {
    let result: AttemptResult;
    try {
      const model = this.caller.providerKey === undefined ? this.model : ownKeyView(this.model);
      result = await this.deps.router.execute(model, this.attemptFn, this.cancellation, this.onRetryWait);
    } catch (err) {
      if (this.ex.done) return;
      if (err instanceof GatewayError) sendGatewayError(this.ex, err);
      else if (err instanceof TranslationError) sendGatewayError(this.ex, unsupportedFailure(err).error);
      else throw err;
      return;
    }
    if (result.ok || this.ex.done) return;
    // Refused by open breakers: counted under the provider that is failing, not under none.
    const refused = result.failure.refusedTarget;
    if (refused !== undefined && this.ex.obs !== null && this.ex.obs.target === null) this.ex.obs.routedTo(refused);
    sendGatewayError(this.ex, result.failure.error);
  }

  /** One try against `target`; a request that cannot be expressed for it is an `unsupported` failure. */
  private attempt(target: RouteTarget): Promise<AttemptResult> {
    try {
      return this.tryTarget(target);
    } catch (err) {
      if (err instanceof TranslationError) return Promise.resolve({ ok: false, failure: unsupportedFailure(err) });
      throw err;
    }
  }

  private tryTarget(target: RouteTarget): Promise<AttemptResult> {
    const { deps, request } = this;
    this.ex.obs?.routedTo(target); // issue 5: the provider/target the request is (finally) served by
    const plan = planFor(request, deps.adapters[target.provider.type]);
    if (plan.localAnswer !== undefined) {
      const answer = plan.localAnswer();
      sendBody(this.ex, answer.status, answer.contentType, answer.body, null);
      return Promise.resolve(LOCAL_OK);
    }
    let apiKey: string | undefined;
    let keyFromConfig = false;
    const keyFromCaller = target.provider.type !== 'mock' && this.caller.providerKey !== undefined;
    if (target.provider.type === 'mock') apiKey = undefined;
    else if (keyFromCaller) apiKey = this.caller.providerKey;
    else {
      const picked = deps.router.pickKey(target.provider);
      if (picked === null) return Promise.resolve({ ok: false, failure: keysCoolingFailure(target, deps.router.keyReadyInMs(target.provider), this.lastRateLimit) });
      apiKey = picked;
      keyFromConfig = picked !== undefined;
    }
    const input: AttemptInput = {
      request,
      target,
      apiKey,
      keyFromCaller,
      headersTimeout: target.provider.timeout ?? deps.server.request_timeout,
      bodyTimeout: deps.server.stream_idle_timeout,
    };
    const upstream = plan.request(input);
    const attempt = new Attempt(this, plan, input, keyFromConfig);
    this.current = attempt;
    return attempt.run(upstream);
  }
}
