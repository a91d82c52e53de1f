/**
 * The rest of the data plane through the official SDKs: legacy /v1/completions and /v1/embeddings
 * (openai SDK, which asks for base64 embeddings by default), GET /v1/models (both SDKs),
 * /v1/messages/count_tokens (Anthropic SDK), and model names: aliases and globs.
 */
import t from 'tap';
import { startGateway } from '../fakes/index.js';
import { embeddingOf } from '../fakes/server.js';
import { anthropicClient, contentText, counts, countsOnly, gatewayYaml, MODELS, openaiClient, PROVIDERS, startUpstreams, TEXT, UPSTREAM_KEYS, type Json } from './setup.js';

const up = await startUpstreams(t);
const gw = await startGateway(
  t,
  gatewayYaml(up, {
    extraModels: `
  - { name: oa-embed, targets: [{ provider: fake-openai, model: text-embedding-3-small }] }
  - { name: ge-embed, targets: [{ provider: fake-gemini, model: text-embedding-004 }] }
  - { name: "vendor/*", targets: [{ provider: fake-openai, model: "*" }] }`,
  }),
);
const openai = openaiClient(gw);
const anthropic = anthropicClient(gw);
const PROMPT = 'Say hello.';

for (const provider of PROVIDERS) {
  const model = MODELS[provider];
  t.test(`legacy completions -> ${provider}: plain and streamed`, async (t) => {
    up.resetAll();
    const plain = await openai.completions.create({ model, prompt: PROMPT, max_tokens: 64 });
    t.equal(plain.object, 'text_completion');
    t.equal(plain.choices[0]?.text, TEXT[provider]);
    t.equal(plain.choices[0]?.finish_reason, 'stop');
    t.ok((plain.usage?.prompt_tokens ?? 0) > 0 && (plain.usage?.completion_tokens ?? 0) > 0, 'usage');
    t.same(counts(up), countsOnly(provider));
    if (provider === 'openai') {
      const body = up.openai.requests[0]?.body as Json;
      // Either forwarded as a completion or turned into a chat request: the prompt arrives intact.
      t.equal(body.prompt ?? contentText(body.messages?.at(-1)?.content), PROMPT, 'prompt forwarded');
      t.equal(up.openai.requests[0]?.key, UPSTREAM_KEYS.openai);
    } else if (provider === 'anthropic') {
      const body = up.anthropic.requests[0]?.body as Json;
      t.equal(contentText(body.messages[0].content), PROMPT, 'prompt as the user message');
      t.equal(body.max_tokens, 64);
    } else if (provider === 'gemini') {
      t.same((up.gemini.requests[0]?.body as Json).contents, [{ role: 'user', parts: [{ text: PROMPT }] }]);
    }

    const stream = await openai.completions.create({ model, prompt: PROMPT, max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks: Json[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as unknown as Json);
      text += chunk.choices[0]?.text ?? '';
    }
    t.equal(text, TEXT[provider], 'streamed text');
    t.ok(chunks.every((c) => c.object === 'text_completion'), 'every chunk is a text_completion');
    t.ok(chunks.at(-1)?.usage?.completion_tokens > 0, 'include_usage: the last chunk has usage');
  });
}

t.test('embeddings through the openai SDK (base64 by default, float on request)', async (t) => {
  up.resetAll();
  const viaOpenai = await openai.embeddings.create({ model: 'oa-embed', input: ['a', 'b'] });
  t.equal(viaOpenai.object, 'list');
  t.same(viaOpenai.data.map((d) => d.index), [0, 1]);
  t.same(viaOpenai.data[0]?.embedding, embeddingOf(JSON.stringify('a'), 8), 'vector a');
  t.same(viaOpenai.data[1]?.embedding, embeddingOf(JSON.stringify('b'), 8), 'vector b');
  t.ok(viaOpenai.usage.prompt_tokens > 0);
  t.match(up.openai.requests[0]?.body, { model: 'text-embedding-3-small', input: ['a', 'b'] }, 'forwarded to the OpenAI upstream');

  const floats = await openai.embeddings.create({ model: 'oa-embed', input: 'a', encoding_format: 'float' });
  t.same(floats.data[0]?.embedding, embeddingOf(JSON.stringify('a'), 8), 'float encoding');

  const viaGemini = await openai.embeddings.create({ model: 'ge-embed', input: ['a', 'b'] });
  t.same(viaGemini.data.map((d) => d.embedding), [embeddingOf(JSON.stringify('a'), 8), embeddingOf(JSON.stringify('b'), 8)], 'Gemini vectors, base64-encoded for the SDK and decoded by it');
  const geminiCall = up.gemini.requests[0];
  t.equal(geminiCall?.path, '/v1beta/models/text-embedding-004:batchEmbedContents');
  t.equal(geminiCall?.key, UPSTREAM_KEYS.gemini);
  t.match(geminiCall?.body, { requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } }, { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } }] });

  const dims = await openai.embeddings.create({ model: 'ge-embed', input: 'a', dimensions: 4, encoding_format: 'float' });
  t.equal(dims.data[0]?.embedding.length, 4, 'dimensions -> outputDimensionality');

  // Token ids: one list is one input, a list of lists one input each (the mock answers both).
  const oneTokenList = await openai.embeddings.create({ model: MODELS.mock, input: [1, 2, 3] });
  t.equal(oneTokenList.data.length, 1, 'one vector for one list of token ids');
  const twoTokenLists = await openai.embeddings.create({ model: MODELS.mock, input: [[1, 2], [3]] });
  t.equal(twoTokenLists.data.length, 2, 'a vector per list of token ids');
});

