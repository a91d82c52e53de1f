/**
 * The official `openai` SDK as the caller, the real gateway in between, each provider behind it
 * (OpenAI, Anthropic and Gemini fakes, and the built-in mock): plain, streamed (raw framing and the
 * SDK's stream helper), tools with the follow-up, include_usage, errors, abort.
 */
import t from 'tap';
import OpenAI from 'openai';
import { CUSTOM_TOOL_INPUT, DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, fixtures, startGateway } from '../fakes/index.js';
import { SseParser } from '../../src/protocol/sse/index.js';
import { expectTextRequest, expectToolResultRequest, expectToolsRequest, type Asserts } from './expect-upstream.js';
import { counts, countsOnly, gatewayYaml, GW_KEY, MODELS, openaiClient, PROVIDERS, rejection, eventually, startUpstreams, TEXT, upstreamMessage, type Json, type ProviderKind } from './setup.js';

const up = await startUpstreams(t);
const gw = await startGateway(t, gatewayYaml(up));
const client = openaiClient(gw);

function expectUsage(tt: Asserts, provider: ProviderKind, usage: OpenAI.CompletionUsage | null | undefined): void {
  if (!usage) {
    tt.fail('usage missing');
    return;
  }
  if (provider === 'mock') {
    tt.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0, 'mock usage counted');
    tt.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    return;
  }
  // 25 prompt tokens of which 8 cached, 9 completion: the same whatever the upstream's convention.
  tt.equal(usage.prompt_tokens, DEFAULT_USAGE.prompt, 'prompt_tokens include cached tokens');
  tt.equal(usage.completion_tokens, DEFAULT_USAGE.completion, 'completion_tokens');
  tt.equal(usage.total_tokens, DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion, 'total_tokens');
  tt.equal(usage.prompt_tokens_details?.cached_tokens, DEFAULT_USAGE.cached, 'cached_tokens');
}

