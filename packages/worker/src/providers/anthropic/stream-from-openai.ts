/**
 * OpenAI chat.completion.chunk objects in -> strict Anthropic stream events out (for an Anthropic
 * client served by an OpenAI-compatible or Gemini provider).
 *
 * Guarantees: message_start first; each reasoning run (`reasoning_content`, a thinking block with an
 * empty signature), text run and tool call is its own block, with indexes 0, 1, 2, ... and the open
 * block closed before the next opens (reasoning after text closes the text block and opens a new
 * thinking block); then one message_delta (stop reason + usage) and message_stop. Nothing after.
 * No [DONE].
 *
 * Limitation: a tool call whose arguments resume after another call has started (interleaved
 * deltas, which no known server sends) cannot reopen its closed block; those late argument
 * fragments are dropped and counted in `droppedToolDeltas`.
 */
import type {
  AnthropicStreamEvent,
  ChatCompletionChunk,
  OpenaiToolCallDelta,
  OpenaiFinishReason,
  OpenaiUsage,
} from '@gatewayd/shared';
import { UpstreamStreamError } from '../../protocol/errors.js';
import { reasoningOf } from '../../protocol/reasoning.js';
import { JsonObjectPrefix } from '../../protocol/json-object-prefix.js';
import { continuedToolCall } from '../../protocol/tool-call-deltas.js';
import { outputTokensOfChars } from '../../protocol/tokens.js';
import { anthropicToolIdFor, estimatedAnthropicUsage, openaiUsageToAnthropic } from './mapping.js';
import { anthropicMessageId, anthropicStop } from './response.js';

export interface OpenaiToAnthropicStreamOptions {
  /** Overrides the model name reported to the caller. */
  model?: string;
  /** Estimated input tokens for message_start (OpenAI reports usage only at the end). */
  inputTokensEstimate?: number;
}

type OpenBlock = { kind: 'text' | 'thinking' | 'tool'; index: number };
/** `args`: checks the streamed arguments add up to an object (see JsonObjectPrefix); null before any. */
type ToolBlock = { block: number; id: string | undefined; args: JsonObjectPrefix | null };

export class OpenaiToAnthropicStream {
  private readonly options: OpenaiToAnthropicStreamOptions;
  private started = false;
  private ended = false;
  private messageId = 'msg_gateway';
  private nextBlockIndex = 0;
  private open: OpenBlock | undefined;
  /** OpenAI tool_calls index -> the Anthropic block it feeds and the call id that opened it. */
  private readonly toolBlocks = new Map<number, ToolBlock>();
  private toolBlockCount = 0;
  /** The latest tool block: where an entry with neither index nor id belongs. */
  private lastToolBlock: ToolBlock | undefined;
  private finish: OpenaiFinishReason | null = null;
  private vllmStopReason: string | number | null = null;
  private upstreamUsage: OpenaiUsage | undefined;
  /** Characters streamed, for an output estimate when the upstream sends no usage. */
  private outputChars = 0;
  droppedToolDeltas = 0;

