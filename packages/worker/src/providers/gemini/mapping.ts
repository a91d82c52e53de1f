/** Field-level mappings between Gemini and OpenAI Chat: finish reasons, usage, tool-call ids. */
import type { GeminiFinishReason, GeminiUsageMetadata, OpenaiFinishReason, OpenaiUsage } from '@gatewayd/shared';
import { makeOpenaiUsage } from '../../protocol/content.js';

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
 * Gemini rarely gives function calls ids, so the gateway makes them: `call_<response>_<n>`,
 * deterministic and unique per response. Thinking models attach a `thoughtSignature` to the call
 * that must come back with it in the next request; it rides inside the id (base64url, after
 * `__ts_`), since OpenAI and Anthropic clients return tool-call ids verbatim.
 */
const SIGNATURE_MARK = '__ts_';

export function geminiToolCallId(responseKey: string, n: number, thoughtSignature?: string): string {
  const base = `call_${responseKey.replace(/[^a-zA-Z0-9]/g, '')}_${n}`;
  if (!thoughtSignature) return base;
  return base + SIGNATURE_MARK + thoughtSignature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The thoughtSignature carried by a tool-call id made by geminiToolCallId, if any. */
export function thoughtSignatureOf(toolCallId: string): string | undefined {
  const at = toolCallId.indexOf(SIGNATURE_MARK);
  if (at === -1) return undefined;
  const b64 = toolCallId.slice(at + SIGNATURE_MARK.length).replace(/-/g, '+').replace(/_/g, '/');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
}