async function rawStream(body: unknown): Promise<{ status: number; contentType: string | null; raw: string; data: string[] }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${GW_KEY}` }, body: JSON.stringify(body) });
  const parser = new SseParser();
  const data: string[] = [];
  let raw = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    raw += decoder.decode(chunk, { stream: true });
    for (const event of parser.push(chunk)) data.push(event.data);
  }
  for (const event of parser.end()) data.push(event.data);
  return { status: res.status, contentType: res.headers.get('content-type'), raw, data };
}

for (const provider of PROVIDERS) {
  const model = MODELS[provider];
  const fake = provider === 'mock' ? undefined : up[provider];

  t.test(`openai client -> ${provider}: plain`, async (t) => {
    up.resetAll();
    const { data, response } = await client.chat.completions.create(fixtures.openai.text(model)).withResponse();
    t.ok(response.headers.get('x-request-id'), 'x-request-id');
    t.match(response.headers.get('content-type'), /^application\/json/);
    t.equal(data.object, 'chat.completion');
    t.match(data.id, /\S/);
    t.equal(data.choices.length, 1);
    t.equal(data.choices[0]?.message.role, 'assistant');
    t.equal(data.choices[0]?.message.content, TEXT[provider]);
    t.equal(data.choices[0]?.finish_reason, 'stop');
    expectUsage(t, provider, data.usage);
    if (provider === 'openai') {
      // Same protocol: the upstream's answer passes through, fields the gateway does not know included.
      t.equal((data as unknown as Json).system_fingerprint, 'fp_fake0001', 'pass-through keeps upstream fields');
      t.match(data.id, /^chatcmpl-/);
    }
    t.same(counts(up), countsOnly(provider), 'only the routed upstream was called');
    if (provider !== 'mock') expectTextRequest(t, provider, up[provider].requests[0]!, false);
  });

  t.test(`openai client -> ${provider}: streamed (raw framing, no usage unless asked)`, async (t) => {
    up.resetAll();
    const { status, contentType, raw, data } = await rawStream({ ...fixtures.openai.text(model), stream: true });
    t.equal(status, 200);
    t.match(contentType, /^text\/event-stream/);
    t.ok(raw.endsWith('data: [DONE]\n\n'), 'ends with data: [DONE]');
    t.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Json);
    t.ok(chunks.length >= 2, 'several chunks');
    t.ok(chunks.every((c) => c.object === 'chat.completion.chunk'), 'every chunk is a chat.completion.chunk');
    t.ok(chunks.every((c) => c.id === chunks[0]!.id), 'one id for the stream');
    if (provider === 'openai') t.ok(chunks.every((c) => c.system_fingerprint === 'fp_fake0001'), 'pass-through chunks keep upstream fields');
    t.equal(chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join(''), TEXT[provider], 'text reassembled');
    t.equal(chunks.filter((c) => c.choices?.[0]?.finish_reason === 'stop').length, 1, 'one finish_reason stop');
    t.ok(chunks.every((c) => c.usage === undefined || c.usage === null), 'no usage chunk: include_usage not asked');
    t.ok(chunks.every((c) => Array.isArray(c.choices) && c.choices.length > 0), 'no empty-choices usage chunk');
    t.same(counts(up), countsOnly(provider));
    if (provider !== 'mock') expectTextRequest(t, provider, up[provider].requests[0]!, true);
  });

  t.test(`openai client -> ${provider}: SDK stream helper and include_usage`, async (t) => {
    up.resetAll();
    const final = await client.chat.completions.stream(fixtures.openai.text(model)).finalChatCompletion();
    t.equal(final.choices[0]?.message.content, TEXT[provider], 'stream helper reconstructs the text');
    t.equal(final.choices[0]?.finish_reason, 'stop');

    const stream = await client.chat.completions.create({ ...fixtures.openai.text(model), stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const withUsage = chunks.filter((c) => c.usage);
    t.equal(withUsage.length, 1, 'exactly one usage chunk');
    t.equal(chunks.at(-1), withUsage[0], 'the usage chunk is last');
    t.same(withUsage[0]?.choices, [], 'the usage chunk has no choices');
    expectUsage(t, provider, withUsage[0]?.usage);
    t.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), TEXT[provider]);
  });

  t.test(`openai client -> ${provider}: tools, then the tool result`, async (t) => {
    for (const streamed of [false, true]) {
      up.resetAll();
      fake?.script([{ kind: 'tool-call' }]);
      const request = { ...fixtures.openai.tools(model), tool_choice: 'required' as const };
      const completion = streamed ? await client.chat.completions.stream(request).finalChatCompletion() : await client.chat.completions.create(request);
      const choice = completion.choices[0];
      t.equal(choice?.finish_reason, 'tool_calls', `${streamed ? 'streamed' : 'plain'}: finish_reason tool_calls`);
      const call = choice?.message.tool_calls?.[0];
      if (call?.type !== 'function') {
        t.fail(`no function tool call: ${JSON.stringify(choice)}`);
        continue;
      }
      t.equal(call.function.name, 'get_weather');
      t.match(call.id, /\S/, 'the call has an id');
      const args = JSON.parse(call.function.arguments) as Json;
      if (provider === 'mock') t.type(args, 'object');
      else t.same(args, DEFAULT_TOOL_ARGUMENTS, 'arguments parse to what the upstream sent');
      if (fake && provider !== 'mock') expectToolsRequest(t, provider, fake.requests[0]!);

      up.resetAll();
      const follow = await client.chat.completions.create(fixtures.openai.toolResult(model, call.id, call.function.arguments));
      t.equal(follow.choices[0]?.finish_reason, 'stop', 'the follow-up is answered');
      if (provider === 'mock') t.match(follow.choices[0]?.message.content, /\S/, 'the mock answers the follow-up with text');
      else t.equal(follow.choices[0]?.message.content, TEXT[provider]);
      if (provider !== 'mock') expectToolResultRequest(t, provider, up[provider].requests[0]!, call.id, args);
    }
  });

  if (fake) {
    t.test(`openai client -> ${provider}: upstream errors raise the right SDK error`, async (t) => {
      const cases = [
        { script: [{ kind: 'status' as const, status: 400 }], cls: OpenAI.BadRequestError, status: 400, attempts: [1] },
        { script: [{ kind: 'status' as const, status: 404 }], cls: OpenAI.NotFoundError, status: 404, attempts: [1] },
        // retries: 1 -> two attempts on the only target, then the caller sees the last failure.
        { script: [{ kind: 'status' as const, status: 500 }, { kind: 'status' as const, status: 500 }], cls: OpenAI.InternalServerError, status: 502, attempts: [2] },
        // A 429 also cools the provider's only key down, so the gateway may answer it without a retry.
        { script: [{ kind: 'status' as const, status: 429 }, { kind: 'status' as const, status: 429 }], cls: OpenAI.RateLimitError, status: 429, attempts: [1, 2] },
      ];
      for (const c of cases) {
        up.resetAll();
        fake.script(c.script);
        const err = await rejection(client.chat.completions.create(fixtures.openai.text(model)));
        t.ok(err instanceof c.cls, `upstream ${c.script[0]!.status}: ${c.cls.name} (got ${err.constructor.name}: ${err.message})`);
        t.equal(err.status, c.status, `upstream ${c.script[0]!.status}: caller status`);
        t.ok(err.headers?.get?.('x-request-id'), 'error responses carry x-request-id');
        t.type(err.error?.message, 'string', 'OpenAI error shape {error:{message,type}}');
        t.type(err.error?.type, 'string');
        t.ok(c.attempts.includes(fake.requests.length), `upstream ${c.script[0]!.status}: ${fake.requests.length} attempts`);
        if (c.status < 500) t.ok(JSON.stringify(err.error).includes(upstreamMessage(provider, c.status)), `the upstream's message reaches the caller: ${JSON.stringify(err.error)}`);
      }
      // The key cooled down by the 429 comes back after key_cooldown (100 ms).
      fake.reset();
      await eventually('the provider to serve again', () => client.chat.completions.create(fixtures.openai.text(model)));
    });
  }

  t.test(`openai client -> ${provider}: abort cancels the upstream request`, async (t) => {
    up.resetAll();
    fake?.script([{ kind: 'slow-stream', delayMs: 250 }]);
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...fixtures.openai.text(model), stream: true }, { signal: controller.signal, headers: provider === 'mock' ? { 'x-mock-chunk-delay-ms': '250' } : {} });
    let received = 0;
    let finished = false;
    // The SDKs end the iteration quietly when their own signal aborts (or raise APIUserAbortError).
    const outcome = await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.finish_reason) finished = true;
        received++;
        controller.abort();
      }
    })().then(
      () => null,
      (e: Error) => e,
    );
    t.ok(outcome === null || outcome instanceof OpenAI.APIUserAbortError, `the stream stops (got ${String(outcome)})`);
    t.ok(received >= 1, 'a first chunk arrived');
    t.notOk(finished, 'the stream stopped before its end');
    if (fake) await fake.waitFor('the upstream connection to be closed by the gateway', (r) => r[0]?.aborted === true, 5_000).then(() => t.pass('upstream saw the abort'), (e: Error) => t.fail(e.message));
    // The gateway still serves.
    const after = await client.chat.completions.create(fixtures.openai.text(model));
    t.equal(after.choices[0]?.message.content, TEXT[provider]);
  });
}