  constructor(options: OpenaiToAnthropicStreamOptions = {}) {
    this.options = options;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Null until the upstream sent a finish_reason: EOF before it is a truncated stream. */
  get finishReason(): OpenaiFinishReason | null {
    return this.finish;
  }

  /** The upstream's usage (OpenAI terms) if it sent one. */
  get usage(): OpenaiUsage | undefined {
    return this.upstreamUsage;
  }

  /** One SSE `data:` payload: `[DONE]` ends the message, anything else is a chunk. */
  pushData(data: string): AnthropicStreamEvent[] {
    if (data === '[DONE]') return this.end();
    return this.push(JSON.parse(data) as ChatCompletionChunk);
  }

  push(chunk: ChatCompletionChunk): AnthropicStreamEvent[] {
    if (this.ended) return [];
    const maybeError = (chunk as unknown as { error?: { message?: string; type?: string } }).error;
    if (maybeError) throw new UpstreamStreamError(maybeError.type ?? 'api_error', maybeError.message ?? 'upstream stream error');
    // Azure opens with a prompt-filter chunk: no id, no model, no choices. message_start takes
    // its id and model from the first chunk that has them.
    if (!this.started && !chunk.id && !chunk.usage && (chunk.choices?.length ?? 0) === 0) return [];
    const events: AnthropicStreamEvent[] = [];
    this.start(events, chunk);
    if (chunk.usage) this.upstreamUsage = chunk.usage;
    // Some servers omit the index: such a choice is the only one.
    const choice = chunk.choices?.find((c) => c.index === 0 || c.index == null);
    if (!choice) return events;
    const delta = choice.delta ?? {};
    const reasoning = reasoningOf(delta);
    if (reasoning) this.thinking(events, reasoning);
    const text = (delta.content ?? '') + (delta.refusal ?? '');
    if (text) this.text(events, text);
    for (const call of delta.tool_calls ?? []) {
      const tool = this.toolBlockFor(call, events);
      const args = call.function?.arguments;
      if (!args) continue;
      if (this.open?.index !== tool.block) {
        this.droppedToolDeltas++;
        continue;
      }
      this.outputChars += args.length;
      // Broken arguments stop where they stop being JSON; close() finishes the object.
      const piece = (tool.args ??= new JsonObjectPrefix()).push(args);
      if (piece !== '') events.push({ type: 'content_block_delta', index: tool.block, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    if (choice.stop_reason != null) this.vllmStopReason = choice.stop_reason;
    return events;
  }

  /** The block a tool_calls entry feeds (see continuedToolCall), opened if new. */
  private toolBlockFor(call: OpenaiToolCallDelta, events: AnthropicStreamEvent[]): ToolBlock {
    const known = continuedToolCall(call, this.toolBlocks, (tool) => tool.id, this.lastToolBlock);
    if (known !== undefined) return known;
    this.close(events);
    const index = typeof call.index === 'number' ? call.index : undefined;
    const block = this.nextBlockIndex++;
    const tool: ToolBlock = { block, id: call.id, args: null };
    if (index !== undefined) this.toolBlocks.set(index, tool);
    this.toolBlockCount++;
    this.lastToolBlock = tool;
    this.open = { kind: 'tool', index: block };
    const id = anthropicToolIdFor(call.id, this.messageId, index ?? block);
    events.push({ type: 'content_block_start', index: block, content_block: { type: 'tool_use', id, name: call.function?.name ?? '', input: {} } });
    return tool;
  }

  /** End of the upstream stream ([DONE] or EOF after a finish_reason). Idempotent. */
  end(): AnthropicStreamEvent[] {
    if (this.ended) return [];
    const events: AnthropicStreamEvent[] = [];
    this.start(events, undefined);
    this.close(events);
    this.ended = true;
    const { stop_reason, stop_sequence } = anthropicStop(this.finish, this.vllmStopReason, this.toolBlockCount > 0);
    // Estimates when the upstream reported nothing, as for a plain answer (response.ts).
    const usage = this.upstreamUsage
      ? openaiUsageToAnthropic(this.upstreamUsage)
      : estimatedAnthropicUsage(this.options.inputTokensEstimate ?? 0, outputTokensOfChars(this.outputChars));
    events.push({
      type: 'message_delta',
      delta: { stop_reason, stop_sequence },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        output_tokens: usage.output_tokens,
      },
    });
    events.push({ type: 'message_stop' });
    return events;
  }

  private start(events: AnthropicStreamEvent[], chunk: ChatCompletionChunk | undefined): void {
    if (this.started) return;
    this.started = true;
    this.messageId = anthropicMessageId(chunk?.id);
    events.push({
      type: 'message_start',
      message: {
        id: this.messageId,
        type: 'message',
        role: 'assistant',
        model: this.options.model ?? chunk?.model ?? '',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: this.options.inputTokensEstimate ?? 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  private text(events: AnthropicStreamEvent[], text: string): void {
    if (this.open?.kind !== 'text') {
      this.close(events);
      const index = this.nextBlockIndex++;
      this.open = { kind: 'text', index };
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    }
    this.outputChars += text.length;
    events.push({ type: 'content_block_delta', index: this.open.index, delta: { type: 'text_delta', text } });
  }

  private thinking(events: AnthropicStreamEvent[], thinking: string): void {
    if (this.open?.kind !== 'thinking') {
      this.close(events);
      const index = this.nextBlockIndex++;
      this.open = { kind: 'thinking', index };
      events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    }
    this.outputChars += thinking.length;
    events.push({ type: 'content_block_delta', index: this.open.index, delta: { type: 'thinking_delta', thinking } });
  }

  private close(events: AnthropicStreamEvent[]): void {
    if (!this.open) return;
    // An open tool block is always the latest one (an earlier call's late deltas are dropped).
    const args = this.open.kind === 'tool' ? this.lastToolBlock?.args : null;
    const closing = args ? args.closing() : '';
    if (closing !== '') events.push({ type: 'content_block_delta', index: this.open.index, delta: { type: 'input_json_delta', partial_json: closing } });
    events.push({ type: 'content_block_stop', index: this.open.index });
    this.open = undefined;
  }
}
