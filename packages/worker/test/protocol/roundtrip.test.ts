/**
 * Round-trip properties over seeded random conversations: translating to the other protocol and
 * back keeps the meaning (text, images, tool calls and results, tool definitions and choice,
 * sampling, limits, stop sequences, user), for requests, responses and streams.
 */
import t from 'tap';
import type {
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicStreamEvent,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  GeminiGenerateContentResponse,
  OpenaiChatMessage,
  OpenaiFunctionTool,
  OpenaiToolCall,
  OpenaiToolChoice,
} from '@gatewayd/shared';
import {
  anthropicToOpenaiRequest,
  anthropicToOpenaiResponse,
  AnthropicToOpenaiStream,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  openaiToAnthropicRequest,
  openaiToAnthropicResponse,
  OpenaiToAnthropicStream,
} from '../../src/providers/anthropic/index.js';
import { geminiToOpenaiResponse, GeminiToOpenaiStream } from '../../src/providers/gemini/index.js';
import { stopList, textOf } from '../../src/protocol/content.js';
import { toolInputOf } from '../../src/protocol/json-object-prefix.js';
import { encodeAnthropicEvent, SseParser } from '../../src/protocol/sse/index.js';
import { accumulateOpenai } from './helpers/accumulate.js';
import { anthropicSequenceViolations } from './helpers/anthropic-strict.js';
import { seededRandom, splitRandom } from './helpers/splits.js';

const CASES = 150;
type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;
const words = ['alpha', 'beta', 'ünïcode', '日本', 'emoji 🎉', 'line\nbreak', '"quoted"', 'tab\there', 'x'];
const text = (r: Rand): string => Array.from({ length: 1 + Math.floor(r() * 6) }, () => pick(r, words)).join(' ');
const round2 = (n: number): number => Math.round(n * 100) / 100;
const TOOLS = ['get_weather', 'search', 'calc'];
const images = ['data:image/png;base64,iVBORw0KGgo=', 'data:image/jpeg;base64,/9j/4AAQ', 'https://example.com/a.png'];

function randomArgs(r: Rand): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 3); i++) args[`k${i}`] = pick(r, [text(r), 42, true, null, [1, 'two'], { nested: text(r) }]);
  return args;
}

function randomOpenaiRequest(r: Rand, n: number): ChatCompletionRequest {
  const messages: OpenaiChatMessage[] = [];
  if (chance(r, 0.6)) messages.push({ role: 'system', content: text(r) });
  if (chance(r, 0.3)) messages.push({ role: 'developer', content: [{ type: 'text', text: text(r) }] });
  let calls = 0;
  for (let turn = 0; turn < 1 + Math.floor(r() * 4); turn++) {
    messages.push(chance(r, 0.5) ? { role: 'user', content: text(r) } : { role: 'user', content: [{ type: 'text', text: text(r) }, { type: 'image_url', image_url: { url: pick(r, images) } }] });
    if (chance(r, 0.5)) {
      const ids = Array.from({ length: 1 + Math.floor(r() * 3) }, () => `call_${n}_${calls++}`);
      messages.push({ role: 'assistant', content: chance(r, 0.5) ? text(r) : null, tool_calls: ids.map((id) => ({ id, type: 'function', function: { name: pick(r, TOOLS), arguments: JSON.stringify(randomArgs(r)) } })) });
      for (const id of ids) messages.push({ role: 'tool', tool_call_id: id, content: text(r) });
    } else {
      messages.push({ role: 'assistant', content: text(r) });
    }
  }
  messages.push({ role: 'user', content: text(r) });
  const req: ChatCompletionRequest = { model: 'alias', messages };
  if (chance(r, 0.5)) req.temperature = round2(r());
  if (chance(r, 0.3)) req.top_p = round2(r());
  if (chance(r, 0.3)) req.top_k = 1 + Math.floor(r() * 50);
  if (chance(r, 0.5)) req[pick(r, ['max_tokens', 'max_completion_tokens'] as const)] = 1 + Math.floor(r() * 4000);
  if (chance(r, 0.4)) req.stop = chance(r, 0.5) ? 'END' : ['END', '\n\nHuman:'];
  if (chance(r, 0.3)) req.user = `user-${n}`;
  if (chance(r, 0.5)) req.stream = true;
  if (calls > 0 || chance(r, 0.3)) {
    req.tools = TOOLS.map((name) => ({ type: 'function', function: { name, description: `${name} tool`, parameters: { type: 'object', properties: { q: { type: 'string' } } } } }));
    if (chance(r, 0.7)) req.tool_choice = pick<OpenaiToolChoice>(r, ['auto', 'required', 'none', { type: 'function', function: { name: 'search' } }]);
    if (chance(r, 0.3)) req.parallel_tool_calls = false;
  }
  return req;
}

