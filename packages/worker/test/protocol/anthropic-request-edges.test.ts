/** OpenAI chats that Anthropic would refuse as they are (providers/anthropic/request-from-openai.ts). */
import t from 'tap';
import type { AnthropicMessage, AnthropicStreamEvent, ChatCompletionRequest } from '@gatewayd/shared';
import { AnthropicToOpenaiStream, anthropicToOpenaiResponse, jsonOutputToolOf, openaiToAnthropicRequest } from '../../src/providers/anthropic/index.js';
import { TranslationError } from '../../src/protocol/errors.js';

const chat = (messages: unknown[]) => ({ model: 'smart', messages }) as unknown as ChatCompletionRequest;

t.test('a chat of system messages only: their text is the one user turn (Anthropic refuses empty messages)', async (t) => {
  const one = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Say hi' }]), 'claude-sonnet-4-5');
  t.same(one.messages, [{ role: 'user', content: 'Say hi' }]);
  t.equal(one.system, undefined);
  const two = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Say hi' }, { role: 'user', content: '  ' }]), 'claude-sonnet-4-5');
  t.same(two.messages, [{ role: 'user', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Say hi' }] }]);
  t.equal(two.system, undefined);
  const usual = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]), 'claude-sonnet-4-5');
  t.equal(usual.system, 'Be brief.', 'with a user turn the system prompt stays one');
});

t.test('a chat with nothing to send is a clear 400', async (t) => {
  t.throws(() => openaiToAnthropicRequest(chat([{ role: 'user', content: '' }]), 'claude-sonnet-4-5'), TranslationError);
});

t.test('JSON output without structured outputs (json_object, or a schema to Claude before 4.5): a forced tool whose input is the answer; with tools of its own, an instruction', async (t) => {
  const ask = (format: unknown, model: string, extra: Record<string, unknown> = {}) =>
    openaiToAnthropicRequest({ ...chat([{ role: 'user', content: 'Largest city of Italy?' }]), response_format: format, ...extra } as unknown as ChatCompletionRequest, model);
  const plain = ask({ type: 'json_object' }, 'claude-sonnet-4-5');
  t.match(plain.tools, [{ name: 'json_output', input_schema: { type: 'object' } }]);
  t.same(plain.tool_choice, { type: 'tool', name: 'json_output', disable_parallel_tool_use: true }, 'forced, once');
  t.equal(jsonOutputToolOf(plain), 'json_output', 'marked for the response mapping');
  t.equal(plain.system, undefined, 'no instruction');
  t.equal(JSON.stringify(plain).includes('gatewayd'), false, 'the mark is not sent');
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const older = ask({ type: 'json_schema', json_schema: { name: 'city', description: 'The city.', schema } }, 'claude-sonnet-4-20250514');
  t.same(older.tools?.[0]?.input_schema, schema, 'the schema is the tool input');
  t.match(older.tools?.[0]?.description, /The city\.$/);
  t.equal(older.output_config, undefined, 'no structured outputs before Claude 4.5');
  const newer = ask({ type: 'json_schema', json_schema: { name: 'city', schema } }, 'claude-sonnet-4-5');
  t.equal(newer.tools, undefined, 'Claude 4.5: structured outputs, no tool');
  t.equal(jsonOutputToolOf(newer), undefined);
  t.ok(newer.output_config?.format);
  const tool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
  const withTools = ask({ type: 'json_object' }, 'claude-sonnet-4-5', { tools: [tool] });
  t.same(withTools.tools?.map((x) => x.name), ['lookup'], 'tools of its own: no forced tool');
  t.equal(jsonOutputToolOf(withTools), undefined);
  t.equal(withTools.system, 'Respond with a single JSON object. Output only the JSON, with no other text and no code fences.');
  const arrayRoot = ask({ type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array', items: { type: 'string' } } } }, 'claude-sonnet-4-20250514');
  t.equal(arrayRoot.tools, undefined, 'a schema whose root is not an object cannot be a tool input');
  t.match(arrayRoot.system, /matching this JSON Schema: \{"type":"array"/);
  t.equal(ask({ type: 'text' }, 'claude-sonnet-4-5').system, undefined, 'plain text: nothing added');
});

t.test("the forced JSON tool's input comes back as the text, plain and streamed, with finish_reason stop", async (t) => {
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [{ type: 'tool_use', id: 'toolu_1', name: 'json_output', input: { city: 'Rome' } }], stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 5 } } as unknown as AnthropicMessage;
  const plain = anthropicToOpenaiResponse(message, { jsonTool: 'json_output' });
  t.equal(plain.choices[0]?.message.content, '{"city":"Rome"}');
  t.equal(plain.choices[0]?.message.tool_calls, undefined);
  t.equal(plain.choices[0]?.finish_reason, 'stop');
  t.equal(anthropicToOpenaiResponse(message).choices[0]?.finish_reason, 'tool_calls', 'without the mark: an ordinary tool call');
  const twice = { ...message, content: [...message.content, { type: 'tool_use', id: 'toolu_2', name: 'json_output', input: { city: 'Milan' } }] } as unknown as AnthropicMessage;
  t.equal(anthropicToOpenaiResponse(twice, { jsonTool: 'json_output' }).choices[0]?.message.content, '{"city":"Rome"}', 'a second call is left out: one JSON document');
  const stream = new AnthropicToOpenaiStream({ jsonTool: 'json_output' });
  const events = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null } },
    { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_output', input: {} } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city": ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"Rome"}' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_2', name: 'json_output', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":"Milan"}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } },
    { type: 'message_stop' },
  ] as unknown as AnthropicStreamEvent[];
  const chunks = events.flatMap((event) => stream.push(event));
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
  t.same(JSON.parse(text), { city: 'Rome' }, 'the input JSON, streamed as content');
  t.notOk(chunks.some((chunk) => chunk.choices[0]?.delta.tool_calls), 'no tool call');
  t.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
});

