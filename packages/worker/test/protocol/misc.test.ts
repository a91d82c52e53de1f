/** Token estimates, legacy completions, embeddings helpers and untranslatable requests. */
import t from 'tap';
import type { AnthropicMessage, AnthropicMessagesRequest, ChatCompletionRequest } from '@gatewayd/shared';
import { planFor } from '../../src/pipeline/plan.js';
import type { AttemptInput, ClientRequest } from '../../src/pipeline/types.js';
import { OpenaiAdapter } from '../../src/providers/openai/adapter.js';
import { anthropicToOpenaiRequest, openaiToAnthropicRequest } from '../../src/providers/anthropic/index.js';
import { openaiToGeminiEmbeddings, openaiToGeminiRequest } from '../../src/providers/gemini/index.js';
import { chatChunkToCompletionChunk, completionToChatRequest } from '../../src/protocol/completions.js';
import { TranslationError } from '../../src/protocol/errors.js';
import { estimateAnthropicTokens, estimateChatTokens, estimateEmbeddingTokens, estimateTextTokens, IMAGE_TOKENS, requestedOutputTokens } from '../../src/protocol/tokens.js';

t.test('token estimates', async (t) => {
  t.equal(estimateTextTokens(''), 0);
  t.equal(estimateTextTokens('abcd'), 1);
  t.equal(estimateTextTokens('abcde'), 2);
  t.equal(estimateTextTokens('日本語'), 3, 'one token per non-ASCII unit');
  const hugeImage = `data:image/png;base64,${'A'.repeat(1_000_000)}`;
  const chat: ChatCompletionRequest = {
    model: 'm',
    messages: [
      { role: 'system', content: 'You are brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: hugeImage } }] },
    ],
  };
  const estimate = estimateChatTokens(chat);
  t.ok(estimate > IMAGE_TOKENS && estimate < IMAGE_TOKENS + 50, `image counted as a fixed cost, not its base64 (${estimate})`);
  const withTools = estimateChatTokens({ ...chat, tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }] });
  t.ok(withTools > estimate, 'tools count');
  const anthropic = estimateAnthropicTokens({
    model: 'c',
    max_tokens: 10,
    system: 'You are brief.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(1_000_000) } }] }],
  });
  t.equal(anthropic, estimate, 'same conversation, same estimate in both protocols');
  t.equal(estimateEmbeddingTokens({ model: 'e', input: ['abcd', 'abcdefgh'] }), 3);
  t.equal(requestedOutputTokens({ max_tokens: 5, max_completion_tokens: 9 }, 100), 9);
  t.equal(requestedOutputTokens({}, 100), 100);
});

t.test('legacy completions: unsupported prompts fail clearly; chunks map to text', async (t) => {
  t.throws(() => completionToChatRequest({ model: 'm', prompt: ['a', 'b'] }), TranslationError);
  t.throws(() => completionToChatRequest({ model: 'm', prompt: [1, 2, 3] }), TranslationError);
  t.throws(() => completionToChatRequest({ model: 'm', prompt: 'x', echo: true }), TranslationError);
  const base = { id: 'chatcmpl-9', object: 'chat.completion.chunk' as const, created: 5, model: 'm' };
  t.equal(chatChunkToCompletionChunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }), undefined, 'role-only chunk skipped');
  t.strictSame(chatChunkToCompletionChunk({ ...base, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] }), {
    id: 'cmpl-9', object: 'text_completion', created: 5, model: 'm', choices: [{ text: 'Hi', index: 0, logprobs: null, finish_reason: null }],
  });
  t.strictSame(chatChunkToCompletionChunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })?.choices[0]?.finish_reason, 'stop');
  t.strictSame(chatChunkToCompletionChunk({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }), {
    id: 'cmpl-9', object: 'text_completion', created: 5, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  });
});

t.test('requests that cannot be expressed raise TranslationError (a 400), never a silent change', async (t) => {
  const user = { role: 'user' as const, content: 'hi' };
  t.throws(() => openaiToAnthropicRequest({ model: 'm', messages: [user], n: 2 }, 'c'), TranslationError);
  t.throws(() => openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }] }, 'c'), TranslationError);
  t.throws(() => openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, 'c'), TranslationError);
  t.throws(() => openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'c'), TranslationError);
  t.throws(() => openaiToGeminiRequest({ model: 'm', messages: [user, { role: 'tool', tool_call_id: 'nope', content: 'x' }] }), /unknown tool_call_id/);
  t.throws(() => openaiToGeminiEmbeddings({ model: 'e', input: [[1, 2, 3]] }), TranslationError);
  const badEscape = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'data:image/png,%E0%A4%A' } }] }] };
  t.throws(() => openaiToAnthropicRequest(badEscape, 'c'), TranslationError, 'a bad % escape in a data: URL (was a URIError)');
  t.throws(() => openaiToGeminiRequest(badEscape), TranslationError);
  t.throws(() => anthropicToOpenaiRequest({ model: 'c', max_tokens: 5, messages: [user], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }), TranslationError);
  t.throws(() => anthropicToOpenaiRequest({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }] }] }), TranslationError);
});

t.test('OpenAI -> Anthropic details: PDFs, empty text, options, prefill', async (t) => {
  const out = openaiToAnthropicRequest(
    {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: '' }, { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'go on' },
      ],
    },
    'claude',
    { defaultMaxTokens: 1000 },
  );
  t.strictSame(out, {
    model: 'claude',
    max_tokens: 1000,
    messages: [
      { role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] },
      { role: 'user', content: 'go on' },
    ],
  });
});

