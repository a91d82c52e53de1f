/**
 * Field-level mappings between Anthropic Messages and OpenAI Chat: stop/finish reasons, usage,
 * tool_choice and tool ids.
 */
import type {
  AnthropicStopReason,
  AnthropicToolChoice,
  AnthropicUsage,
  OpenaiFinishReason,
  OpenaiFunctionToolChoice,
  OpenaiToolChoice,
  OpenaiUsage,
} from '@gatewayd/shared';
import { CACHE_WRITES, makeOpenaiUsage, type HubUsage } from '../../protocol/content.js';

export function anthropicStopToOpenaiFinish(reason: AnthropicStopReason | null | undefined): OpenaiFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    // end_turn, stop_sequence, pause_turn (server tool loop paused) and unknown values.
    default:
      return 'stop';
  }
}

export function openaiFinishToAnthropicStop(reason: OpenaiFinishReason | null | undefined): AnthropicStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/**
 * Anthropic input_tokens EXCLUDES cache reads and cache writes; OpenAI prompt_tokens INCLUDES
 * cached tokens. Cache writes are ordinary (billed) input for OpenAI, so they go into prompt_tokens
 * but not into cached_tokens.
 */
export function anthropicUsageToOpenai(usage: Partial<AnthropicUsage> | undefined): OpenaiUsage {
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const prompt = (usage?.input_tokens ?? 0) + cacheRead + cacheWrite;
  const out: HubUsage = makeOpenaiUsage(prompt, usage?.output_tokens ?? 0, cacheRead);
  if (cacheWrite > 0) out[CACHE_WRITES] = { tokens: cacheWrite, hour: Math.min(cacheWrite, usage?.cache_creation?.ephemeral_1h_input_tokens ?? 0) };
  return out;
}

/** Inverse of anthropicUsageToOpenai; OpenAI does not report cache writes, so those are 0. */
export function openaiUsageToAnthropic(usage: OpenaiUsage | null | undefined): AnthropicUsage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const prompt = usage?.prompt_tokens ?? 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: usage?.completion_tokens ?? 0,
  };
}

/**
 * Usage for an answer whose upstream reported none, plain or streamed alike: the gateway's input
 * estimate and its output estimate (outputTokensOfChars).
 */
export function estimatedAnthropicUsage(inputTokens: number, outputTokens: number): AnthropicUsage {
  return { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens };
}

/**
 * OpenAI tool_choice + parallel_tool_calls -> Anthropic tool_choice. `required` is `any`;
 * parallel_tool_calls=false is disable_parallel_tool_use=true (not expressible with `none`).
 */
export function openaiToolChoiceToAnthropic(
  choice: OpenaiFunctionToolChoice | undefined,
  parallelToolCalls: boolean | undefined,
): AnthropicToolChoice | undefined {
  const disable = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallelToolCalls === false ? { type: 'auto', ...disable } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disable };
  if (choice === 'required') return { type: 'any', ...disable };
  return { type: 'tool', name: choice.function.name, ...disable };
}

export function anthropicToolChoiceToOpenai(choice: AnthropicToolChoice): { tool_choice: OpenaiToolChoice; parallel_tool_calls?: false } {
  const parallel = choice.type !== 'none' && choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false as const } : {};
  switch (choice.type) {
    case 'none':
      return { tool_choice: 'none' };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    default:
      return { tool_choice: 'auto', ...parallel };
  }
}

/** Anthropic accepts tool ids matching ^[a-zA-Z0-9_-]+$; other providers' ids may not. */
export function toAnthropicToolId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/**
 * The tool_use id for an upstream's call: its own id made valid, or, when it has none (or ""),
 * `toolu_<message id>_<n>` (n: the call's index, else its position) so plain and streamed answers
 * agree. An empty id would come back on the next turn, where it is refused.
 */
export function anthropicToolIdFor(id: string | undefined, messageId: string, n: number): string {
  return toAnthropicToolId(id ? id : `toolu_${messageId}_${n}`);
}

/**
 * Whether the model takes `temperature` and `top_p` together. Claude models from Opus 4.1 on
 * (Sonnet 4.5, Haiku 4.5, Opus 4.5, ...) refuse the pair with a 400; Claude 2, 3 and the first
 * Sonnet 4 / Opus 4 take it. Names are matched from `claude` on, so Bedrock (`anthropic.claude-...`)
 * and Vertex (`claude-sonnet-4@20250514`) ids are recognised; a name not known to take the pair is
 * assumed not to, as newer models will not.
 */
export function acceptsTemperatureWithTopP(model: string): boolean {
  const name = claudeName(model);
  return name !== null && (/^claude-(?:instant|[23](?:[-.@]|$))/.test(name) || /^claude-(?:sonnet|opus)-4(?:-0|[-@]\d{8}|$)/.test(name));
}

/**
 * Whether the model takes structured outputs (`output_config.format`): Claude Sonnet 4.5, Haiku
 * 4.5, Opus 4.5 and every later model; not Opus 4.1 and older, nor models of other makers served
 * over Anthropic's protocol.
 */
export function acceptsOutputFormat(model: string): boolean {
  const name = claudeName(model);
  return name !== null && !acceptsTemperatureWithTopP(model) && !/^claude-opus-4-1(?:$|[-@.])/.test(name);
}

/** The model id lower-cased from `claude` on (Bedrock and Vertex ids have a prefix); null for other makers' models. */
function claudeName(model: string): string | null {
  const lower = model.toLowerCase();
  const at = lower.indexOf('claude');
  return at < 0 ? null : lower.slice(at);
}

/** Anthropic temperature is 0..1, OpenAI's 0..2: values above 1 are clamped. */
export function clampAnthropicTemperature(temperature: number): number {
  return Math.min(1, Math.max(0, temperature));
}