t.test('broken tool arguments in an OpenAI caller\'s history reach Claude and Gemini as the object as far as it was valid', async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/request.js');
  const history = chat([
    { role: 'user', content: 'Weather?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": Paris}' } }, { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Rome", "days": 3' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
  ]);
  const claude = openaiToAnthropicRequest(history, 'claude-sonnet-4-5');
  const uses = (claude.messages[1]?.content as Array<{ type: string; input?: unknown }>).filter((b) => b.type === 'tool_use');
  t.same(uses.map((b) => b.input), [{ city: null }, { city: 'Rome', days: 3 }]);
  const gemini = openaiToGeminiRequest(history, 'gemini-2.5-flash').body as unknown as { contents: Array<{ parts: Array<{ functionCall?: { args: unknown } }> }> };
  const calls = gemini.contents.flatMap((c) => c.parts.flatMap((p) => (p.functionCall ? [p.functionCall.args] : [])));
  t.same(calls, [{ city: null }, { city: 'Rome', days: 3 }]);
});

t.test('OpenAI options that change what the answer is (audio output, web search) are refused for Claude and Gemini; safety_identifier is the user id', async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/request.js');
  const ask = (extra: Record<string, unknown>) => ({ ...chat([{ role: 'user', content: 'Hi' }]), ...extra }) as unknown as ChatCompletionRequest;
  for (const [name, extra] of [
    ['audio modality', { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }],
    ['audio parameters alone', { audio: { voice: 'alloy', format: 'wav' } }],
    ['web search', { web_search_options: {} }],
  ] as const) {
    t.throws(() => openaiToAnthropicRequest(ask(extra), 'claude-sonnet-4-5'), TranslationError, `${name}: Claude`);
    t.throws(() => openaiToGeminiRequest(ask(extra), 'gemini-2.5-flash'), TranslationError, `${name}: Gemini`);
  }
  t.doesNotThrow(() => openaiToAnthropicRequest(ask({ modalities: ['text'], prediction: { type: 'content', content: 'x' } }), 'claude-sonnet-4-5'), 'text only, and a prediction hint, are fine');
  t.same(openaiToAnthropicRequest(ask({ safety_identifier: 'sid-1' }), 'claude-sonnet-4-5').metadata, { user_id: 'sid-1' });
  t.same(openaiToAnthropicRequest(ask({ user: 'u-1', safety_identifier: 'sid-1' }), 'claude-sonnet-4-5').metadata, { user_id: 'u-1' }, '`user` first');
});

t.test('a chat with nothing to send is a clear 400 for Gemini too (Gemini refuses empty contents)', async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/request.js');
  t.throws(() => openaiToGeminiRequest(chat([{ role: 'user', content: '' }]), 'gemini-2.5-flash'), TranslationError);
  t.doesNotThrow(() => openaiToGeminiRequest(chat([{ role: 'system', content: 'Say hi' }]), 'gemini-2.5-flash'), 'system text alone is the one user turn');
});