t.test('an OpenAI caller reaching Anthropic: whitespace-only stop sequences are dropped (Anthropic refuses the request for them)', async (t) => {
  const out = openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stop: ['\n', '  ', 'END'] }, 'claude');
  t.strictSame(out.stop_sequences, ['END']);
  const none = openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stop: '\n' }, 'claude');
  t.notOk('stop_sequences' in none, 'none left: no field');
});

t.test('an OpenAI caller reaching Anthropic: an empty user message is left out (Anthropic refuses empty content)', async (t) => {
  const out = openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: '' }, { role: 'user', content: [{ type: 'text', text: '' }] }, { role: 'user', content: 'hi' }] }, 'claude');
  t.strictSame(out.messages, [{ role: 'user', content: 'hi' }]);
});

t.test('an Anthropic caller reaching an OpenAI-compatible target: an image by Files API id is a clear error, not an image without a URL', async (t) => {
  const request = { model: 'm', max_tokens: 10, messages: [{ role: 'user' as const, content: [{ type: 'image' as const, source: { type: 'file', file_id: 'file_011' } }] }] };
  t.throws(() => anthropicToOpenaiRequest(request as never, 'gpt'), /image sources of type "file" cannot be sent to this provider/);
});

t.test('an Anthropic caller reaching an OpenAI-compatible target: a tool_result block with no OpenAI form (search_result) is a 400 naming it, not an empty result', async (t) => {
  const searchResult = { type: 'search_result', source: 'https://kb.example.com/refunds', title: 'Refunds', content: [{ type: 'text', text: 'Refunds within 30 days.' }] };
  const request = {
    model: 'm',
    max_tokens: 10,
    messages: [
      { role: 'user', content: 'Refund policy?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'kb_search', input: { q: 'refund' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [searchResult] }] },
    ],
  };
  t.throws(() => anthropicToOpenaiRequest(request as never, 'gpt'), new TranslationError('content block "search_result" is not allowed in a tool_result for this provider'));
});

t.test('an Anthropic caller reaching an OpenAI-compatible target: the deprecated output_format is mapped as output_config.format; both at once is a 400', async (t) => {
  const format = { type: 'json_schema' as const, schema: { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'] } };
  const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user' as const, content: 'q' }] };
  const expected = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  t.strictSame(anthropicToOpenaiRequest({ ...base, output_format: format }, 'gpt').response_format, expected);
  t.strictSame(anthropicToOpenaiRequest({ ...base, output_config: { format } }, 'gpt').response_format, expected);
  t.throws(() => anthropicToOpenaiRequest({ ...base, output_format: format, output_config: { format } }, 'gpt'), /both `output_format` and `output_config.format`/);
  t.notOk('response_format' in anthropicToOpenaiRequest({ ...base, output_format: null }, 'gpt'), 'output_format: null is none');
});

t.test('an Anthropic caller reaching an OpenAI-compatible target that reports no usage: the plain answer gets the estimates a stream gets, and so do the metrics', async (t) => {
  const body: AnthropicMessagesRequest = { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'Tell me about the weather in Oslo today.' }] };
  const request = (stream: boolean): ClientRequest => ({
    call: { protocol: 'anthropic-messages', body: { ...body, stream } },
    raw: Buffer.from(JSON.stringify(body)),
    stream,
    callerWantsUsage: false,
    forward: { anthropicVersion: '2023-06-01', anthropicBeta: '', openaiOrganization: '', openaiProject: '' },
    mock: null,
    requestId: 'r',
  });
  const input = {} as AttemptInput;
  const adapter = new OpenaiAdapter();
  const reasoning = 'The user wants weather.';
  const text = 'It is sunny and 20 degrees in Oslo.';
  const args = '{"city":"Oslo"}';
  const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } };
  const answer = { id: 'chatcmpl-u', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text, reasoning_content: reasoning, tool_calls: [call] }, finish_reason: 'tool_calls', logprobs: null }] };
  const plain = planFor(request(false), adapter).plain(Buffer.from(JSON.stringify(answer)), 200, 'application/json', input);
  const plainUsage = (JSON.parse(String(plain.body)) as AnthropicMessage).usage;

  const relay = planFor(request(true), adapter).stream(input);
  const frame = (delta: Record<string, unknown>, finish: string | null = null) => `data: ${JSON.stringify({ id: 'chatcmpl-u', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const sse = [frame({ role: 'assistant', reasoning_content: reasoning }), frame({ content: text }), frame({ tool_calls: [{ index: 0, ...call }] }), frame({}, 'tool_calls'), 'data: [DONE]\n\n'];
  let out = '';
  const writer = { write: (data: string | Uint8Array) => void (out += String(data)) };
  relay.push(Buffer.from(sse.join('')), writer);
  t.ok(relay.finish(writer), 'the stream completed');
  const delta = out.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; usage?: unknown }).find((e) => e.type === 'message_delta');

  const expected = { input_tokens: estimateAnthropicTokens(body), cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: Math.ceil((reasoning.length + text.length + args.length) / 4) };
  t.strictSame(delta?.usage, expected, 'the streamed estimates');
  t.strictSame(plainUsage, expected, 'the plain answer: the same estimates');
  t.strictSame(plain.usage, { prompt: expected.input_tokens, completion: expected.output_tokens, estimated: true }, 'metrics and tpm get them, marked estimated');
});
