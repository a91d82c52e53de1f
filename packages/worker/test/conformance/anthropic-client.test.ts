/**
 * The official `@anthropic-ai/sdk` as the caller, the real gateway in between, each provider behind
 * it (OpenAI, Anthropic and Gemini fakes, and the built-in mock): plain, streamed (strict event
 * sequence on the wire and the SDK's MessageStream), tools with the follow-up, usage in
 * message_delta, errors, abort.
 */
import t from 'tap';
import Anthropic from '@anthropic-ai/sdk';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, fixtures, startGateway } from '../fakes/index.js';
import { SseParser, type SseEvent } from '../../src/protocol/sse/index.js';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';
import { expectTextRequest, expectToolResultRequest, expectToolsRequest, type Asserts } from './expect-upstream.js';
import { anthropicClient, counts, countsOnly, gatewayYaml, GW_KEY, MODELS, PROVIDERS, rejection, eventually, startUpstreams, TEXT, upstreamMessage, type Json, type ProviderKind } from './setup.js';

const up = await startUpstreams(t);
const gw = await startGateway(t, gatewayYaml(up));
const client = anthropicClient(gw);

function expectUsage(tt: Asserts, provider: ProviderKind, usage: Json | undefined): void {
  if (!usage) {
    tt.fail('usage missing');
    return;
  }
  if (provider === 'mock') {
    tt.ok(usage.input_tokens > 0 && usage.output_tokens > 0, 'mock usage counted');
    return;
  }
  // Anthropic input_tokens exclude cache reads: 25 prompt tokens of which 8 cached -> 17 + 8.
  tt.equal(usage.input_tokens, DEFAULT_USAGE.prompt - DEFAULT_USAGE.cached, 'input_tokens exclude cache reads');
  tt.equal(usage.cache_read_input_tokens, DEFAULT_USAGE.cached, 'cache_read_input_tokens');
  tt.equal(usage.output_tokens, DEFAULT_USAGE.completion, 'output_tokens');
}

async function rawStream(body: unknown): Promise<{ status: number; contentType: string | null; raw: string; events: SseEvent[] }> {
  const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': GW_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let raw = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    raw += decoder.decode(chunk, { stream: true });
    events.push(...parser.push(chunk));
  }
  events.push(...parser.end());
  return { status: res.status, contentType: res.headers.get('content-type'), raw, events };
}

const textOf = (content: Array<{ type: string }>) => content.map((b) => (b.type === 'text' ? (b as unknown as { text: string }).text : '')).join('');

/** Sampling parameters the SDK's types no longer list but the API and the gateway accept. */
const sampling = { stop_sequences: ['END'], top_p: 0.9 };

