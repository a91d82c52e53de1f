/**
 * Collects the answer of a cache miss while it is delivered, and turns it into the entry to store
 * once the response is over: the complete JSON answer in the caller's protocol, whether the caller
 * got it plain or streamed (the stream is folded into the equivalent complete answer). Only
 * complete successful answers qualify (2xx, every choice finished / a stop_reason).
 */
import type { ClientProtocol, PlainAnswer, TokenUsage } from '../pipeline/types.js';
import { SseParser, type SseEvent } from '../protocol/sse/index.js';
import { assembleAnthropic } from './assemble-anthropic.js';
import { assembleChat, assembleCompletion } from './assemble-openai.js';
import { isJsonType } from '../pipeline/media-type.js';

/**
 * An answer larger than this, plain or streamed, is not cached: the store counts entries, not
 * bytes (cache.max_entries), and an entry crosses to the supervisor or Redis whole.
 */
export const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;

export class AnswerCapture {
  private plainBody: Buffer | null = null;
  private streamParts: Buffer[] = [];
  private streamBytes = 0;
  private streamComplete = false;
  private overflow = false;

  constructor(readonly protocol: ClientProtocol) {}

  /** A complete answer was sent to the caller. */
  plain(answer: PlainAnswer): void {
    if (answer.status < 200 || answer.status >= 300 || !isJsonType(answer.contentType)) return;
    const size = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
    if (size > MAX_CAPTURE_BYTES) return;
    this.plainBody = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  }

  /** Bytes of a streamed answer, as written to the caller. */
  streamData(data: string | Uint8Array): void {
    if (this.overflow) return;
    // Buffer.from copies a Uint8Array: the writer may reuse its buffer after the call.
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    this.streamBytes += bytes.length;
    if (this.streamBytes > MAX_CAPTURE_BYTES) {
      this.overflow = true;
      this.streamParts = [];
      return;
    }
    this.streamParts.push(bytes);
  }

  /** The stream ended; `complete`: the upstream finished it properly. */
  streamEnd(complete: boolean): void {
    this.streamComplete = complete && !this.overflow;
  }

  /** The entry to store, or null when the answer is not a complete success. Call once, at the end. */
  entry(usage: TokenUsage | undefined): Buffer | null {
    if (this.plainBody !== null) return storablePlain(this.protocol, this.plainBody) ? this.plainBody : null;
    if (!this.streamComplete) return null;
    const parser = new SseParser();
    const events: SseEvent[] = parser.push(Buffer.concat(this.streamParts, this.streamBytes));
    events.push(...parser.end());
    this.streamParts = [];
    const answer = this.protocol === 'anthropic-messages' ? assembleAnthropic(events) : this.protocol === 'openai-chat' ? assembleChat(events, usage) : this.protocol === 'openai-completions' ? assembleCompletion(events, usage) : null;
    return answer === null ? null : Buffer.from(JSON.stringify(answer));
  }
}

/*
 * Whether a plain 2xx body is a finished answer, checked on its bytes rather than by parsing it
 * (this runs on every cache miss). Sound on JSON: inside a string every `"` is escaped, so a
 * `"finish_reason"` token followed by `:` can only be a key.
 */
const FINISH_REASON = /"finish_reason"\s*:\s*(.)/g;
const STOP_REASON = /"stop_reason"\s*:\s*"/;
const MESSAGE_TYPE = /"type"\s*:\s*"message"/;
const EMBEDDING_LIST = /"object"\s*:\s*"list"/;
/**
 * Parts of an OpenAI answer the SSE replay does not carry (replay.ts): log probabilities, a legacy
 * `function_call`, audio, and annotations (url citations). Such an answer is not stored, so a
 * streamed hit never loses them. (Inside a JSON string the quotes are escaped: no false match.)
 */
const NOT_REPLAYED = /"(?:logprobs|function_call|audio)"\s*:\s*\{|"annotations"\s*:\s*\[\s*\{/;

/** Every choice has a finish_reason that is a string (not null), and there is at least one. */
function everyChoiceFinished(text: string): boolean {
  let found = false;
  for (const match of text.matchAll(FINISH_REASON)) {
    if (match[1] !== '"') return false;
    found = true;
  }
  return found;
}

/** A plain 2xx body is stored only when it is a finished answer of the expected kind. */
export function storablePlain(protocol: ClientProtocol, body: Buffer): boolean {
  const first = body[0];
  if (first !== 0x7b && !(first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09)) return false; // not a JSON object
  // latin1: one char per byte, cheaper than UTF-8 decoding; the markers are all ASCII.
  const text = body.toString('latin1');
  switch (protocol) {
    case 'openai-chat':
    case 'openai-completions':
      return everyChoiceFinished(text) && !NOT_REPLAYED.test(text);
    case 'openai-embeddings':
      return EMBEDDING_LIST.test(text) && text.includes('"embedding"');
    case 'anthropic-messages':
      return MESSAGE_TYPE.test(text) && STOP_REASON.test(text);
    default:
      return false;
  }
}
