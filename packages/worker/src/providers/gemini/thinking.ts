/**
 * An Anthropic caller's `thinking` as a Gemini `thinkingConfig`, per model family, because the
 * families disagree on what they accept (Gemini API docs, "Thinking"):
 * - 2.5 Flash and Flash-Lite: `thinkingBudget` 0 turns thinking off.
 * - 2.5 Pro cannot think less than 128 tokens: a budget of 0 is refused ("this model only works in
 *   thinking mode"), so `disabled` asks for its minimum and leaves the thoughts out of the answer.
 * - Gemini 3 cannot turn thinking off either and is steered by `thinkingLevel`: `disabled` is its
 *   lowest level common to every Gemini 3 model, `low`. An explicit budget is still sent as
 *   `thinkingBudget`, which Gemini 3 accepts for compatibility.
 * Budgets are capped at the family's maximum (Pro 32768, Flash 24576) and raised to its minimum
 * (Pro 128, Flash-Lite 512): Anthropic allows budgets up to max_tokens, Gemini refuses them.
 * Models without thinking (Gemini 1.x and 2.0, Gemma) refuse any thinkingConfig: none is sent.
 * The `-latest` aliases take the range of their flavour (flash-lite, flash, pro).
 * `adaptive` (the model decides) is Gemini's dynamic thinking: `thinkingBudget: -1` on 2.5, the
 * default level on Gemini 3. An OpenAI caller's `reasoning_effort` is a budget as Gemini's own
 * OpenAI endpoint reads it (thinkingFromEffort).
 */
import type { AnthropicThinkingConfig, GeminiGenerationConfig } from '@gatewayd/shared';

type ThinkingConfig = NonNullable<GeminiGenerationConfig['thinkingConfig']>;

interface BudgetRange {
  min: number;
  max: number;
  /** Whether a budget of 0 turns thinking off. */
  canDisable: boolean;
}

const PRO_25: BudgetRange = { min: 128, max: 32_768, canDisable: false };
const FLASH_LITE_25: BudgetRange = { min: 512, max: 24_576, canDisable: true };
const FLASH_25: BudgetRange = { min: 1, max: 24_576, canDisable: true };

/** The model id without a `models/` or `publishers/google/models/` prefix. */
function baseName(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1).toLowerCase();
}

function isGemini3OrLater(name: string): boolean {
  const major = /^gemini-(\d+)/.exec(name)?.[1];
  return major !== undefined && Number(major) >= 3;
}

/** Models that refuse a thinkingConfig ("thinking is not supported by this model"). */
function cannotThink(name: string): boolean {
  return /^gemini-(?:1\.|2\.0-)/.test(name) || name.startsWith('gemma-') || name.startsWith('learnlm-');
}

function budgetRange(name: string): BudgetRange | undefined {
  if (/^gemini-.*-latest$/.test(name)) return name.includes('flash-lite') ? FLASH_LITE_25 : name.includes('flash') ? FLASH_25 : name.includes('pro') ? PRO_25 : undefined;
  if (!name.startsWith('gemini-2.5-')) return undefined;
  if (name.startsWith('gemini-2.5-pro')) return PRO_25;
  if (name.startsWith('gemini-2.5-flash-lite')) return FLASH_LITE_25;
  if (name.startsWith('gemini-2.5-flash')) return FLASH_25;
  return undefined;
}

/**
 * Gemini 3 refuses a model turn whose function calls carry no thought signature ("Function call is
 * missing a thought_signature"); `-latest` aliases may be Gemini 3.
 */
export function requiresThoughtSignatures(targetModel: string): boolean {
  const name = baseName(targetModel);
  return isGemini3OrLater(name) || /^gemini-.*-latest$/.test(name);
}

/**
 * Gemini 2.5 and earlier refuse function declarations beside a JSON response ("Function calling
 * with a response mime type: 'application/json' is unsupported"); Gemini 3 takes both. Names not
 * known to be Gemini 3 or later (`-latest` aliases, unknown models) are taken for older ones.
 */
export function acceptsJsonResponseWithTools(targetModel: string): boolean {
  return isGemini3OrLater(baseName(targetModel));
}

/** Gemma on the Gemini API refuses a system instruction ("Developer instruction is not enabled"). */
export function acceptsSystemInstruction(targetModel: string): boolean {
  return !baseName(targetModel).startsWith('gemma-');
}

/** What a model that penalties are not enabled for refuses ("Penalty is not enabled for models/..."). */
export function acceptsPenalties(targetModel: string): boolean {
  const name = baseName(targetModel);
  return !(name.startsWith('gemini-2.5-') || isGemini3OrLater(name) || /^gemini-.*-latest$/.test(name));
}

/** undefined: the model takes no thinkingConfig at all. */
export function geminiThinkingConfig(thinking: AnthropicThinkingConfig, targetModel: string): ThinkingConfig | undefined {
  const name = baseName(targetModel);
  if (cannotThink(name)) return undefined;
  const range = budgetRange(name);
  if (thinking.type === 'disabled') {
    if (isGemini3OrLater(name)) return { thinkingLevel: 'low' };
    if (range !== undefined && !range.canDisable) return { thinkingBudget: range.min };
    return { thinkingBudget: 0 };
  }
  if (thinking.type !== 'enabled') return isGemini3OrLater(name) ? { includeThoughts: true } : { thinkingBudget: -1, includeThoughts: true };
  const budget = range === undefined ? thinking.budget_tokens : Math.min(range.max, Math.max(range.min, thinking.budget_tokens));
  return { thinkingBudget: budget, includeThoughts: true };
}

/** Budgets of OpenAI's reasoning efforts, as Gemini's OpenAI-compatible endpoint maps them. */
const EFFORT_BUDGETS: Readonly<Record<string, number>> = { minimal: 512, low: 1024, medium: 8192, high: 24_576 };

/** An OpenAI caller's reasoning_effort as thinking; undefined: none asked for (or an unknown effort). */
export function thinkingFromEffort(effort: string | null | undefined): AnthropicThinkingConfig | undefined {
  if (effort === 'none') return { type: 'disabled' };
  const budget = effort == null ? undefined : EFFORT_BUDGETS[effort];
  return budget === undefined ? undefined : { type: 'enabled', budget_tokens: budget };
}
