/**
 * Which earlier call a streamed OpenAI `tool_calls` entry continues. Some OpenAI-compatible servers
 * omit `index` (Gemini's) or repeat it (Ollama behind some proxies) for parallel calls; going by
 * the index alone would merge two calls into one, with invalid JSON arguments. So an entry
 * continues the call at its index unless it brings another id, and an entry with neither index
 * nor id continues the latest call. Anything else starts a new call: undefined.
 */
import type { OpenaiToolCallDelta } from '@gatewayd/shared';

export function continuedToolCall<T>(call: OpenaiToolCallDelta, byIndex: ReadonlyMap<number, T>, idOf: (known: T) => string | undefined, latest: T | undefined): T | undefined {
  if (typeof call.index !== 'number') return call.id ? undefined : latest;
  const known = byIndex.get(call.index);
  if (known === undefined) return undefined;
  const knownId = idOf(known);
  return !call.id || !knownId || call.id === knownId ? known : undefined;
}