/** What a request means, independent of the encoding choices either protocol allows. */
function openaiMeaning(req: ChatCompletionRequest): unknown {
  const system = req.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content as string)).join('\n');
  const turns = req.messages
    .filter((m) => m.role !== 'system' && m.role !== 'developer')
    .map((m) => {
      if (m.role === 'user') {
        const parts = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
        return { role: 'user', items: parts.map((p) => (p.type === 'text' ? p.text : p.type === 'image_url' ? { image: p.image_url.url } : p.type)) };
      }
      if (m.role === 'assistant') {
        return { role: 'assistant', text: textOf(m.content), calls: (m.tool_calls ?? []).map((c) => ({ id: c.id, name: (c as OpenaiToolCall).function.name, args: toolInputOf((c as OpenaiToolCall).function.arguments) })) };
      }
      if (m.role === 'tool') return { role: 'tool', id: m.tool_call_id, text: textOf(m.content) };
      return m;
    });
  const hasTools = (req.tools ?? []).length > 0;
  const choice = hasTools ? (req.tool_choice ?? (req.parallel_tool_calls === false ? 'auto' : undefined)) : undefined;
  return {
    system,
    turns,
    max: req.max_completion_tokens ?? req.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    temperature: req.temperature,
    top_p: req.top_p,
    top_k: req.top_k,
    stop: stopList(req.stop),
    user: req.user,
    stream: req.stream === true,
    tools: (req.tools ?? []).map((tool) => (tool as OpenaiFunctionTool).function),
    choice,
    parallel: hasTools && choice !== 'none' && req.parallel_tool_calls === false ? false : undefined,
  };
}

t.test('OpenAI -> Anthropic -> OpenAI requests keep their meaning', async (t) => {
  const r = seededRandom(2024);
  for (let n = 0; n < CASES; n++) {
    const original = randomOpenaiRequest(r, n);
    const anthropic = openaiToAnthropicRequest(original, 'claude-3-7-sonnet-latest');
    const back = anthropicToOpenaiRequest(anthropic, 'alias');
    t.strictSame(openaiMeaning(back), openaiMeaning(original), `case ${n}`);
  }
});

t.test('Anthropic -> OpenAI -> Anthropic requests keep their meaning', async (t) => {
  const r = seededRandom(77);
  for (let n = 0; n < CASES; n++) {
    // Built from a random OpenAI conversation, so tool ids and turns are consistent.
    const anthropic: AnthropicMessagesRequest = openaiToAnthropicRequest(randomOpenaiRequest(r, n), 'claude-3-7-sonnet-latest');
    if (chance(r, 0.3) && anthropic.tool_choice?.type === 'auto') anthropic.tool_choice = { type: 'auto', disable_parallel_tool_use: true };
    const back = openaiToAnthropicRequest(anthropicToOpenaiRequest(anthropic), 'claude-3-7-sonnet-latest');
    const normalise = (req: AnthropicMessagesRequest): unknown => ({
      ...req,
      system: typeof req.system === 'string' || req.system === undefined ? req.system : textOf(req.system, '\n'),
      messages: req.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content })),
    });
    t.strictSame(normalise(back), normalise(anthropic), `case ${n}`);
  }
});

t.test('responses round-trip: content, tool calls, stop reason, usage totals', async (t) => {
  const r = seededRandom(5);
  for (let n = 0; n < CASES; n++) {
    const tools = Math.floor(r() * 3);
    const message: AnthropicMessage = {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        ...(chance(r, 0.8) || tools === 0 ? [{ type: 'text' as const, text: text(r) }] : []),
        ...Array.from({ length: tools }, (_, i) => ({ type: 'tool_use' as const, id: `toolu_${n}_${i}`, name: pick(r, TOOLS), input: randomArgs(r) })),
      ],
      stop_reason: tools > 0 ? 'tool_use' : pick(r, ['end_turn', 'max_tokens', 'refusal'] as const),
      stop_sequence: null,
      usage: { input_tokens: Math.floor(r() * 1000), output_tokens: Math.floor(r() * 500), cache_read_input_tokens: Math.floor(r() * 5000), cache_creation_input_tokens: chance(r, 0.5) ? Math.floor(r() * 300) : 0 },
    };
    const openai: ChatCompletionResponse = anthropicToOpenaiResponse(message, { created: 1 });
    const back = openaiToAnthropicResponse(openai);
    t.strictSame(back.content, message.content, `content ${n}`);
    t.equal(back.stop_reason, message.stop_reason, `stop reason ${n}`);
    const total = (u: AnthropicMessage['usage']): number => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
    t.equal(total(back.usage), total(message.usage), `input total ${n}`);
    t.equal(back.usage.cache_read_input_tokens, message.usage.cache_read_input_tokens);
    t.equal(back.usage.output_tokens, message.usage.output_tokens);
    t.strictSame(anthropicToOpenaiResponse(back, { created: 1 }).choices, openai.choices, `OpenAI side stable ${n}`);
  }
});