for (const provider of PROVIDERS) {
  const model = MODELS[provider];
  const fake = provider === 'mock' ? undefined : up[provider];

  t.test(`anthropic client -> ${provider}: plain`, async (t) => {
    up.resetAll();
    const { data, response, request_id } = await client.messages.create(fixtures.anthropic.text(model)).withResponse();
    t.ok(response.headers.get('x-request-id'), 'x-request-id');
    // The SDK's request id: Anthropic's own on pass-through, else the gateway's (one header either way).
    t.equal(request_id, provider === 'anthropic' ? response.headers.get('request-id') : response.headers.get('x-request-id'));
    if (provider === 'anthropic') t.match(request_id, /^req_011C/);
    t.match(response.headers.get('content-type'), /^application\/json/);
    t.equal(data.type, 'message');
    t.equal(data.role, 'assistant');
    t.match(data.id, /\S/);
    t.same(data.content.map((b) => b.type), ['text'], 'one text block');
    t.equal(textOf(data.content), TEXT[provider]);
    t.equal(data.stop_reason, 'end_turn');
    t.equal(data.stop_sequence, null);
    expectUsage(t, provider, data.usage as unknown as Json);
    if (provider === 'anthropic') {
      // Same protocol: the upstream's answer passes through, fields the gateway does not know included.
      t.match(data.id, /^msg_01/);
      t.equal((data.usage as unknown as Json).service_tier, 'standard', 'pass-through keeps upstream fields');
    }
    t.same(counts(up), countsOnly(provider), 'only the routed upstream was called');
    if (provider !== 'mock') expectTextRequest(t, provider, up[provider].requests[0]!, false);
  });

  t.test(`anthropic client -> ${provider}: streamed (strict events on the wire, usage in message_delta)`, async (t) => {
    up.resetAll();
    const { status, contentType, raw, events } = await rawStream({ ...fixtures.anthropic.text(model), stream: true });
    t.equal(status, 200);
    t.match(contentType, /^text\/event-stream/);
    t.notOk(raw.includes('[DONE]'), 'no [DONE] in an Anthropic stream');
    const parsed = events.map((e) => JSON.parse(e.data) as AnthropicStreamEvent);
    t.ok(events.every((e, i) => e.event === parsed[i]!.type), 'every event: name equals data.type');
    t.same(anthropicSequenceViolations(parsed), [], 'strict event sequence');
    const text = parsed.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
    t.equal(text, TEXT[provider], 'text reassembled');
    const delta = parsed.find((e) => e.type === 'message_delta');
    t.equal(delta?.type === 'message_delta' ? delta.delta.stop_reason : undefined, 'end_turn');
    t.same(counts(up), countsOnly(provider));
    if (provider !== 'mock') expectTextRequest(t, provider, up[provider].requests[0]!, true);
  });

  t.test(`anthropic client -> ${provider}: SDK MessageStream`, async (t) => {
    up.resetAll();
    const stream = client.messages.stream(fixtures.anthropic.text(model));
    let streamedText = '';
    stream.on('text', (delta) => (streamedText += delta));
    const final = await stream.finalMessage();
    t.equal(streamedText, TEXT[provider], 'text events');
    t.equal(textOf(final.content), TEXT[provider], 'final message text');
    t.equal(final.stop_reason, 'end_turn');
    expectUsage(t, provider, final.usage as unknown as Json);
  });

  t.test(`anthropic client -> ${provider}: tools, then the tool result`, async (t) => {
    for (const streamed of [false, true]) {
      up.resetAll();
      fake?.script([{ kind: 'tool-call' }]);
      const request = { ...fixtures.anthropic.tools(model), tool_choice: { type: 'any' as const } };
      const message = streamed ? await client.messages.stream(request).finalMessage() : await client.messages.create(request);
      const label = streamed ? 'streamed' : 'plain';
      t.equal(message.stop_reason, 'tool_use', `${label}: stop_reason tool_use`);
      const use = message.content.find((b) => b.type === 'tool_use');
      if (use?.type !== 'tool_use') {
        t.fail(`${label}: no tool_use block: ${JSON.stringify(message.content)}`);
        continue;
      }
      t.equal(use.name, 'get_weather');
      t.match(use.id, /\S/, 'the block has an id');
      const input = use.input as Json;
      if (provider === 'mock') t.type(input, 'object');
      else t.same(input, DEFAULT_TOOL_ARGUMENTS, 'input is what the upstream sent');
      if (fake && provider !== 'mock') expectToolsRequest(t, provider, fake.requests[0]!);

      up.resetAll();
      const follow = await client.messages.create(fixtures.anthropic.toolResult(model, use.id, input));
      t.equal(follow.stop_reason, 'end_turn', 'the follow-up is answered');
      if (provider === 'mock') t.match(textOf(follow.content), /\S/);
      else t.equal(textOf(follow.content), TEXT[provider]);
      if (provider !== 'mock') expectToolResultRequest(t, provider, up[provider].requests[0]!, use.id, input);
    }
  });

  if (provider !== 'anthropic') {
    t.test(`anthropic client -> ${provider}: streamed tool use is strict on the wire`, async (t) => {
      up.resetAll();
      fake?.script([{ kind: 'tool-call' }]);
      const { events } = await rawStream({ ...fixtures.anthropic.tools(model), tool_choice: { type: 'any' }, stream: true });
      const parsed = events.map((e) => JSON.parse(e.data) as AnthropicStreamEvent);
      t.same(anthropicSequenceViolations(parsed), [], 'strict event sequence with a tool_use block');
      const start = parsed.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
      t.match(start, { content_block: { type: 'tool_use', name: 'get_weather', input: {} } });
    });
  }

  if (fake) {
    t.test(`anthropic client -> ${provider}: upstream errors raise the right SDK error`, async (t) => {
      const cases = [
        { script: [{ kind: 'status' as const, status: 400 }], cls: Anthropic.BadRequestError, status: 400, type: 'invalid_request_error', attempts: [1] },
        { script: [{ kind: 'status' as const, status: 404 }], cls: Anthropic.NotFoundError, status: 404, type: 'not_found_error', attempts: [1] },
        { script: [{ kind: 'status' as const, status: 500 }, { kind: 'status' as const, status: 500 }], cls: Anthropic.InternalServerError, status: 502, type: 'api_error', attempts: [2] },
        // A 429 also cools the provider's only key down, so the gateway may answer it without a retry.
        { script: [{ kind: 'status' as const, status: 429 }, { kind: 'status' as const, status: 429 }], cls: Anthropic.RateLimitError, status: 429, type: 'rate_limit_error', attempts: [1, 2] },
      ];
      for (const c of cases) {
        up.resetAll();
        fake.script(c.script);
        const err = await rejection(client.messages.create(fixtures.anthropic.text(model)));
        const upstream = c.script[0]!.status;
        t.ok(err instanceof c.cls, `upstream ${upstream}: ${c.cls.name} (got ${err.constructor.name}: ${err.message})`);
        t.equal(err.status, c.status, `upstream ${upstream}: caller status`);
        t.ok(err.headers?.get?.('x-request-id'), 'error responses carry x-request-id');
        t.equal(err.error?.type, 'error', 'Anthropic error shape {type:"error",error:{type,message}}');
        t.equal(err.error?.error?.type, c.type, `upstream ${upstream}: error.type`);
        t.type(err.error?.error?.message, 'string');
        t.ok(c.attempts.includes(fake.requests.length), `upstream ${upstream}: ${fake.requests.length} attempts`);
        if (c.status < 500) t.ok(JSON.stringify(err.error).includes(upstreamMessage(provider, c.status)), `the upstream's message reaches the caller: ${JSON.stringify(err.error)}`);
      }
      // The key cooled down by the 429 comes back after key_cooldown (100 ms).
      fake.reset();
      await eventually('the provider to serve again', () => client.messages.create(fixtures.anthropic.text(model)));
    });
  }

  t.test(`anthropic client -> ${provider}: abort cancels the upstream request`, async (t) => {
    up.resetAll();
    fake?.script([{ kind: 'slow-stream', delayMs: 250 }]);
    const controller = new AbortController();
    const stream = await client.messages.create({ ...fixtures.anthropic.text(model), stream: true }, { signal: controller.signal, headers: provider === 'mock' ? { 'x-mock-chunk-delay-ms': '250' } : {} });
    let received = 0;
    let finished = false;
    // The SDKs end the iteration quietly when their own signal aborts (or raise APIUserAbortError).
    const outcome = await (async () => {
      for await (const event of stream) {
        if (event.type === 'message_stop') finished = true;
        received++;
        controller.abort();
      }
    })().then(
      () => null,
      (e: Error) => e,
    );
    t.ok(outcome === null || outcome instanceof Anthropic.APIUserAbortError, `the stream stops (got ${String(outcome)})`);
    t.ok(received >= 1, 'a first event arrived');
    t.notOk(finished, 'the stream stopped before its end');
    if (fake) await fake.waitFor('the upstream connection to be closed by the gateway', (r) => r[0]?.aborted === true, 5_000).then(() => t.pass('upstream saw the abort'), (e: Error) => t.fail(e.message));
    const after = await client.messages.create(fixtures.anthropic.text(model));
    t.equal(textOf(after.content), TEXT[provider], 'the gateway still serves');
  });
}

