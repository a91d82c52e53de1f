/**
 * Folds the Anthropic event stream a caller received into the Message a plain request would have
 * got, for the response cache. Returns null unless the stream is complete and well formed:
 * message_start first, every block closed, a stop_reason, message_stop, no error event.
 */
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStreamEvent } from '@gatewayd/shared';
import type { SseEvent } from '../protocol/sse/index.js';

interface OpenBlock {
  block: AnthropicContentBlock;
  /** tool_use input arrives as JSON text in pieces. */
  json: string;
  closed: boolean;
}

function parse(event: SseEvent): AnthropicStreamEvent | null {
  try {
    const value: unknown = JSON.parse(event.data);
    return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' ? (value as AnthropicStreamEvent) : null;
  } catch {
    return null;
  }
}

export function assembleAnthropic(events: readonly SseEvent[]): AnthropicMessage | null {
  let message: AnthropicMessage | null = null;
  const blocks: OpenBlock[] = [];
  let stopped = false;
  for (const raw of events) {
    if (raw.data === '') continue;
    const event = parse(raw);
    if (event === null || stopped) return null;
    switch (event.type) {
      case 'message_start':
        if (message !== null) return null;
        message = { ...event.message, content: [], usage: { ...event.message.usage } };
        break;
      case 'content_block_start':
        if (message === null || blocks[event.index] !== undefined) return null;
        blocks[event.index] = { block: { ...event.content_block } as AnthropicContentBlock, json: '', closed: false };
        break;
      case 'content_block_delta': {
        const open = blocks[event.index];
        if (open === undefined || open.closed || !applyDelta(open, event.delta)) return null;
        break;
      }
      case 'content_block_stop': {
        const open = blocks[event.index];
        if (open === undefined || open.closed) return null;
        open.closed = true;
        if (open.block.type === 'tool_use' && open.json !== '') {
          try {
            open.block.input = JSON.parse(open.json) as Record<string, unknown>;
          } catch {
            return null;
          }
        }
        break;
      }
      case 'message_delta':
        if (message === null) return null;
        message.stop_reason = event.delta.stop_reason;
        message.stop_sequence = event.delta.stop_sequence;
        for (const [name, value] of Object.entries(event.usage)) if (value !== null && value !== undefined) (message.usage as unknown as Record<string, unknown>)[name] = value;
        break;
      case 'message_stop':
        stopped = true;
        break;
      case 'ping':
        break;
      default:
        return null; // error events and anything unknown: not a clean answer
    }
  }
  if (message === null || !stopped || message.stop_reason === null) return null;
  for (let index = 0; index < blocks.length; index++) {
    const open = blocks[index];
    if (open === undefined || !open.closed) return null;
    message.content.push(open.block);
  }
  return message;
}

function applyDelta(open: OpenBlock, delta: Extract<AnthropicStreamEvent, { type: 'content_block_delta' }>['delta']): boolean {
  const block = open.block;
  switch (delta.type) {
    case 'text_delta':
      if (block.type !== 'text') return false;
      block.text += delta.text;
      return true;
    case 'input_json_delta':
      if (block.type !== 'tool_use') return false;
      open.json += delta.partial_json;
      return true;
    case 'thinking_delta':
      if (block.type !== 'thinking') return false;
      block.thinking += delta.thinking;
      return true;
    case 'signature_delta':
      if (block.type !== 'thinking') return false;
      block.signature = (block.signature ?? '') + delta.signature;
      return true;
    case 'citations_delta':
      if (block.type !== 'text') return false;
      block.citations = [...(block.citations ?? []), delta.citation];
      return true;
    default:
      return false;
  }
}
