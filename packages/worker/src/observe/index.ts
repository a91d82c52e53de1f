/**
 * Per-request observation (issue 5): metrics, the access log, passive provider health and tracing,
 * wired into the request lifecycle at a few marked points:
 *
 *   endpoints/index.ts   observeApiCall(ex, req, caller)   an API request starts (key name, trace)
 *   endpoints/api-request.ts observeCall(ex, call) / observeModel(ex, model)
 *   pipeline/proxy.ts    ex.obs?.routedTo(target)           each target tried (or answering locally)
 *   pipeline/attempt.ts  attemptStarted / upstreamResponded / attemptEnded / attemptSettled / usage
 *   pipeline/client-stream.ts  with log_prompts, the streamed text
 *   http/exchange.ts     markStreaming -> streamStarted (and TTFT); finish -> RequestObservation.finish
 *
 * For the limits and cache code (issue 4): set `ex.cacheStatus` ('hit' | 'miss' | 'bypass', default
 * 'off'), read once at finish; a 429 from a limit calls recorder.recordRateLimited(scope) itself (the
 * 429 answer is recorded here like any other). A stream's time to first token is taken when its
 * headers go out (Exchange.markStreaming), cached replays included.
 *
 * Only the five LLM API endpoints are observed; health probes, GET /v1/models, CORS preflights and
 * unknown paths keep the debug-level line of http/exchange.ts and are not counted in the metrics.
 */
import type { GatewayConfig } from '@gatewayd/shared';
import type { Exchange } from '../http/exchange.js';
import type { HttpRequest } from '../http/uws.js';
import type { Logger } from '../log.js';
import { prices, recorder } from '../metrics/index.js';
import type { ClientCall } from '../pipeline/types.js';
import type { ResolvedModel, Router } from '../routing/index.js';
import type { ObserveContext } from './context.js';
import { CostBook } from './cost.js';
import { RequestObservation } from './observation.js';
import { PassiveHealth } from './passive-health.js';
import { CompletionCapture, promptOf } from './prompts.js';
import { Tracer } from './tracing/tracer.js';

export { RequestObservation, type AccessLine } from './observation.js';
export { configSecrets, secretScrubber, setCallerScrubber, REDACTED } from './secrets.js';

let context: ObserveContext | null = null;

export interface ObservationOptions {
  config: GatewayConfig;
  workerId: number;
  logger: Logger;
  /** The worker's router: breaker states for passive health. */
  router: Router | null;
}

/** Configures this worker's observation; call once the price table is loaded (startMetrics). */
export function startObservation(options: ObservationOptions): void {
  const { config, logger } = options;
  const tracer = config.tracing.enabled ? new Tracer(config.tracing, options.workerId, logger) : null;
  if (tracer !== null) logger.info({ collector: new URL(config.tracing.endpoint).origin, sampleRatio: config.tracing.sample_ratio }, 'tracing enabled: exporting spans over OTLP/HTTP');
  options.router?.onOutcome(new PassiveHealth(recorder, options.router));
  context = {
    logger,
    recorder,
    costs: new CostBook(prices),
    tracer,
    logPrompts: config.logging.log_prompts,
    accessLog: logger.isLevelEnabled('info'),
  };
}

/** Exports the spans still queued (worker exit); resolves within `timeoutMs`. */
export function stopObservation(timeoutMs: number): Promise<void> {
  return context?.tracer?.shutdown(timeoutMs) ?? Promise.resolve();
}

/** An API request starts (inside the uWS handler: `req` is only valid there). */
export function observeApiCall(ex: Exchange, req: HttpRequest, keyName: string | null): void {
  const ctx = context;
  if (ctx === null) return;
  const span = ctx.tracer === null ? null : ctx.tracer.startRequest(`${ex.method.toUpperCase()} ${ex.path}`, req.getHeader('traceparent'), ex.startedAt);
  const obs = new RequestObservation(ctx, span);
  obs.keyName = keyName;
  ex.obs = obs;
}

/** The validated call: requested model, stream flag and, with log_prompts, the prompt. */
export function observeCall(ex: Exchange, call: ClientCall): void {
  const obs = ex.obs;
  if (obs === null) return;
  obs.requestedModel = call.body.model;
  obs.stream = (call.body as { stream?: unknown }).stream === true;
  if (context?.logPrompts === true) {
    obs.prompt = promptOf(call);
    obs.capture = new CompletionCapture();
  }
}

export function observeModel(ex: Exchange, model: ResolvedModel): void {
  if (ex.obs !== null) ex.obs.model = model.config;
}