t.test('anthropic client: translation of images, stop sequences and sampling parameters', async (t) => {
  up.resetAll();
  const toOpenaiRequest = { ...fixtures.anthropic.image(MODELS.openai), ...sampling };
  await client.messages.create(toOpenaiRequest);
  const toOpenai = up.openai.requests[0]?.body as Json;
  t.same(toOpenai.stop, ['END'], 'stop_sequences -> stop');
  t.equal(toOpenai.top_p, 0.9);
  t.match(toOpenai.messages[0].content, [{ type: 'image_url', image_url: { url: `data:image/png;base64,${fixtures.TINY_PNG_BASE64}` } }, { type: 'text', text: 'What is in this image?' }], 'base64 image -> data URL');

  const toGeminiRequest = { ...fixtures.anthropic.image(MODELS.gemini), ...sampling };
  await client.messages.create(toGeminiRequest);
  const toGemini = up.gemini.requests[0]?.body as Json;
  t.same(toGemini.generationConfig.stopSequences, ['END']);
  t.equal(toGemini.generationConfig.topP, 0.9);
  t.match(toGemini.contents[0].parts, [{ inlineData: { mimeType: 'image/png', data: fixtures.TINY_PNG_BASE64 } }, { text: 'What is in this image?' }]);

  const request = { ...fixtures.anthropic.image(MODELS.anthropic), ...sampling };
  await client.messages.create(request);
  const toAnthropic = up.anthropic.requests[0]?.body as Json;
  t.same(toAnthropic.messages, request.messages, 'Anthropic upstream: messages unchanged');
  t.same(toAnthropic.stop_sequences, ['END']);
});

