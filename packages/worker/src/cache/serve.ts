/**
 * Answers a request from a cache entry (the complete JSON answer in the caller's protocol): as
 * it is for a plain request, replayed as SSE for a streamed one.
 */
import type { AnthropicMessage, ChatCompletionResponse, CompletionResponse } from '@gatewayd/shared';
import type { Exchange, HeaderList } from '../http/exchange.js';
import { corked, sendBody } from '../http/respond.js';
import { beginSse, endSse } from '../http/sse.js';
import type { ClientRequest } from '../pipeline/types.js';
import { replayAnthropic, replayChat, replayCompletion } from './replay.js';

const JSON_TYPE = 'application/json';

/** A prepared answer: the body to send as it is, or the SSE text of the replay. */
export type CachedAnswer = { kind: 'json'; body: Buffer } | { kind: 'sse'; text: string };

/** What the entry becomes for this request; null when it cannot be read (then it is a miss). */
export function prepareHit(request: ClientRequest, entry: Buffer): CachedAnswer | null {
  if (!request.stream) return { kind: 'json', body: entry };
  try {
    const answer: unknown = JSON.parse(entry.toString('utf8'));
    if (typeof answer !== 'object' || answer === null) return null;
    switch (request.call.protocol) {
      case 'openai-chat':
        return { kind: 'sse', text: replayChat(answer as ChatCompletionResponse, request.callerWantsUsage) };
      case 'openai-completions':
        return { kind: 'sse', text: replayCompletion(answer as CompletionResponse, request.callerWantsUsage) };
      case 'anthropic-messages':
        return { kind: 'sse', text: replayAnthropic(answer as AnthropicMessage) };
      default:
        return null;
    }
  } catch {
    return null; // an entry of another shape (or a corrupted one) is never served
  }
}

/** `extra`: headers of the upstream's answer that go with it (a replayed one has none). */
export function sendCached(ex: Exchange, answer: CachedAnswer, extra: HeaderList | null = null): void {
  if (ex.done) return;
  if (answer.kind === 'json') {
    sendBody(ex, 200, JSON_TYPE, answer.body, extra);
    return;
  }
  corked(ex, () => {
    if (ex.done) return;
    beginSse(ex, extra);
    ex.obs?.firstToken(); // the whole answer goes out in this cork
    endSse(ex, answer.text);
  });
}