t.test('GET /v1/models: configured names and aliases, not globs (both SDKs)', async (t) => {
  const expected = [MODELS.openai, MODELS.anthropic, MODELS.gemini, MODELS.mock, 'mock-alias', 'oa-embed', 'ge-embed'];
  const viaOpenai = await openai.models.list();
  const ids = viaOpenai.data.map((m) => m.id);
  for (const id of expected) t.ok(ids.includes(id), `openai SDK lists ${id}`);
  t.notOk(ids.some((id) => id.includes('*')), 'globs are not listed');
  t.ok(viaOpenai.data.every((m) => m.object === 'model'), 'object: model');

  const viaAnthropic = await anthropic.models.list();
  const anthropicIds = viaAnthropic.data.map((m) => m.id);
  for (const id of expected) t.ok(anthropicIds.includes(id), `Anthropic SDK lists ${id}`);
});

t.test('count_tokens through the Anthropic SDK', async (t) => {
  up.resetAll();
  const messages = [{ role: 'user' as const, content: 'How many tokens is this sentence?' }];
  const passthrough = await anthropic.messages.countTokens({ model: MODELS.anthropic, system: 'Be brief.', messages });
  t.type(passthrough.input_tokens, 'number');
  const seen = up.anthropic.requests[0];
  t.equal(seen?.path, '/v1/messages/count_tokens', 'the Anthropic upstream counted');
  t.match(seen?.body, { model: 'claude-sonnet-4-20250514', system: 'Be brief.', messages });
  t.equal(seen?.key, UPSTREAM_KEYS.anthropic);
  for (const model of [MODELS.openai, MODELS.gemini, MODELS.mock]) {
    const counted = await anthropic.messages.countTokens({ model, messages });
    t.ok(Number.isInteger(counted.input_tokens) && counted.input_tokens > 0, `${model}: a positive count`);
  }
});

t.test('model names: alias and glob', async (t) => {
  up.resetAll();
  const alias = await openai.chat.completions.create({ model: 'mock-alias', messages: [{ role: 'user', content: PROMPT }] });
  t.equal(alias.choices[0]?.message.content, TEXT.mock, 'alias reaches the mock');
  const glob = await openai.chat.completions.create({ model: 'vendor/gpt-4.1-nano', messages: [{ role: 'user', content: PROMPT }] });
  t.equal(glob.choices[0]?.message.content, TEXT.openai);
  t.equal((up.openai.requests[0]?.body as Json).model, 'gpt-4.1-nano', 'the glob match becomes the upstream model');
  const viaAnthropic = await anthropic.messages.create({ model: 'vendor/gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: PROMPT }] });
  t.match(viaAnthropic.content, [{ type: 'text', text: TEXT.openai }]);
  t.equal((up.openai.requests[1]?.body as Json).model, 'gpt-4o');
});