t.test('anthropic client: gateway errors', async (t) => {
  up.resetAll();
  const unknown = await rejection(client.messages.create(fixtures.anthropic.text('no-such-model')));
  t.ok(unknown instanceof Anthropic.NotFoundError, `NotFoundError (got ${unknown.constructor.name})`);
  t.equal(unknown.status, 404);
  t.equal(unknown.error?.error?.type, 'not_found_error');
  t.equal(unknown.requestID, unknown.headers?.get('x-request-id'), "the SDK's requestID is the gateway's request id");
  t.ok(unknown.requestID);
  t.ok(String(unknown.error?.error?.message).includes('no-such-model'), 'the message names the model');
  const wrongKey = await rejection(anthropicClient(gw, 'sk-not-a-gateway-key').messages.create(fixtures.anthropic.text(MODELS.mock)));
  t.ok(wrongKey instanceof Anthropic.AuthenticationError, `AuthenticationError (got ${wrongKey.constructor.name})`);
  t.equal(wrongKey.status, 401);
  t.equal(wrongKey.error?.error?.type, 'authentication_error');
  const noMaxTokens = await rejection(client.messages.create({ model: MODELS.mock, messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming));
  t.ok(noMaxTokens instanceof Anthropic.BadRequestError, `BadRequestError (got ${noMaxTokens.constructor.name})`);
  t.equal(noMaxTokens.error?.error?.type, 'invalid_request_error');
  t.ok(String(noMaxTokens.error?.error?.message).includes('max_tokens'), 'the message names the field');
  t.same(counts(up), countsOnly('mock', 0), 'no upstream was called');
});

t.test('anthropic client: a thread (a conversation Anthropic keeps) is refused on other providers, and the SDK goes on without it', async (t) => {
  up.resetAll();
  const threaded = client.beta.messages.thread({ model: MODELS.openai, max_tokens: 100, system: 'Answer briefly.' });
  const refused = await rejection(threaded.send({ role: 'user', content: 'My name is Ada.' }));
  t.ok(refused instanceof Anthropic.BadRequestError, `BadRequestError (got ${refused.constructor.name})`);
  t.equal(refused.errorCode, 'thread_unsupported_request', 'the code the SDK recovers from');
  t.match(String(refused.error?.error?.message), /`thread`/);
  t.equal(up.openai.requests.length, 0, 'nothing went upstream');

  // The tool runner's setting: the SDK drops `thread` and sends the whole conversation every turn.
  const unthreaded = client.beta.messages.thread({ model: MODELS.openai, max_tokens: 100, system: 'Answer briefly.', unsupportedRequestBehavior: 'continue_unthreaded' });
  await unthreaded.send({ role: 'user', content: 'My name is Ada.' });
  await unthreaded.send({ role: 'user', content: 'What is my name?' });
  const last = up.openai.requests.at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
  t.same(
    last.messages.map((m) => m.role),
    ['system', 'user', 'assistant', 'user'],
    'the second turn carried the system prompt and the first exchange',
  );

  for (const model of [MODELS.gemini, MODELS.mock]) {
    const other = await rejection(client.beta.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], thread: { type: 'create' } } as unknown as Anthropic.Beta.MessageCreateParamsNonStreaming));
    t.equal(other.errorCode, 'thread_unsupported_request', `refused on ${model}`);
  }
  const mcp = await rejection(
    client.beta.messages.create({
      model: MODELS.openai,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: 'example' }],
    } as unknown as Anthropic.Beta.MessageCreateParamsNonStreaming),
  );
  t.ok(mcp instanceof Anthropic.BadRequestError);
  t.match(String(mcp.error?.error?.message), /mcp_servers/);
});

t.test('anthropic client -> openai-compatible upstream streaming reasoning_content: a thinking block, then the text block', async (t) => {
  up.resetAll();
  const reasoning = 'The user says hello, so I greet back.';
  up.openai.script([{ kind: 'reasoning', text: reasoning }]);
  const stream = client.messages.stream(fixtures.anthropic.text(MODELS.openai));
  let thinking = '';
  let text = '';
  stream.on('thinking', (delta) => (thinking += delta));
  stream.on('text', (delta) => (text += delta));
  const final = await stream.finalMessage();
  t.equal(thinking, reasoning, 'thinking events');
  t.equal(text, TEXT.openai, 'text events');
  t.same(final.content.map((b) => b.type), ['thinking', 'text'], 'thinking block first');
  const block = final.content[0];
  t.equal(block?.type === 'thinking' ? block.thinking : undefined, reasoning, 'final thinking block');
  t.equal(textOf(final.content), TEXT.openai);
  t.equal(final.stop_reason, 'end_turn');
  expectUsage(t, 'openai', final.usage as unknown as Json);
});