function randomOpenaiStream(r: Rand, n: number): ChatCompletionChunk[] {
  const base = { id: `chatcmpl-${n}`, object: 'chat.completion.chunk' as const, created: 1, model: 'gpt' };
  const chunks: ChatCompletionChunk[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }];
  if (chance(r, 0.8)) for (let i = 0; i < 1 + Math.floor(r() * 5); i++) chunks.push({ ...base, choices: [{ index: 0, delta: { content: text(r) }, finish_reason: null }] });
  const calls = Math.floor(r() * 3);
  for (let c = 0; c < calls; c++) {
    const args = JSON.stringify(randomArgs(r));
    chunks.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: c, id: `call_${n}_${c}`, type: 'function', function: { name: pick(r, TOOLS), arguments: '' } }] }, finish_reason: null }] });
    for (let at = 0; at < args.length; ) {
      const size = 1 + Math.floor(r() * 8);
      chunks.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: c, function: { arguments: args.slice(at, at + size) } }] }, finish_reason: null }] });
      at += size;
    }
  }
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: calls > 0 ? 'tool_calls' : pick(r, ['stop', 'length', 'content_filter'] as const) }] });
  const prompt = Math.floor(r() * 3000);
  const cached = Math.floor(r() * prompt);
  const completion = Math.floor(r() * 500);
  chunks.push({ ...base, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } } });
  return chunks;
}

t.test('streams round-trip: OpenAI chunks -> strict Anthropic SSE bytes (random splits) -> OpenAI chunks', async (t) => {
  const r = seededRandom(31337);
  for (let n = 0; n < CASES; n++) {
    const original = randomOpenaiStream(r, n);
    const toAnthropic = new OpenaiToAnthropicStream();
    const events: AnthropicStreamEvent[] = [...original.flatMap((c) => toAnthropic.push(c)), ...toAnthropic.pushData('[DONE]')];
    t.strictSame(anthropicSequenceViolations(events), [], `strict sequence ${n}`);
    const bytes = new TextEncoder().encode(events.map(encodeAnthropicEvent).join(''));
    const parser = new SseParser();
    const toOpenai = new AnthropicToOpenaiStream({ includeUsage: true, created: 1 });
    const back: ChatCompletionChunk[] = [];
    for (const piece of splitRandom(bytes, n + 1, 64)) for (const event of parser.push(piece)) back.push(...toOpenai.pushData(event.data));
    t.equal(toOpenai.done, true);
    const a = accumulateOpenai(original);
    const b = accumulateOpenai(back);
    t.equal(b.content, a.content, `text ${n}`);
    t.strictSame(b.toolCalls, a.toolCalls, `tool calls ${n}`);
    t.equal(b.finish, a.finish, `finish ${n}`);
    t.strictSame(
      { prompt: b.usage?.prompt_tokens, completion: b.usage?.completion_tokens, cached: b.usage?.prompt_tokens_details?.cached_tokens },
      { prompt: a.usage?.prompt_tokens, completion: a.usage?.completion_tokens, cached: a.usage?.prompt_tokens_details?.cached_tokens },
      `usage ${n}`,
    );
  }
});

t.test('Gemini: a streamed answer accumulates to the non-streamed translation', async (t) => {
  const chunks: GeminiGenerateContentResponse[] = [
    { candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }], responseId: 'r9' },
    { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }, { functionCall: { name: 'f', args: { a: [1] } } }] }, index: 0 }], responseId: 'r9' },
    { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'g' } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 }, responseId: 'r9' },
  ];
  const stream = new GeminiToOpenaiStream({ model: 'gem', includeUsage: true });
  const acc = accumulateOpenai([...chunks.flatMap((c) => stream.push(c)), ...stream.end()]);
  const whole = geminiToOpenaiResponse({ candidates: [{ content: { role: 'model', parts: chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []) }, finishReason: 'STOP', index: 0 }], usageMetadata: chunks[2]?.usageMetadata, responseId: 'r9' }, 'gem');
  const message = whole.choices[0]?.message;
  t.equal(acc.content, message?.content);
  t.strictSame(acc.toolCalls, message?.tool_calls?.map((c) => ({ id: c.id, name: (c as OpenaiToolCall).function.name, arguments: (c as OpenaiToolCall).function.arguments })));
  t.equal(acc.finish, whole.choices[0]?.finish_reason);
  t.strictSame(acc.usage, whole.usage);
});
