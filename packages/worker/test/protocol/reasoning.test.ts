/** The hub's reasoning field: `reasoning` normalised to `reasoning_content`; `thinking` never sent to OpenAI-compatible upstreams. */
import t from 'tap';
import type { ChatCompletionResponse } from '@gatewayd/shared';
import { OpenaiSseDecoder } from '../../src/pipeline/decoders.js';
import { anthropicToOpenaiRequest, OpenaiToAnthropicStream, openaiToAnthropicResponse } from '../../src/providers/anthropic/index.js';
import { prepareOpenaiChatRequest } from '../../src/providers/openai/request.js';
import { hubResponse } from '../../src/protocol/reasoning.js';
import { anthropicSequenceViolations } from './helpers/anthropic-strict.js';

t.test('an OpenAI-compatible stream sending `reasoning` (newer vLLM, OpenRouter) gives hub reasoning_content', async (t) => {
  const decoder = new OpenaiSseDecoder();
  const chunk = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
  const out = decoder.push(Buffer.from(chunk({ reasoning: 'Hmm.' }) + chunk({ reasoning_content: 'A', reasoning: 'A' }) + chunk({ content: 'Hi' })));
  t.same(out.map((c) => c.choices[0]?.delta), [{ reasoning_content: 'Hmm.' }, { reasoning_content: 'A' }, { content: 'Hi' }]);
});

t.test('a plain answer with `reasoning` gets reasoning_content; others are returned as they are', async (t) => {
  const res: ChatCompletionResponse = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: '4', reasoning: '2+2' }, logprobs: null, finish_reason: 'stop' }] };
  t.same(hubResponse(res).choices[0]?.message, { role: 'assistant', content: '4', reasoning_content: '2+2' });
  t.same(res.choices[0]?.message.reasoning, '2+2', 'input not mutated');
  const plain: ChatCompletionResponse = { ...res, choices: [{ index: 0, message: { role: 'assistant', content: '4' }, logprobs: null, finish_reason: 'stop' }] };
  t.equal(hubResponse(plain), plain);
});

t.test("an Anthropic caller's thinking parameter never reaches an OpenAI-compatible upstream", async (t) => {
  const hub = anthropicToOpenaiRequest({ model: 'm', max_tokens: 4000, messages: [{ role: 'user', content: 'Hi' }], thinking: { type: 'enabled', budget_tokens: 2048 } });
  const body = JSON.stringify(prepareOpenaiChatRequest(hub, { model: 'gpt-4o-mini' }).body);
  t.notMatch(body, /thinking|budget|reasoning/);
});

t.test('a finish chunk whose delta is null (Azure) ends the stream as any other', async (t) => {
  const decoder = new OpenaiSseDecoder();
  const frame = (delta: Record<string, unknown> | null, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-z', object: 'chat.completion.chunk', created: 1, model: 'gpt', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const chunks = decoder.push(Buffer.from([frame({ role: 'assistant', content: 'Hi' }), frame(null, 'stop'), 'data: [DONE]\n\n'].join('')));
  const stream = new OpenaiToAnthropicStream({ model: 'm' });
  const events = [...chunks.flatMap((c) => stream.push(c)), ...stream.end()];
  t.strictSame(anthropicSequenceViolations(events), []);
  t.match(events.at(-2), { type: 'message_delta', delta: { stop_reason: 'end_turn' } });
  t.match(events.at(-1), { type: 'message_stop' });
});

t.test('Mistral (magistral) content as a list of parts: text parts are text, thinking parts thinking, streamed and plain', async (t) => {
  const decoder = new OpenaiSseDecoder();
  const frame = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-m', object: 'chat.completion.chunk', created: 1, model: 'magistral', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const thinking = { type: 'thinking', thinking: [{ type: 'text', text: 'Hmm.' }] };
  const sse = [frame({ role: 'assistant', content: '' }), frame({ content: [thinking] }), frame({ content: [{ type: 'text', text: 'Hello ' }] }), frame({ content: [{ type: 'text', text: 'world' }] }), frame({}, 'stop'), 'data: [DONE]\n\n'];
  const chunks = decoder.push(Buffer.from(sse.join('')));
  const stream = new OpenaiToAnthropicStream({ model: 'm' });
  const events = [...chunks.flatMap((c) => stream.push(c)), ...stream.end()];
  t.strictSame(anthropicSequenceViolations(events), []);
  const deltas = events.flatMap((e) => (e.type === 'content_block_delta' ? [e.delta] : []));
  t.same(deltas, [{ type: 'thinking_delta', thinking: 'Hmm.' }, { type: 'text_delta', text: 'Hello ' }, { type: 'text_delta', text: 'world' }]);

  const message = { role: 'assistant', content: [thinking, { type: 'text', text: 'Hello world' }] } as unknown as ChatCompletionResponse['choices'][number]['message'];
  const res: ChatCompletionResponse = { id: 'chatcmpl-m', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }] };
  t.same(hubResponse(res).choices[0]?.message, { role: 'assistant', content: 'Hello world', reasoning_content: 'Hmm.' });
  t.same(openaiToAnthropicResponse(hubResponse(res)).content, [{ type: 'thinking', thinking: 'Hmm.', signature: '' }, { type: 'text', text: 'Hello world' }]);
  const both = { role: 'assistant', reasoning_content: 'A. ', content: [{ type: 'thinking', thinking: 'B.' }, { type: 'reference', reference_ids: [1] }] } as unknown as ChatCompletionResponse['choices'][number]['message'];
  t.same(hubResponse({ ...res, choices: [{ index: 0, message: both, logprobs: null, finish_reason: 'stop' }] }).choices[0]?.message, { role: 'assistant', content: '', reasoning_content: 'A. B.' }, 'a string thinking part; parts without text carry none');
});
