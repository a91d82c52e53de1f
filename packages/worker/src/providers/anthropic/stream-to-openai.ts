/**
 * Anthropic SSE events in -> OpenAI chat.completion.chunk objects out (for an OpenAI client served by
 * an Anthropic provider). One instance per stream; all state lives in the instance. The caller
 * encodes the chunks, and writes `data: [DONE]` once `done` is true.
 */
import type {
  AnthropicStreamEvent,
  AnthropicUsage,
  ChatCompletionChunk,
  ChatCompletionDelta,
  OpenaiFinishReason,
  OpenaiUsage,
} from '@gatewayd/shared';
import { UpstreamStreamError } from '../../protocol/errors.js';
import { checkAnthropicBlock, isObject, requireEventObject, requireObject, requireString } from '../../protocol/answer-shape.js';
import { anthropicStopToOpenaiFinish, anthropicUsageToOpenai } from './mapping.js';

export interface AnthropicToOpenaiStreamOptions {
  /** Unix seconds for every chunk's `created` (the caller owns the clock). */
  created?: number;
  /** Emit the final usage-only chunk (`stream_options.include_usage`). */
  includeUsage?: boolean;
  /** Overrides the model name reported to the caller. */
  model?: string;
  /** The forced tool that carries a JSON answer: its input streams as the text. */
  jsonTool?: string;
}

type BlockKind = 'text' | 'tool' | 'json' | 'thinking' | 'other';

