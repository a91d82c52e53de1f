/**
 * Token figures for the tpm limits (issue 4): what a request reserves before its upstream call,
 * and what it finally costs when its response ends.
 *
 * Reservation = estimated prompt tokens (protocol/tokens.ts, errs high) + the output budget the
 * caller allows: max_completion_tokens / max_tokens (times `n` choices); when the caller sets no
 * budget, DEFAULT_OUTPUT_RESERVE (OpenAI chat, shrunk under a small tpm limit: fitTokenLimit) or
 * OpenAI's own default of 16 (legacy completions). Embeddings reserve their input only;
 * count_tokens reserves nothing (it generates nothing).
 */
import type { ChatCompletionResponse } from '@gatewayd/shared';
import {
  answerChars,
  estimateAnthropicTokens,
  estimateChatTokens,
  estimateCompletionPromptTokens,
  estimateEmbeddingTokens,
  outputTokensOfChars,
  requestedOutputTokens,
} from '../protocol/tokens.js';
import type { ClientCall, TokenUsage } from './types.js';

/**
 * Output tokens reserved for a chat request without max_tokens: a typical answer's size. The
 * reservation is reconciled with the real usage at the end, so this only bounds how far a burst
 * of unbounded requests can overshoot a tpm limit before their usage is known.
 */
export const DEFAULT_OUTPUT_RESERVE = 1024;
/** OpenAI's legacy /v1/completions default max_tokens. */
export const LEGACY_COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
/**
 * A request without an output budget reserves at most this share of its tightest tpm limit for
 * its answer: with DEFAULT_OUTPUT_RESERVE alone, a limit of ~1,000 tokens would admit one such
 * request per window however little each really used.
 */
export const DEFAULT_OUTPUT_SHARE_OF_TPM = 1 / 10;

export interface TokenEstimate {
  /** Estimated prompt tokens. */
  prompt: number;
  /** The most output the request may produce (0: none). */
  output: number;
  /** The caller set no output budget: `output` is the gateway's default (DEFAULT_OUTPUT_RESERVE, or legacy completions' 16). */
  defaultOutput: boolean;
}

function choices(n: number | null | undefined): number {
  return typeof n === 'number' && n > 1 ? Math.floor(n) : 1;
}

export function estimateRequest(call: ClientCall): TokenEstimate {
  switch (call.protocol) {
    case 'openai-chat': {
      const prompt = estimateChatTokens(call.body);
      const asked = call.body.max_completion_tokens ?? call.body.max_tokens;
      if (asked == null) return { prompt, output: DEFAULT_OUTPUT_RESERVE * choices(call.body.n), defaultOutput: true };
      return { prompt, output: asked * choices(call.body.n), defaultOutput: false };
    }
    case 'openai-completions':
      return {
        prompt: estimateCompletionPromptTokens(call.body),
        output: requestedOutputTokens(call.body, LEGACY_COMPLETIONS_DEFAULT_MAX_TOKENS) * choices(call.body.n),
        defaultOutput: call.body.max_tokens == null,
      };
    case 'openai-embeddings':
      return { prompt: estimateEmbeddingTokens(call.body), output: 0, defaultOutput: false };
    case 'anthropic-messages':
      return { prompt: estimateAnthropicTokens(call.body), output: call.body.max_tokens, defaultOutput: false };
    case 'anthropic-count-tokens':
      return { prompt: 0, output: 0, defaultOutput: false };
  }
}

/**
 * The estimate as reserved under the tightest tpm limit of the request's scopes (`tpm`; undefined:
 * none): the gateway's default output budget shrinks to DEFAULT_OUTPUT_SHARE_OF_TPM of the limit
 * (and to what the prompt leaves of it). null: the caller's own output budget alone is more than
 * the limit allows in a whole window, so no wait would ever admit it. The prompt is only the
 * gateway's estimate (it errs high): a reservation over the limit because of it is capped at the
 * limit by the store and admitted once the window is empty, not refused.
 */
export function fitTokenLimit(estimate: TokenEstimate, tpm: number | undefined): TokenEstimate | null {
  if (tpm === undefined) return estimate;
  if (!estimate.defaultOutput) return estimate.output > tpm ? null : estimate;
  const output = Math.max(0, Math.min(estimate.output, Math.floor(tpm * DEFAULT_OUTPUT_SHARE_OF_TPM), tpm - estimate.prompt));
  return output === estimate.output ? estimate : { ...estimate, output };
}

/**
 * What a finished request costs against tpm:
 * - the upstream reported usage: prompt + completion, exactly;
 * - a stream cut before its final usage (usage.partial): the prompt as reported and the
 *   reserved output, since the rest of the answer may have been generated (and billed) anyway;
 * - an answer was delivered without usage (a server that reports none, a stream cut by an abort,
 *   a failure or the drain), or with the gateway's own estimate of it (usage.estimated), or the
 *   caller left while the request was upstream (before any answer): the reservation, since how
 *   much was generated is unknown;
 * - no answer was delivered (every attempt failed, or nothing was sent upstream at all): the
 *   prompt estimate, which is what was sent.
 */
export function settledTokens(usage: TokenUsage | undefined, estimate: TokenEstimate, answered: boolean): number {
  if (usage === undefined || usage.estimated === true) return answered ? estimate.prompt + estimate.output : estimate.prompt;
  if (usage.partial === true) return usage.prompt + Math.max(usage.completion, estimate.output);
  return usage.prompt + usage.completion;
}

/**
 * Usage of an OpenAI-format stream whose usage never came (cut before it, or a server that sends
 * none): the prompt as estimated, a token per streamed chunk (the role's first aside). Both were
 * processed and billed; marked estimated (limits keep the reservation, the cache stores none)
 * and partial when the stream was cut.
 */
export function usageEstimate(prompt: number, chunks: number, complete: boolean): TokenUsage {
  const usage: TokenUsage = { prompt, completion: Math.max(0, chunks - 1), estimated: true };
  if (!complete) usage.partial = true;
  return usage;
}

/**
 * Usage of a plain answer that reports none: the prompt as estimated, the answer's characters / 4
 * (what an Anthropic caller is told, streamed or not). Marked estimated, as usageEstimate's.
 */
export function answerUsageEstimate(prompt: number, res: ChatCompletionResponse): TokenUsage {
  const completion = (res.choices ?? []).reduce((sum, choice) => sum + outputTokensOfChars(answerChars(choice.message)), 0);
  return { prompt, completion, estimated: true };
}
