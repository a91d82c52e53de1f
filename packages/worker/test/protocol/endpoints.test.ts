/** URL/header builders and OpenAI upstream request normalisation. */
import t from 'tap';
import type { ChatCompletionRequest, CompletionRequest } from '@gatewayd/shared';
import { buildAnthropicEndpoint } from '../../src/providers/anthropic/index.js';
import { buildGeminiEndpoint, geminiMethodPath } from '../../src/providers/gemini/index.js';
import { anthropicToOpenaiRequest } from '../../src/providers/anthropic/index.js';
import { acceptsExtensions, AZURE_DEFAULT_API_VERSION, buildOpenaiEndpoint, prepareOpenaiChatRequest, prepareOpenaiCompletionRequest, translatedOutputLimitField } from '../../src/providers/openai/index.js';

t.test('OpenAI-compatible: base_url + endpoint, bearer key, config headers and query', async (t) => {
  t.strictSame(buildOpenaiEndpoint({ baseUrl: 'https://api.openai.com/v1/', endpoint: 'chat/completions', apiKey: 'sk-1', headers: { 'OpenAI-Organization': 'org-9' } }), {
    url: 'https://api.openai.com/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-1', 'openai-organization': 'org-9' },
    azure: false,
  });
  t.equal(buildOpenaiEndpoint({ baseUrl: 'http://127.0.0.1:11434/v1', endpoint: 'embeddings' }).url, 'http://127.0.0.1:11434/v1/embeddings');
  t.notOk('authorization' in buildOpenaiEndpoint({ baseUrl: 'http://localhost:8000/v1', endpoint: 'models' }).headers, 'no key, no header');
});

t.test('Azure: api-key header, api-version query, deployment in the path', async (t) => {
  const withDeployment = buildOpenaiEndpoint({ baseUrl: 'https://res.openai.azure.com/openai/deployments/gpt4o', endpoint: 'chat/completions', apiKey: 'az', query: { 'api-version': '2024-06-01' } });
  t.strictSame(withDeployment, {
    url: 'https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01',
    headers: { 'content-type': 'application/json', 'api-key': 'az' },
    azure: true,
  });
  const byModel = buildOpenaiEndpoint({ baseUrl: 'https://res.cognitiveservices.azure.com/openai', endpoint: 'embeddings', apiKey: 'az', model: 'text embed 3' });
  t.equal(byModel.url, `https://res.cognitiveservices.azure.com/openai/deployments/text%20embed%203/embeddings?api-version=${AZURE_DEFAULT_API_VERSION}`);
  t.equal(buildOpenaiEndpoint({ baseUrl: 'https://res.openai.azure.com/openai/v1', endpoint: 'chat/completions', apiKey: 'az' }).url, 'https://res.openai.azure.com/openai/v1/chat/completions', 'v1 API: no version');
  const proxied = buildOpenaiEndpoint({ baseUrl: 'https://gw.internal/azure/openai/deployments/d1', endpoint: 'chat/completions', apiKey: 'k', query: { 'api-version': '2025-01-01-preview' } });
  t.equal(proxied.azure, true, 'api-version in the config marks Azure style behind any host');
  t.equal(proxied.headers['api-key'], 'k');
});

t.test('Anthropic and Gemini endpoints', async (t) => {
  t.strictSame(buildAnthropicEndpoint({ baseUrl: 'https://api.anthropic.com', endpoint: 'messages', apiKey: 'sk-ant', headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } }), {
    url: 'https://api.anthropic.com/v1/messages',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant', 'anthropic-beta': 'prompt-caching-2024-07-31' },
  });
  t.equal(buildAnthropicEndpoint({ baseUrl: 'https://proxy.example/v1/', endpoint: 'count_tokens' }).url, 'https://proxy.example/v1/messages/count_tokens');
  t.strictSame(buildGeminiEndpoint({ baseUrl: 'https://generativelanguage.googleapis.com/v1beta', model: 'gemini-2.5-flash', method: 'streamGenerateContent', apiKey: 'AIza' }), {
    url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIza' },
  });
  t.equal(geminiMethodPath('tunedModels/my-model', 'generateContent'), 'tunedModels/my-model:generateContent');
  t.equal(geminiMethodPath('models/text-embedding-004', 'embedContent'), 'models/text-embedding-004:embedContent');
});

t.test('prepareOpenaiChatRequest: usage always requested for streams, caller intent remembered', async (t) => {
  const base: ChatCompletionRequest = { model: 'alias', messages: [{ role: 'user', content: 'hi' }], top_k: 5, max_tokens: 10 };
  const noUsage = prepareOpenaiChatRequest({ ...base, stream: true }, { model: 'gpt-4o-mini' });
  t.equal(noUsage.callerWantsUsage, false);
  t.strictSame(noUsage.body.stream_options, { include_usage: true });
  t.equal(noUsage.body.model, 'gpt-4o-mini');
  t.notOk('top_k' in noUsage.body, 'extension stripped for strict upstreams');
  const withUsage = prepareOpenaiChatRequest({ ...base, stream: true, stream_options: { include_usage: true } }, { model: 'm', allowExtensions: true });
  t.equal(withUsage.callerWantsUsage, true);
  t.equal(withUsage.body.top_k, 5);
  const plain = prepareOpenaiChatRequest({ ...base, stream_options: { include_usage: true } }, { model: 'm' });
  t.equal(plain.stream, false);
  t.notOk('stream_options' in plain.body, 'stream_options removed when not streaming');
  const renamed = prepareOpenaiChatRequest(base, { model: 'o3', maxTokensField: 'max_completion_tokens' });
  t.equal(renamed.body.max_completion_tokens, 10);
  t.notOk('max_tokens' in renamed.body);
  t.equal(base.model, 'alias', 'caller body untouched');
  t.equal(base.top_k, 5);
  const legacy = prepareOpenaiCompletionRequest({ model: 'x', prompt: 'p', stream: true }, { model: 'y' });
  t.strictSame(legacy.body.stream_options, { include_usage: true });
  // Legacy completions likewise: top_k (vLLM's extension) is stripped for strict upstreams only.
  const legacyTopK = { model: 'x', prompt: 'p', top_k: 5 } as CompletionRequest;
  t.notOk('top_k' in prepareOpenaiCompletionRequest(legacyTopK, { model: 'y', allowExtensions: false }).body);
  t.equal((prepareOpenaiCompletionRequest(legacyTopK, { model: 'y', allowExtensions: true }).body as { top_k?: number }).top_k, 5);
  t.equal(acceptsExtensions('https://api.openai.com/v1'), false);
  t.equal(acceptsExtensions('https://r.openai.azure.com/openai'), false);
  t.equal(acceptsExtensions('http://localhost:8000/v1'), true);
});

t.test('an Anthropic caller reaching api.openai.com sends max_completion_tokens (reasoning models refuse max_tokens)', async (t) => {
  const hub = anthropicToOpenaiRequest({ model: 'gpt-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }, 'gpt-5');
  t.equal(translatedOutputLimitField('https://api.openai.com/v1'), 'max_completion_tokens');
  const field = translatedOutputLimitField('https://api.openai.com/v1');
  const body = prepareOpenaiChatRequest(hub, { model: 'gpt-5', ...(field ? { maxTokensField: field } : {}) }).body;
  t.equal(body.max_completion_tokens, 1024);
  t.notOk('max_tokens' in body);
  for (const url of ['https://r.openai.azure.com/openai/deployments/d', 'http://127.0.0.1:11434/v1', 'http://localhost:8000/v1']) {
    t.equal(translatedOutputLimitField(url), undefined, `${url}: max_tokens as translated`);
  }
});