/** The events of a message: none may come before its message_start. */
const MESSAGE_EVENTS: ReadonlySet<string> = new Set(['content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);

export class AnthropicToOpenaiStream {
  private id = 'msg_gateway';
  private model: string;
  private readonly created: number;
  private readonly includeUsage: boolean;
  /** Anthropic block index -> its kind and, for tool_use blocks, the OpenAI tool_calls index. */
  private readonly blocks = new Map<number, { kind: BlockKind; toolIndex: number; sentArguments?: boolean }>();
  private nextToolIndex = 0;
  private usageSoFar: Partial<AnthropicUsage> = {};
  private sawUsage = false;
  private finish: OpenaiFinishReason | null = null;
  private finished = false;
  private started = false;
  private readonly jsonTool: string | undefined;
  private answeredByJsonTool = false;

  constructor(options: AnthropicToOpenaiStreamOptions = {}) {
    this.created = options.created ?? 0;
    this.includeUsage = options.includeUsage ?? false;
    this.model = options.model ?? '';
    this.jsonTool = options.jsonTool;
  }

  /** True once message_stop was seen: the stream completed normally. */
  get done(): boolean {
    return this.finished;
  }

  get finishReason(): OpenaiFinishReason | null {
    return this.finish;
  }

  /** Usage in OpenAI terms, known once message_start arrived (final after message_delta). */
  get usage(): OpenaiUsage | undefined {
    return this.sawUsage ? anthropicUsageToOpenai(this.usageSoFar) : undefined;
  }

  /** Parses one SSE `data:` payload and transforms it. */
  pushData(data: string): ChatCompletionChunk[] {
    return this.push(requireEventObject(JSON.parse(data)) as unknown as AnthropicStreamEvent);
  }

  /**
   * Throws UpstreamStreamError on an error event, and an Error naming what is wrong for an event the
   * translation cannot read (a field null or of another type, a block never started, an event
   * before message_start): an answer the caller would otherwise get empty or cut without a word.
   */
  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    if (!this.started && MESSAGE_EVENTS.has(event.type)) throw new Error(`a ${event.type} event came before message_start`);
    switch (event.type) {
      case 'message_start': {
        const message = requireObject(event.message, 'message_start.message', 'a message');
        this.started = true;
        this.id = typeof message.id === 'string' ? message.id : this.id;
        if (!this.model && typeof message.model === 'string') this.model = message.model;
        this.usageSoFar = isObject(message.usage) ? { ...message.usage } : {};
        this.sawUsage = true;
        return [this.chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        checkAnthropicBlock(event.content_block, 'content_block_start.content_block');
        const block = event.content_block;
        if (block.type === 'text') {
          this.blocks.set(event.index, { kind: 'text', toolIndex: -1 });
          return block.text ? [this.chunk({ content: block.text })] : [];
        }
        if (block.type === 'tool_use' && this.jsonTool !== undefined && block.name === this.jsonTool) {
          // One JSON document: a second call (which disable_parallel_tool_use forbids) is left out.
          if (this.answeredByJsonTool) {
            this.blocks.set(event.index, { kind: 'other', toolIndex: -1 });
            return [];
          }
          this.answeredByJsonTool = true;
          const input = block.input !== null && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
          this.blocks.set(event.index, { kind: 'json', toolIndex: -1, sentArguments: input !== '' });
          return input ? [this.chunk({ content: input })] : [];
        }
        if (block.type === 'tool_use') {
          const toolIndex = this.nextToolIndex++;
          // Anthropic starts with `input: {}` and streams the JSON; a compatible server may put the
          // whole input here instead: it is the first part of the arguments then.
          const input = block.input !== null && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
          this.blocks.set(event.index, { kind: 'tool', toolIndex, sentArguments: input !== '' });
          return [this.chunk({ tool_calls: [{ index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: input } }] })];
        }
        if (block.type === 'thinking') {
          this.blocks.set(event.index, { kind: 'thinking', toolIndex: -1 });
          return block.thinking ? [this.chunk({ reasoning_content: block.thinking })] : [];
        }
        // redacted_thinking: encrypted, nothing to show.
        this.blocks.set(event.index, { kind: 'other', toolIndex: -1 });
        return [];
      }
      case 'content_block_delta': {
        const block = this.blocks.get(event.index);
        if (block === undefined) throw new Error(`a content_block_delta came for block ${String(event.index)}, which no content_block_start opened`);
        const delta = requireObject(event.delta, 'content_block_delta.delta', 'a delta') as unknown as typeof event.delta;
        if (delta.type === 'text_delta') requireString(delta.text, 'text_delta.text', 'text');
        else if (delta.type === 'input_json_delta') requireString(delta.partial_json, 'input_json_delta.partial_json', 'a string');
        else if (delta.type === 'thinking_delta') requireString(delta.thinking, 'thinking_delta.thinking', 'text');
        if (delta.type === 'text_delta' && block.kind === 'text') return delta.text ? [this.chunk({ content: delta.text })] : [];
        if (delta.type === 'input_json_delta' && block.kind === 'tool' && delta.partial_json) {
          block.sentArguments = true;
          return [this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: delta.partial_json } }] })];
        }
        if (delta.type === 'input_json_delta' && block.kind === 'json' && delta.partial_json) {
          block.sentArguments = true;
          return [this.chunk({ content: delta.partial_json })];
        }
        if (delta.type === 'thinking_delta' && block.kind === 'thinking') return delta.thinking ? [this.chunk({ reasoning_content: delta.thinking })] : [];
        // signature_delta, citations_delta: no OpenAI Chat equivalent.
        return [];
      }
      case 'message_delta': {
        const delta = requireObject(event.delta, 'message_delta.delta', 'a delta') as typeof event.delta;
        this.finish = this.answeredByJsonTool && delta.stop_reason === 'tool_use' ? 'stop' : anthropicStopToOpenaiFinish(delta.stop_reason);
        // Anthropic always reports usage here; a compatible server that does not leaves it as it was.
        const usage = isObject(event.usage) ? event.usage : { output_tokens: this.usageSoFar.output_tokens ?? 0 };
        this.usageSoFar.output_tokens = usage.output_tokens;
        if (usage.input_tokens != null) this.usageSoFar.input_tokens = usage.input_tokens;
        if (usage.cache_read_input_tokens != null) this.usageSoFar.cache_read_input_tokens = usage.cache_read_input_tokens;
        if (usage.cache_creation_input_tokens != null) this.usageSoFar.cache_creation_input_tokens = usage.cache_creation_input_tokens;
        this.sawUsage = true;
        return [this.chunk({}, this.finish)];
      }
      case 'message_stop': {
        this.finished = true;
        if (!this.includeUsage) return [];
        return [{ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: this.usage ?? null }];
      }
      case 'content_block_stop': {
        // A tool without parameters streams no JSON at all (only an empty partial_json): its
        // arguments are "{}", as in the plain answer; "" breaks clients that parse them.
        const block = this.blocks.get(event.index);
        if ((block?.kind !== 'tool' && block?.kind !== 'json') || block.sentArguments) return [];
        block.sentArguments = true;
        if (block.kind === 'json') return [this.chunk({ content: '{}' })];
        return [this.chunk({ tool_calls: [{ index: block.toolIndex, function: { arguments: '{}' } }] })];
      }
      case 'error': {
        const error: { type?: unknown; message?: unknown } = isObject(event.error) ? event.error : {};
        throw new UpstreamStreamError(typeof error.type === 'string' ? error.type : 'api_error', typeof error.message === 'string' ? error.message : 'upstream stream error');
      }
      default:
        // ping and event types added later carry nothing for OpenAI.
        return [];
    }
  }

  private chunk(delta: ChatCompletionDelta, finish: OpenaiFinishReason | null = null): ChatCompletionChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }
}