t.test('openai client: translation of images, stop sequences and sampling parameters', async (t) => {
  up.resetAll();
  const request = { ...fixtures.openai.image(MODELS.anthropic), stop: ['END'], top_p: 0.9 };
  await client.chat.completions.create(request);
  const toAnthropic = up.anthropic.requests[0]?.body as Json;
  t.same(toAnthropic.stop_sequences, ['END'], 'stop -> stop_sequences');
  t.equal(toAnthropic.top_p, 0.9);
  t.match(toAnthropic.messages[0].content, [{ type: 'text', text: 'What is in this image?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: fixtures.TINY_PNG_BASE64 } }], 'data URL -> base64 image block');

  await client.chat.completions.create({ ...fixtures.openai.image(MODELS.gemini), stop: ['END'], top_p: 0.9 });
  const toGemini = up.gemini.requests[0]?.body as Json;
  t.same(toGemini.generationConfig.stopSequences, ['END']);
  t.equal(toGemini.generationConfig.topP, 0.9);
  t.match(toGemini.contents[0].parts, [{ text: 'What is in this image?' }, { inlineData: { mimeType: 'image/png', data: fixtures.TINY_PNG_BASE64 } }], 'data URL -> inlineData');

  await client.chat.completions.create({ ...fixtures.openai.image(MODELS.openai), stop: ['END'], top_p: 0.9 });
  const toOpenai = up.openai.requests[0]?.body as Json;
  t.same(toOpenai.messages, request.messages, 'OpenAI upstream: messages unchanged');
  t.same(toOpenai.stop, ['END']);
});

t.test('openai client: gateway errors', async (t) => {
  up.resetAll();
  const unknown = await rejection(client.chat.completions.create(fixtures.openai.text('no-such-model')));
  t.ok(unknown instanceof OpenAI.NotFoundError, `NotFoundError (got ${unknown.constructor.name})`);
  t.equal(unknown.status, 404);
  t.ok(String(unknown.error?.message).includes('no-such-model'), 'the message names the model');
  const wrongKey = await rejection(openaiClient(gw, 'sk-not-a-gateway-key').chat.completions.create(fixtures.openai.text(MODELS.mock)));
  t.ok(wrongKey instanceof OpenAI.AuthenticationError, `AuthenticationError (got ${wrongKey.constructor.name})`);
  t.equal(wrongKey.status, 401);
  const badType = await rejection(client.chat.completions.create({ model: MODELS.mock, messages: 'hello' as unknown as [] }));
  t.ok(badType instanceof OpenAI.BadRequestError, `BadRequestError (got ${badType.constructor.name})`);
  t.equal(badType.status, 400);
  t.ok(String(badType.error?.message).includes('messages'), 'the message names the field');
  t.same(counts(up), countsOnly('mock', 0), 'no upstream was called');
});


t.test('openai client -> anthropic upstream streaming thinking: reasoning_content deltas, then the content', async (t) => {
  up.resetAll();
  const reasoning = 'The user says hello, so I greet back.';
  up.anthropic.script([{ kind: 'reasoning', text: reasoning }]);
  const stream = await client.chat.completions.create({ ...fixtures.openai.text(MODELS.anthropic), stream: true });
  const order: string[] = [];
  let thinking = '';
  let text = '';
  for await (const chunk of stream) {
    // reasoning_content is the OpenAI-compatible extension the SDK's types do not list.
    const delta = chunk.choices[0]?.delta as ({ reasoning_content?: string } & OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta) | undefined;
    if (delta?.reasoning_content) {
      thinking += delta.reasoning_content;
      order.push('reasoning');
    }
    if (delta?.content) {
      text += delta.content;
      order.push('content');
    }
  }
  t.equal(thinking, reasoning, 'reasoning_content deltas carry the thinking');
  t.equal(text, TEXT.anthropic, 'content deltas carry the text');
  t.equal(order.indexOf('content'), order.lastIndexOf('reasoning') + 1, 'all reasoning before the content');
  t.ok(order[0] === 'reasoning');
});

t.test('openai client: custom tools (GPT-5) pass through to OpenAI, plain and streamed; the mock calls them too', async (t) => {
  const patchTool = { type: 'custom' as const, custom: { name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar' as const, grammar: { definition: 'start: /[\\s\\S]+/', syntax: 'lark' as const } } } };
  const messages = [{ role: 'user' as const, content: 'Add hello.txt' }];
  const request = { model: MODELS.openai, messages, tools: [patchTool], tool_choice: { type: 'custom' as const, custom: { name: 'apply_patch' } } };

  up.resetAll();
  up.openai.script([{ kind: 'tool-call' }]);
  const plain = await client.chat.completions.create(request);
  const call = plain.choices[0]?.message.tool_calls?.[0];
  t.strictSame(call?.type === 'custom' ? call.custom : call, { name: 'apply_patch', input: CUSTOM_TOOL_INPUT }, 'the custom call, as the upstream made it');
  t.same((up.openai.requests[0]?.body as Json).tools, [patchTool], 'the custom tool reached the upstream as sent');

  up.resetAll();
  up.openai.script([{ kind: 'tool-call' }]);
  let input = '';
  let name = '';
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
    for (const delta of (chunk.choices[0]?.delta.tool_calls ?? []) as Array<{ type?: string; custom?: { name?: string; input?: string } }>) {
      name += delta.custom?.name ?? '';
      input += delta.custom?.input ?? '';
    }
  }
  t.equal(name, 'apply_patch');
  t.equal(input, CUSTOM_TOOL_INPUT, 'the streamed input, piece by piece');

  // The follow-up carries the custom call in the history.
  up.resetAll();
  const follow = await client.chat.completions.create({
    model: MODELS.openai,
    tools: [patchTool],
    messages: [...messages, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: CUSTOM_TOOL_INPUT } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'Done' }],
  });
  t.equal(follow.choices[0]?.message.content, TEXT.openai);

  const mock = await client.chat.completions.create({ ...request, model: MODELS.mock });
  const mockCall = mock.choices[0]?.message.tool_calls?.[0];
  t.equal(mockCall?.type, 'custom', 'the mock answers a custom tool with a custom call');
});

t.test('openai client: a custom tool to Claude or Gemini is a 400 naming it; allowed_tools reach them as the allowed tools', async (t) => {
  const customTool = { type: 'custom' as const, custom: { name: 'apply_patch' } };
  for (const provider of ['anthropic', 'gemini'] as const) {
    up.resetAll();
    const err = await rejection(client.chat.completions.create({ model: MODELS[provider], messages: [{ role: 'user', content: 'hi' }], tools: [customTool] }));
    t.ok(err instanceof OpenAI.BadRequestError, `${provider}: BadRequestError`);
    t.match((err as InstanceType<typeof OpenAI.BadRequestError>).message, /custom tool "apply_patch" can only be served by an OpenAI provider/);
    t.equal(up[provider].requests.length, 0, `${provider}: nothing was sent upstream`);
  }
  const fn = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: { q: { type: 'string' } } } } });
  const allowed = { type: 'allowed_tools' as const, allowed_tools: { mode: 'required' as const, tools: [{ type: 'function', function: { name: 'search' } }] } };
  up.resetAll();
  up.anthropic.script([{ kind: 'tool-call' }]);
  await client.chat.completions.create({ model: MODELS.anthropic, messages: [{ role: 'user', content: 'hi' }], tools: [fn('search'), fn('delete_all')], tool_choice: allowed });
  const sent = up.anthropic.requests[0]?.body as Json;
  t.strictSame((sent.tools as Array<{ name: string }>).map((tool) => tool.name), ['search'], 'Claude sees the allowed tool only');
  t.strictSame(sent.tool_choice, { type: 'any' }, 'required is any');
  up.resetAll();
  up.gemini.script([{ kind: 'tool-call' }]);
  await client.chat.completions.create({ model: MODELS.gemini, messages: [{ role: 'user', content: 'hi' }], tools: [fn('search'), fn('delete_all')], tool_choice: allowed });
  const geminiBody = up.gemini.requests[0]?.body as { tools: Array<{ functionDeclarations: Array<{ name: string }> }>; toolConfig: unknown };
  t.strictSame(geminiBody.tools[0]?.functionDeclarations.map((d) => d.name), ['search'], 'Gemini sees the allowed tool only');
  t.strictSame(geminiBody.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
});

