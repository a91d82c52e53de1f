/**
 * A cached complete answer replayed as the SSE stream the caller's protocol defines, framed with
 * the same encoders the translated streams use (protocol/sse):
 * - OpenAI chat: per choice a role chunk, a reasoning chunk (`reasoning_content` and/or `reasoning`,
 *   as the upstream named it), a content (or refusal) chunk, a tool_calls chunk, a
 *   finish chunk; then a usage chunk (choices: []) only with stream_options.include_usage, whose
 *   other chunks then carry "usage": null, as OpenAI does; then [DONE].
 * - OpenAI legacy completions: a text chunk and a finish chunk per choice, usage as above, [DONE].
 * - Anthropic: message_start, then per block content_block_start / _delta / _stop, message_delta
 *   (stop reason and usage), message_stop.
 */
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicStreamEvent,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionResponse,
  CompletionResponse,
  OpenaiToolCallDelta,
} from '@gatewayd/shared';
import { encodeAnthropicEvent, encodeOpenaiChunk, OPENAI_DONE } from '../protocol/sse/index.js';

export function replayChat(answer: ChatCompletionResponse, includeUsage: boolean): string {
  const envelope = (choices: ChatCompletionChunkChoice[]): ChatCompletionChunk => {
    const chunk: ChatCompletionChunk = { id: answer.id, object: 'chat.completion.chunk', created: answer.created, model: answer.model, choices };
    if (answer.system_fingerprint !== undefined) chunk.system_fingerprint = answer.system_fingerprint;
    if (includeUsage) chunk.usage = null;
    return chunk;
  };
  let out = '';
  for (const choice of answer.choices) {
    const { index, message } = choice;
    out += encodeOpenaiChunk(envelope([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') {
      out += encodeOpenaiChunk(envelope([{ index, delta: { reasoning_content: message.reasoning_content }, logprobs: null, finish_reason: null }]));
    }
    if (typeof message.reasoning === 'string' && message.reasoning !== '') {
      out += encodeOpenaiChunk(envelope([{ index, delta: { reasoning: message.reasoning }, logprobs: null, finish_reason: null }]));
    }
    if (typeof message.content === 'string' && message.content !== '') {
      out += encodeOpenaiChunk(envelope([{ index, delta: { content: message.content }, logprobs: null, finish_reason: null }]));
    }
    if (typeof message.refusal === 'string' && message.refusal !== '') {
      out += encodeOpenaiChunk(envelope([{ index, delta: { refusal: message.refusal }, logprobs: null, finish_reason: null }]));
    }
    if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
      const toolCalls = message.tool_calls.map((call, i): OpenaiToolCallDelta =>
        call.type === 'custom'
          ? { index: i, id: call.id, type: 'custom', custom: { name: call.custom.name, input: call.custom.input } }
          : { index: i, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } },
      );
      out += encodeOpenaiChunk(envelope([{ index, delta: { tool_calls: toolCalls }, logprobs: null, finish_reason: null }]));
    }
    const finish: ChatCompletionChunkChoice = { index, delta: {}, logprobs: null, finish_reason: choice.finish_reason };
    if (choice.stop_reason !== undefined) finish.stop_reason = choice.stop_reason;
    out += encodeOpenaiChunk(envelope([finish]));
  }
  if (includeUsage && answer.usage !== undefined) out += encodeOpenaiChunk({ ...envelope([]), usage: answer.usage });
  return out + OPENAI_DONE;
}

export function replayCompletion(answer: CompletionResponse, includeUsage: boolean): string {
  const envelope = (choices: CompletionResponse['choices']): CompletionResponse => {
    const chunk: CompletionResponse = { id: answer.id, object: 'text_completion', created: answer.created, model: answer.model, choices };
    if (answer.system_fingerprint !== undefined) chunk.system_fingerprint = answer.system_fingerprint;
    if (includeUsage) chunk.usage = null;
    return chunk;
  };
  let out = '';
  for (const choice of answer.choices) {
    out += encodeOpenaiChunk(envelope([{ text: choice.text, index: choice.index, logprobs: null, finish_reason: null }]));
    out += encodeOpenaiChunk(envelope([{ text: '', index: choice.index, logprobs: null, finish_reason: choice.finish_reason }]));
  }
  if (includeUsage && answer.usage) out += encodeOpenaiChunk({ ...envelope([]), usage: answer.usage });
  return out + OPENAI_DONE;
}

/** The empty shell content_block_start announces; the deltas carry the rest. */
function blockShell(block: AnthropicContentBlock): AnthropicContentBlock {
  switch (block.type) {
    case 'text':
      return block.citations ? { type: 'text', text: '', citations: [] } : { type: 'text', text: '' };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    default:
      return block; // redacted_thinking comes whole in its start event
  }
}

function blockDeltas(block: AnthropicContentBlock, index: number): AnthropicStreamEvent[] {
  switch (block.type) {
    case 'text': {
      const events: AnthropicStreamEvent[] = [];
      if (block.text !== '') events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
      for (const citation of block.citations ?? []) events.push({ type: 'content_block_delta', index, delta: { type: 'citations_delta', citation } });
      return events;
    }
    case 'tool_use':
      return [{ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) } }];
    case 'thinking': {
      const events: AnthropicStreamEvent[] = [{ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } }];
      if (block.signature) events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
      return events;
    }
    default:
      return [];
  }
}

export function replayAnthropic(answer: AnthropicMessage): string {
  const usage = answer.usage;
  const startUsage = { ...usage, output_tokens: 0 };
  let out = encodeAnthropicEvent({ type: 'message_start', message: { ...answer, content: [], stop_reason: null, stop_sequence: null, usage: startUsage } });
  answer.content.forEach((block, index) => {
    out += encodeAnthropicEvent({ type: 'content_block_start', index, content_block: blockShell(block) });
    for (const event of blockDeltas(block, index)) out += encodeAnthropicEvent(event);
    out += encodeAnthropicEvent({ type: 'content_block_stop', index });
  });
  out += encodeAnthropicEvent({
    type: 'message_delta',
    delta: { stop_reason: answer.stop_reason, stop_sequence: answer.stop_sequence },
    usage: {
      output_tokens: usage.output_tokens,
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
    },
  });
  return out + encodeAnthropicEvent({ type: 'message_stop' });
}
