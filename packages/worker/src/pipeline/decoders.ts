/**
 * Provider stream -> hub chunks, one class per upstream wire format. Each owns an SseParser (bytes
 * to events) and the provider's pure stream transform (events to OpenAI chunks).
 */
import type { ChatCompletionChunk, OpenaiFinishReason, OpenaiUsage } from '@gatewayd/shared';
import { AnthropicToOpenaiStream } from '../providers/anthropic/stream-to-openai.js';
import { GeminiToOpenaiStream } from '../providers/gemini/stream.js';
import { UpstreamStreamError } from '../protocol/errors.js';
import { hubChunk } from '../protocol/reasoning.js';
import { checkOpenaiChunk, requireEventObject } from '../protocol/answer-shape.js';
import { SseParser, type SseEvent } from '../protocol/sse/parser.js';
import type { HubStreamDecoder } from './adapter.js';

/**
 * OpenAI-compatible SSE (OpenAI, vLLM, llama.cpp, Ollama, the mock): chunks are already hub chunks,
 * except that a `reasoning` delta is renamed `reasoning_content`.
 */
export class OpenaiSseDecoder implements HubStreamDecoder {
  private readonly parser = new SseParser();
  private sawDone = false;
  private finish: OpenaiFinishReason | null = null;
  usage: OpenaiUsage | undefined;
  chunkEvents = 0;

  /** [DONE], or EOF after a finish_reason (servers that omit [DONE]). */
  get complete(): boolean {
    return this.sawDone || this.finish !== null;
  }

  get ended(): boolean {
    return this.sawDone;
  }

  push(chunk: Buffer): ChatCompletionChunk[] {
    return this.take(this.parser.push(chunk));
  }

  end(): ChatCompletionChunk[] {
    return this.take(this.parser.end());
  }

  private take(events: SseEvent[]): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    for (const event of events) {
      if (this.sawDone) break;
      if (event.data === '[DONE]') {
        this.sawDone = true;
        break;
      }
      const chunk = requireEventObject(JSON.parse(event.data)) as unknown as ChatCompletionChunk & { error?: { message?: string; type?: string } };
      if (chunk.error) throw new UpstreamStreamError(chunk.error.type ?? 'api_error', chunk.error.message ?? 'upstream stream error');
      checkOpenaiChunk(chunk as unknown as Record<string, unknown>);
      if (chunk.usage) this.usage = chunk.usage;
      else this.chunkEvents++;
      const finish = chunk.choices?.[0]?.finish_reason;
      if (finish) this.finish = finish;
      out.push(hubChunk(chunk));
    }
    return out;
  }
}

export class AnthropicSseDecoder implements HubStreamDecoder {
  private readonly parser = new SseParser();
  private readonly stream: AnthropicToOpenaiStream;

  /** `jsonTool`: the forced tool carrying a JSON answer (jsonOutputToolOf), if the request has one. */
  constructor(created: number, jsonTool?: string) {
    // Usage is always produced; the caller's encoder drops it when it was not asked for.
    this.stream = new AnthropicToOpenaiStream({ created, includeUsage: true, jsonTool });
  }

  get complete(): boolean {
    return this.stream.done;
  }

  /** message_stop. */
  get ended(): boolean {
    return this.stream.done;
  }

  get usage(): OpenaiUsage | undefined {
    return this.stream.usage;
  }

  push(chunk: Buffer): ChatCompletionChunk[] {
    return this.take(this.parser.push(chunk));
  }

  end(): ChatCompletionChunk[] {
    return this.take(this.parser.end());
  }

  private take(events: SseEvent[]): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    for (const event of events) {
      if (event.event === 'ping' || this.stream.done) continue;
      for (const chunk of this.stream.pushData(event.data)) out.push(chunk);
    }
    return out;
  }
}

/** Gemini `streamGenerateContent?alt=sse`: no end marker, so EOF after a finishReason completes it. */
export class GeminiSseDecoder implements HubStreamDecoder {
  private readonly parser = new SseParser();
  private readonly stream: GeminiToOpenaiStream;

  constructor(model: string, created: number) {
    this.stream = new GeminiToOpenaiStream({ model, created, includeUsage: true });
  }

  get complete(): boolean {
    return this.stream.finishReason !== null;
  }

  get usage(): OpenaiUsage | undefined {
    return this.stream.usage;
  }

  push(chunk: Buffer): ChatCompletionChunk[] {
    return this.take(this.parser.push(chunk));
  }

  end(): ChatCompletionChunk[] {
    const out = this.take(this.parser.end());
    // Closing chunks (finish, usage) only for a stream that really finished.
    if (this.complete) for (const chunk of this.stream.end()) out.push(chunk);
    return out;
  }

  private take(events: SseEvent[]): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    for (const event of events) for (const chunk of this.stream.pushData(event.data)) out.push(chunk);
    return out;
  }
}
