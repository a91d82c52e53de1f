/**
 * JSON output asked for where the upstream cannot be made to give it (Claude without structured
 * outputs beside tools of the request's own, Gemini 2.5 and earlier with tools): an instruction at
 * the end of the system prompt, the same text for every provider. Not a guarantee.
 */
import type { ChatCompletionRequest } from '@gatewayd/shared';

/** The instruction for the request's response_format; undefined when it asks for no JSON. */
export function jsonOutputInstruction(format: ChatCompletionRequest['response_format']): string | undefined {
  if (format?.type !== 'json_object' && format?.type !== 'json_schema') return undefined;
  const schema = format.type === 'json_schema' && format.json_schema.schema ? ` matching this JSON Schema: ${JSON.stringify(format.json_schema.schema)}` : '';
  return `Respond with a single JSON object${schema}. Output only the JSON, with no other text and no code fences.`;
}