t.test('openai client: JSON output to Claude before 4.5 rides on a forced tool and comes back as the content, plain and streamed', async (t) => {
  const schema = { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city', 'unit'], additionalProperties: false };
  const request = { model: MODELS.anthropic, messages: [{ role: 'user' as const, content: 'Weather where?' }], response_format: { type: 'json_schema' as const, json_schema: { name: 'weather', schema } } };
  up.resetAll();
  up.anthropic.script([{ kind: 'tool-call' }]);
  const plain = await client.chat.completions.create(request);
  t.same(JSON.parse(plain.choices[0]?.message.content ?? 'null'), DEFAULT_TOOL_ARGUMENTS, 'the content is the JSON');
  t.equal(plain.choices[0]?.finish_reason, 'stop');
  t.equal(plain.choices[0]?.message.tool_calls, undefined);
  const sent = up.anthropic.requests[0]?.body as Json;
  t.same(sent.tool_choice, { type: 'tool', name: 'json_output', disable_parallel_tool_use: true }, 'the tool was forced, once');
  t.same((sent.tools as Array<{ input_schema: unknown }>)[0]?.input_schema, schema);

  up.resetAll();
  up.anthropic.script([{ kind: 'tool-call' }]);
  let content = '';
  let finish: string | null | undefined;
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
    content += chunk.choices[0]?.delta.content ?? '';
    t.notOk(chunk.choices[0]?.delta.tool_calls, 'no tool call delta');
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  t.same(JSON.parse(content), DEFAULT_TOOL_ARGUMENTS, 'the streamed content is the JSON');
  t.equal(finish, 'stop');
});
