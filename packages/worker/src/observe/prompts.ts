/**
 * Prompt and completion text for the access log, ONLY when logging.log_prompts is true (off by
 * default: prompts may hold personal data). The prompt is the request's own message fields; the
 * completion is read back from what the caller received (a JSON answer, or the SSE stream's text
 * deltas), in the caller's protocol. Bounded: streams keep at most MAX_CAPTURE_BYTES, logged text
 * is cut at MAX_LOGGED_CHARS.
 */
import type { ClientCall } from '../pipeline/types.js';

const MAX_CAPTURE_BYTES = 256 * 1024;
export const MAX_LOGGED_CHARS = 32 * 1024;

/** The fields of the request that carry the prompt, as an object for the log line. */
export function promptOf(call: ClientCall): unknown {
  switch (call.protocol) {
    case 'openai-chat':
      return call.body.messages;
    case 'openai-completions':
      return call.body.prompt;
    case 'openai-embeddings':
      return call.body.input;
    case 'anthropic-messages':
    case 'anthropic-count-tokens':
      return call.body.system === undefined ? call.body.messages : { system: call.body.system, messages: call.body.messages };
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of one answer object or one stream event, OpenAI or Anthropic shaped. */
function textOf(doc: unknown): string {
  if (!isObject(doc)) return '';
  let out = '';
  if (Array.isArray(doc.choices)) {
    for (const choice of doc.choices) {
      if (!isObject(choice)) continue;
      if (typeof choice.text === 'string') out += choice.text;
      const part = isObject(choice.message) ? choice.message : isObject(choice.delta) ? choice.delta : null;
      if (part === null) continue;
      if (typeof part.content === 'string') out += part.content;
      if (Array.isArray(part.tool_calls)) {
        for (const call of part.tool_calls) {
          const fn = isObject(call) && isObject(call.function) ? call.function : null;
          if (fn && typeof fn.arguments === 'string') out += fn.arguments;
          // A custom tool's call (GPT-5) carries free-form input instead.
          const custom = isObject(call) && isObject(call.custom) ? call.custom : null;
          if (custom && typeof custom.input === 'string') out += custom.input;
        }
      }
    }
  }
  if (Array.isArray(doc.content)) {
    for (const block of doc.content) {
      if (!isObject(block)) continue;
      if (typeof block.text === 'string') out += block.text;
      else if (block.type === 'tool_use') out += JSON.stringify(block.input ?? {});
    }
  }
  if (doc.type === 'content_block_delta' && isObject(doc.delta)) {
    if (typeof doc.delta.text === 'string') out += doc.delta.text;
    if (typeof doc.delta.partial_json === 'string') out += doc.delta.partial_json;
  }
  return out;
}

export function clip(text: string): string {
  return text.length <= MAX_LOGGED_CHARS ? text : `${text.slice(0, MAX_LOGGED_CHARS)}…[${text.length - MAX_LOGGED_CHARS} more characters]`;
}

/** Collects what the caller received, then extracts the completion text once, at the end. */
export class CompletionCapture {
  private parts: Array<string | Uint8Array> = [];
  private bytes = 0;
  private plain: string | null = null;

  /** A complete JSON answer. */
  answer(body: string | Uint8Array): void {
    this.plain = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }

  /** One write of an SSE stream towards the caller. */
  chunk(data: string | Uint8Array): void {
    if (this.bytes >= MAX_CAPTURE_BYTES) return;
    // Copied: the writer may reuse its buffer.
    this.parts.push(typeof data === 'string' ? data : Buffer.from(data));
    this.bytes += data.length;
  }

  text(): string {
    if (this.plain !== null) {
      try {
        return clip(textOf(JSON.parse(this.plain)));
      } catch {
        return '';
      }
    }
    let out = '';
    const stream = this.parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
    for (const line of stream.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const payload = line.slice(5).trim();
      if (payload === '' || payload === '[DONE]') continue;
      try {
        out += textOf(JSON.parse(payload));
      } catch {
        // a partial or foreign line: not text
      }
    }
    return clip(out);
  }
}
