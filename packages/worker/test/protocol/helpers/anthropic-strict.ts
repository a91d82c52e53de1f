/**
 * Strictness checker for Anthropic SSE event sequences, as the official SDK and the API reference
 * expect them: message_start first; content blocks indexed 0, 1, 2, ... without gaps or overlap;
 * deltas only for the open block and of its kind; every start has its stop; exactly one
 * message_delta after the last block, then message_stop, then nothing. `ping` is allowed after
 * message_start. Returns the list of violations (empty when the sequence is valid).
 */
import type { AnthropicStreamEvent } from '@gatewayd/shared';

const DELTA_FOR_BLOCK: Record<string, string[]> = {
  text: ['text_delta', 'citations_delta'],
  tool_use: ['input_json_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
  redacted_thinking: [],
};

export function anthropicSequenceViolations(events: AnthropicStreamEvent[]): string[] {
  const problems: string[] = [];
  let nextIndex = 0;
  let open: { index: number; type: string; json: string } | undefined;
  let sawDelta = false;
  let stopped = false;
  events.forEach((event, at) => {
    const where = `event ${at} (${event.type})`;
    if (at === 0 && event.type !== 'message_start') problems.push(`${where}: first event must be message_start`);
    if (stopped) problems.push(`${where}: event after message_stop`);
    switch (event.type) {
      case 'message_start':
        if (at !== 0) problems.push(`${where}: message_start must be first and unique`);
        if (event.message.content.length !== 0) problems.push(`${where}: message_start content must be empty`);
        break;
      case 'content_block_start':
        if (sawDelta) problems.push(`${where}: block after message_delta`);
        if (open) problems.push(`${where}: block ${event.index} starts while ${open.index} is open`);
        if (event.index !== nextIndex) problems.push(`${where}: index ${event.index}, expected ${nextIndex}`);
        if (event.content_block.type === 'tool_use' && Object.keys(event.content_block.input).length !== 0) problems.push(`${where}: tool_use must start with input {}`);
        if (event.content_block.type === 'text' && event.content_block.text !== '') problems.push(`${where}: text block must start empty`);
        open = { index: event.index, type: event.content_block.type, json: '' };
        nextIndex = event.index + 1;
        break;
      case 'content_block_delta':
        if (!open || open.index !== event.index) problems.push(`${where}: delta for block ${event.index}, which is not open`);
        else if (!(DELTA_FOR_BLOCK[open.type] ?? []).includes(event.delta.type)) problems.push(`${where}: ${event.delta.type} in a ${open.type} block`);
        else if (event.delta.type === 'input_json_delta') open.json += event.delta.partial_json;
        break;
      case 'content_block_stop':
        if (!open || open.index !== event.index) problems.push(`${where}: stop for block ${event.index}, which is not open`);
        else if (open.type === 'tool_use' && open.json !== '') {
          try {
            const input: unknown = JSON.parse(open.json);
            if (typeof input !== 'object' || input === null || Array.isArray(input)) problems.push(`${where}: tool input is not a JSON object`);
          } catch {
            problems.push(`${where}: tool input is not valid JSON: ${open.json}`);
          }
        }
        open = undefined;
        break;
      case 'message_delta':
        if (open) problems.push(`${where}: message_delta while block ${open.index} is open`);
        if (sawDelta) problems.push(`${where}: second message_delta`);
        if (typeof event.usage?.output_tokens !== 'number') problems.push(`${where}: usage.output_tokens missing`);
        if (!event.delta.stop_reason) problems.push(`${where}: stop_reason missing`);
        sawDelta = true;
        break;
      case 'message_stop':
        if (!sawDelta) problems.push(`${where}: message_stop before message_delta`);
        stopped = true;
        break;
      case 'ping':
        break;
      case 'error':
        problems.push(`${where}: error event`);
        break;
      default:
        problems.push(`${where}: unknown event type`);
    }
  });
  if (!stopped) problems.push('stream does not end with message_stop');
  return problems;
}
