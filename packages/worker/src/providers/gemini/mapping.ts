/** Field-level mappings between Gemini and OpenAI Chat: finish reasons, usage, tool-call ids. */
import { randomBytes } from 'node:crypto';
import type { GeminiFinishReason, GeminiUsageMetadata, OpenaiFinishReason, OpenaiUsage } from '@gatewayd/shared';
import { makeOpenaiUsage } from '../../protocol/content.js';
import { SIGNATURE_MARK } from '../../protocol/signed-tool-ids.js';

/** Gemini reports STOP for a turn that calls functions; OpenAI says tool_calls. */
export function geminiFinishToOpenai(reason: GeminiFinishReason | string | undefined, hasToolCalls: boolean): OpenaiFinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'LANGUAGE':
      return 'content_filter';
    default:
      // STOP, OTHER, FINISH_REASON_UNSPECIFIED, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, ...
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/**
 * promptTokenCount already includes cachedContentTokenCount (same convention as OpenAI);
 * candidatesTokenCount excludes thoughts, which OpenAI counts as completion (reasoning) tokens.
 * Tool-use prompt tokens (server-side tools) are prompt tokens.
 */
export function geminiUsageToOpenai(usage: GeminiUsageMetadata | undefined): OpenaiUsage {
  const prompt = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0);
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const completion = (usage?.candidatesTokenCount ?? 0) + thoughts;
  return makeOpenaiUsage(prompt, completion, usage?.cachedContentTokenCount ?? 0, thoughts);
}

/**
 * Tool-call ids of Gemini answers. OpenAI and Anthropic clients return them verbatim with the tool
 * results, so what Gemini needs back rides inside them:
 * - Gemini's own function-call id (Gemini 3 always sends one and wants it back on the call and on
 *   its functionResponse): `gcall_<hex of it>`. Hex, because it must fit Anthropic's id alphabet
 *   and never contain the signature mark.
 * - Without one (older models), the gateway makes one: `call_<response>_<n>`, deterministic and
 *   unique per response.
 * - A thinking model's `thoughtSignature` on the call, which must come back with it: base64url
 *   after `__ts_`. Such ids are shortened on the way to other targets (protocol/signed-tool-ids.ts).
 */
const GEMINI_ID_PREFIX = 'gcall_';
const GEMINI_ID = /^gcall_((?:[0-9a-f]{2})+)(?:__ts_|$)/;

/** A response key for an answer without a responseId: `gw` and 24 hex digits. */
export function freshResponseKey(): string {
  return `gw${randomBytes(12).toString('hex')}`;
}

export function geminiToolCallId(responseKey: string, n: number, thoughtSignature?: string, geminiId?: string): string {
  const base = geminiId ? GEMINI_ID_PREFIX + Buffer.from(geminiId, 'utf8').toString('hex') : `call_${responseKey.replace(/[^a-zA-Z0-9]/g, '')}_${n}`;
  if (!thoughtSignature) return base;
  return base + SIGNATURE_MARK + thoughtSignature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Gemini's own function-call id carried by a tool-call id made by geminiToolCallId, if any. */
export function geminiCallIdOf(toolCallId: string): string | undefined {
  const hex = GEMINI_ID.exec(toolCallId)?.[1];
  return hex === undefined ? undefined : Buffer.from(hex, 'hex').toString('utf8');
}

/** The thoughtSignature carried by a tool-call id made by geminiToolCallId, if any. */
export function thoughtSignatureOf(toolCallId: string): string | undefined {
  const at = toolCallId.indexOf(SIGNATURE_MARK);
  if (at === -1) return undefined;
  const b64 = toolCallId.slice(at + SIGNATURE_MARK.length).replace(/-/g, '+').replace(/_/g, '/');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
}
