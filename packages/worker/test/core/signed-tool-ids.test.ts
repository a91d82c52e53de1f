/**
 * A conversation begun on a Gemini target goes on on another target of the model (failover on a
 * Gemini 503 here, round_robin alike): the long tool-call ids made for signed Gemini calls reach
 * OpenAI and Anthropic upstreams short (OpenAI refuses ids over 40 characters), each call and its
 * result still matching; callers of both protocols, passed through and translated.
 */
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { startFakeAnthropic, startFakeGemini, startFakeOpenai } from '../fakes/index.js';
import { geminiToolCallId } from '../../src/providers/gemini/index.js';
import { shortToolId, withShortAnthropicToolIds, withShortOpenaiToolIds } from '../../src/protocol/signed-tool-ids.js';
import { call, startCoreWorker } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const signature = () => randomBytes(300).toString('base64');
const SIGNED = [geminiToolCallId('rEsP0nse1d', 0, signature()), geminiToolCallId('rEsP0nse1d', 1, signature(), 'abc123')];
const PLAIN = 'call_plain_7';
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const expected = [...SIGNED.map(shortToolId), PLAIN];
const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

const openaiChat = (model: string) => ({
  model,
  tools,
  messages: [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [...SIGNED, PLAIN].map((id, i) => ({ id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city: `c${i}` }) } })),
    },
    ...[...SIGNED, PLAIN].reverse().map((id) => ({ role: 'tool', tool_call_id: id, content: 'sunny' })),
  ],
});

const anthropicMessages = (model: string) => ({
  model,
  max_tokens: 100,
  tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
  messages: [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    { role: 'assistant', content: [...SIGNED, PLAIN].map((id, i) => ({ type: 'tool_use', id, name: 'get_weather', input: { city: `c${i}` } })) },
    { role: 'user', content: [...SIGNED, PLAIN].map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'sunny' })) },
  ],
});

t.test('short ids: deterministic, at most 40 characters, other ids untouched', async (t) => {
  for (const id of SIGNED) {
    t.ok(id.length > 300, 'the signed id is long');
    t.equal(shortToolId(id), shortToolId(id));
    t.match(shortToolId(id), /^call_[0-9a-f]{32}$/);
  }
  t.not(shortToolId(SIGNED[0]!), shortToolId(SIGNED[1]!));
  t.equal(shortToolId(PLAIN), PLAIN);
  const openai = openaiChat('m') as Json;
  const short = withShortOpenaiToolIds(openai as never) as Json;
  t.same(short.messages[1].tool_calls.map((c: Json) => c.id), expected);
  t.same(short.messages.slice(2).map((m: Json) => m.tool_call_id), [...expected].reverse());
  t.equal(openai.messages[1].tool_calls[0].id, SIGNED[0], 'the caller body is not modified');
  const untouched = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
  t.equal(withShortOpenaiToolIds(untouched), untouched);
  const anthropic = anthropicMessages('m');
  const shortened = withShortAnthropicToolIds(anthropic as never) as Json;
  t.same(shortened.messages[1].content.map((b: Json) => b.id), expected);
  t.same(shortened.messages[2].content.map((b: Json) => b.tool_use_id), expected);
  t.equal((anthropic as Json).messages[1].content[0].id, SIGNED[0], 'the caller body is not modified');
});

t.test('a Gemini conversation continued on OpenAI and Anthropic targets', async (t) => {
  const gemini = await startFakeGemini();
  const openai = await startFakeOpenai();
  const anthropic = await startFakeAnthropic();
  t.teardown(() => Promise.all([gemini.close(), openai.close(), anthropic.close()]));
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 1, backoff_initial: 10ms, backoff_max: 20ms, breaker_threshold: 50 }
providers:
  - { name: ge, type: gemini, base_url: "${gemini.url}", api_keys: ["k"] }
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["k"] }
  - { name: an, type: anthropic, base_url: "${anthropic.url}", api_keys: ["k"] }
models:
  - { name: ge-oa, targets: [{ provider: ge, model: gemini-2.5-flash }, { provider: oa, model: gpt-4o }] }
  - { name: ge-an, targets: [{ provider: ge, model: gemini-2.5-flash }, { provider: an, model: claude-sonnet-4-5 }] }
`,
  );
  const failOver = () => {
    for (const fake of [gemini, openai, anthropic]) fake.reset();
    gemini.script([{ kind: 'status', status: 503 }]);
  };
  const openaiIds = (body: Json) => {
    const assistant = body.messages.find((m: Json) => m.role === 'assistant');
    const results = body.messages.filter((m: Json) => m.role === 'tool').map((m: Json) => m.tool_call_id);
    return { calls: assistant.tool_calls.map((c: Json) => c.id), results };
  };
  const anthropicIds = (body: Json) => ({
    calls: body.messages[1].content.filter((b: Json) => b.type === 'tool_use').map((b: Json) => b.id),
    results: body.messages[2].content.filter((b: Json) => b.type === 'tool_result').map((b: Json) => b.tool_use_id),
  });
  const check = (t: Test, ids: { calls: string[]; results: string[] }) => {
    t.same(ids.calls, expected, 'calls carry short ids');
    t.same([...ids.results].sort(), [...expected].sort(), 'results carry the same ids');
    for (const id of ids.calls) t.ok(id.length <= 40, `${id.length} characters`);
  };

  t.test('OpenAI caller, OpenAI target (passed through)', async (t) => {
    failOver();
    const r = await call(port, '/v1/chat/completions', openaiChat('ge-oa'));
    t.equal(r.status, 200, r.text);
    t.equal(gemini.requests.length, 1, 'Gemini was tried first');
    const sent = openai.requests[0]?.body as Json;
    t.equal(sent.model, 'gpt-4o');
    check(t, openaiIds(sent));
  });

  t.test('OpenAI caller, Anthropic target (translated)', async (t) => {
    failOver();
    const r = await call(port, '/v1/chat/completions', openaiChat('ge-an'));
    t.equal(r.status, 200, r.text);
    check(t, anthropicIds(anthropic.requests[0]?.body as Json));
  });

  t.test('Anthropic caller, Anthropic target (passed through)', async (t) => {
    failOver();
    const r = await call(port, '/v1/messages', anthropicMessages('ge-an'), ANTHROPIC);
    t.equal(r.status, 200, r.text);
    const sent = anthropic.requests[0]?.body as Json;
    t.equal(sent.model, 'claude-sonnet-4-5');
    check(t, anthropicIds(sent));
  });

  t.test('Anthropic caller, OpenAI target (translated)', async (t) => {
    failOver();
    const r = await call(port, '/v1/messages', anthropicMessages('ge-oa'), ANTHROPIC);
    t.equal(r.status, 200, r.text);
    check(t, openaiIds(openai.requests[0]?.body as Json));
  });

  t.test('Gemini itself still gets the signatures', async (t) => {
    for (const fake of [gemini, openai, anthropic]) fake.reset();
    const r = await call(port, '/v1/chat/completions', openaiChat('ge-oa'));
    t.equal(r.status, 200, r.text);
    const parts = (gemini.requests[0]?.body as Json).contents[1].parts as Json[];
    t.equal(parts.filter((p) => typeof p.thoughtSignature === 'string' && p.thoughtSignature.length > 300).length, 2);
  });
});
