/**
 * OpenAI wire fixtures for the bench: the request every leg sends, the fixed non-stream answer
 * the nginx upstream returns, and the chunks of the streaming mock (framed as api.openai.com does).
 */

export const UPSTREAM_MODEL = 'gpt-4o-mini';
export const GATEWAY_MODEL = 'bench';

/** `user` of a streamed request the streaming mock answers without delays (sse-upstream-main.ts). */
export const WARMUP_USER = 'bench-warmup';

export function chatRequest(model: string, stream: boolean, includeUsage = false): Record<string, unknown> {
  return {
    model,
    stream,
    ...(stream && includeUsage ? { stream_options: { include_usage: true } } : {}),
    max_tokens: 64,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Say hello to the benchmark.' },
    ],
  };
}

/** A real-looking chat.completion; no `$` or `'` so it can sit in an nginx `return` directive. */
export const CHAT_COMPLETION_BODY = JSON.stringify({
  id: 'chatcmpl-BenchFixed0000000000000000001',
  object: 'chat.completion',
  created: 1735689600,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello, benchmark! How can I help you today?', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 23,
    completion_tokens: 11,
    total_tokens: 34,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_bench00001',
});

interface ChunkBase {
  id: string;
  created: number;
  includeUsage: boolean;
}

function chunk(base: ChunkBase, choices: unknown[], usage?: unknown): string {
  const body: Record<string, unknown> = {
    id: base.id,
    object: 'chat.completion.chunk',
    created: base.created,
    model: 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: 'fp_bench00001',
    choices,
  };
  // With include_usage, OpenAI puts "usage": null on every chunk and a final usage-only chunk.
  if (base.includeUsage) body.usage = usage ?? null;
  return `data: ${JSON.stringify(body)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function roleChunk(base: ChunkBase): string {
  return chunk(base, [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
}

/**
 * A content chunk whose text carries the upstream's send time (process.hrtime, CLOCK_MONOTONIC,
 * shared by every process on the host), so a client measures each chunk's one-way delay exactly.
 */
export function contentChunk(base: ChunkBase, index: number, sentNs: bigint): string {
  return chunk(base, [{ index: 0, delta: { content: ` t${index}@${sentNs}` }, logprobs: null, finish_reason: null }]);
}

export function finishChunk(base: ChunkBase): string {
  return chunk(base, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
}

export function usageChunk(base: ChunkBase, completionTokens: number): string {
  return chunk(base, [], { prompt_tokens: 23, completion_tokens: completionTokens, total_tokens: 23 + completionTokens, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } });
}


/** The send time stamped into a content delta by contentChunk(), or undefined for any other text. */
export function readSendStamp(content: string): bigint | undefined {
  const m = /^ t\d+@(\d+)$/.exec(content);
  return m ? BigInt(m[1]!) : undefined;
}
