/**
 * Gemini `streamGenerateContent?alt=sse` chunks in -> OpenAI chat.completion.chunk objects out.
 * Gemini sends function calls whole (never split across chunks), so each becomes one tool_calls
 * delta with its full arguments, a stable id and the next index. Thought parts become
 * `reasoning_content`. There is no [DONE]: the caller
 * calls end() at EOF, which emits the usage chunk (if asked) and marks the stream done. Only
 * candidate 0 is streamed.
 */
import type {
  ChatCompletionChunk,
  ChatCompletionDelta,
  GeminiGenerateContentResponse,
  GeminiUsageMetadata,
  OpenaiFinishReason,
  OpenaiUsage,
} from '@gatewayd/shared';
import { UpstreamStreamError } from '../../protocol/errors.js';
import { freshResponseKey, geminiFinishToOpenai, geminiUsageToOpenai } from './mapping.js';
import { candidateContent } from './response.js';
import { checkGeminiAnswer, requireEventObject } from '../../protocol/answer-shape.js';

export interface GeminiToOpenaiStreamOptions {
  model: string;
  created?: number;
  includeUsage?: boolean;
  /** Chunk id; defaults to `chatcmpl-<responseId>`. */
  id?: string;
}

export class GeminiToOpenaiStream {
  private readonly options: GeminiToOpenaiStreamOptions;
  private id: string | undefined;
  private responseKey = 'gemini';
  private sentRole = false;
  private toolCallCount = 0;
  private lastUsage: GeminiUsageMetadata | undefined;
  private finish: OpenaiFinishReason | null = null;
  private ended = false;

  constructor(options: GeminiToOpenaiStreamOptions) {
    this.options = options;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Null until Gemini sent a finishReason: EOF before that is a truncated stream. */
  get finishReason(): OpenaiFinishReason | null {
    return this.finish;
  }

  get usage(): OpenaiUsage | undefined {
    return this.lastUsage ? geminiUsageToOpenai(this.lastUsage) : undefined;
  }

  pushData(data: string): ChatCompletionChunk[] {
    return this.push(requireEventObject(JSON.parse(data)) as GeminiGenerateContentResponse);
  }

  push(chunk: GeminiGenerateContentResponse): ChatCompletionChunk[] {
    const maybeError = (chunk as { error?: { status?: string; message?: string } }).error;
    if (maybeError) throw new UpstreamStreamError(maybeError.status ?? 'UNKNOWN', maybeError.message ?? 'upstream stream error');
    checkGeminiAnswer(chunk);
    if (this.id === undefined) {
      // Without a responseId a fresh key: tool-call ids must differ across turns.
      this.responseKey = chunk.responseId ?? this.options.id ?? freshResponseKey();
      this.id = this.options.id ?? `chatcmpl-${chunk.responseId ?? this.responseKey}`;
    }
    if (chunk.usageMetadata) this.lastUsage = chunk.usageMetadata;
    const out: ChatCompletionChunk[] = [];
    const candidate = chunk.candidates?.find((c) => (c.index ?? 0) === 0);
    if (!candidate) {
      if (chunk.promptFeedback?.blockReason && this.finish === null) {
        this.finish = 'content_filter';
        out.push(this.chunk(this.roleDelta({}), this.finish));
      }
      return out;
    }
    const { text, reasoning, toolCalls } = candidateContent(candidate, () => this.toolCallCount++, this.responseKey);
    if (text || reasoning || toolCalls.length > 0) {
      const delta: ChatCompletionDelta = {};
      if (reasoning) delta.reasoning_content = reasoning;
      if (text) delta.content = text;
      if (toolCalls.length > 0) {
        const first = this.toolCallCount - toolCalls.length;
        delta.tool_calls = toolCalls.map((call, i) => ({ index: first + i, ...call }));
      }
      out.push(this.chunk(this.roleDelta(delta)));
    }
    if (candidate.finishReason && this.finish === null) {
      this.finish = geminiFinishToOpenai(candidate.finishReason, this.toolCallCount > 0);
      out.push(this.chunk(this.roleDelta({}), this.finish));
    }
    return out;
  }

  /** EOF of the upstream stream. Idempotent. */
  end(): ChatCompletionChunk[] {
    if (this.ended) return [];
    this.ended = true;
    const out: ChatCompletionChunk[] = [];
    if (this.finish === null) {
      this.finish = this.toolCallCount > 0 ? 'tool_calls' : 'stop';
      out.push(this.chunk(this.roleDelta({}), this.finish));
    }
    if (this.options.includeUsage) {
      out.push({ id: this.id ?? 'chatcmpl-gemini', object: 'chat.completion.chunk', created: this.options.created ?? 0, model: this.options.model, choices: [], usage: this.usage ?? null });
    }
    return out;
  }

  /** The first delta of the stream carries role "assistant". */
  private roleDelta(delta: ChatCompletionDelta): ChatCompletionDelta {
    if (this.sentRole) return delta;
    this.sentRole = true;
    return { role: 'assistant', ...delta };
  }

  private chunk(delta: ChatCompletionDelta, finish: OpenaiFinishReason | null = null): ChatCompletionChunk {
    return {
      id: this.id ?? 'chatcmpl-gemini',
      object: 'chat.completion.chunk',
      created: this.options.created ?? 0,
      model: this.options.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
  }
}
