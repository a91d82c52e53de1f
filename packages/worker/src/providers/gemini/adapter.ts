/**
 * Gemini upstreams (generateContent, streamGenerateContent?alt=sse, batchEmbedContents). Gemini
 * speaks no client protocol the gateway offers, so every caller is translated through the hub.
 */
import type { ChatCompletionRequest, ChatCompletionResponse, EmbeddingRequest, EmbeddingResponse, GeminiBatchEmbedContentsResponse, GeminiGenerateContentResponse, ProviderConfig } from '@gatewayd/shared';
import type { ChatProviderSide, EmbeddingsProviderSide, ProviderAdapter, UpstreamErrorHint } from '../../pipeline/adapter.js';
import { GeminiSseDecoder } from '../../pipeline/decoders.js';
import { baseUrlOf, httpRequest, KEY_SENTINEL, makeTemplate, requestHeaders, TemplateCache, type EndpointTemplate } from '../../pipeline/endpoint-template.js';
import type { AttemptInput, ExchangePlan, UpstreamRequest } from '../../pipeline/types.js';
import { estimateEmbeddingTokens } from '../../protocol/tokens.js';
import { geminiEmbeddingBatches, geminiToOpenaiEmbeddings, mergeGeminiEmbeddings, openaiToGeminiEmbeddings } from './embeddings.js';
import { geminiErrorHint } from './errors.js';
import { checkGeminiAnswer } from '../../protocol/answer-shape.js';
import { buildGeminiEndpoint, type GeminiMethod } from './endpoint.js';
import { openaiToGeminiRequest } from './request.js';
import { geminiToOpenaiResponse } from './response.js';

export class GeminiAdapter implements ProviderAdapter {
  readonly type = 'gemini' as const;
  readonly chat: ChatProviderSide = new GeminiHubSide(this);
  readonly embeddings: EmbeddingsProviderSide = new GeminiEmbeddingsSide(this);
  private readonly templates = new TemplateCache();

  native(): ExchangePlan | undefined {
    return undefined;
  }

  errorHint(status: number, body: Buffer): UpstreamErrorHint | undefined {
    return geminiErrorHint(status, body);
  }

  template(provider: ProviderConfig, model: string, method: GeminiMethod): EndpointTemplate {
    const key = `${provider.name}\n${method}\n${model}`;
    const cached = this.templates.get(key);
    if (cached !== undefined) return cached;
    const built = buildGeminiEndpoint({ baseUrl: baseUrlOf(provider), model, method, apiKey: KEY_SENTINEL, query: provider.query });
    return this.templates.set(key, makeTemplate(built.url, built.headers, provider));
  }
}

class GeminiHubSide implements ChatProviderSide {
  constructor(private readonly adapter: GeminiAdapter) {}

  request(hub: ChatCompletionRequest, input: AttemptInput): UpstreamRequest {
    const { provider, model } = input.target;
    const plan = openaiToGeminiRequest(hub, model);
    const template = this.adapter.template(provider, model, plan.stream ? 'streamGenerateContent' : 'generateContent');
    return httpRequest(template, requestHeaders(template, input), JSON.stringify(plan.body), input);
  }

  parse(body: Buffer, input: AttemptInput): ChatCompletionResponse {
    const res = JSON.parse(body.toString('utf8')) as GeminiGenerateContentResponse;
    checkGeminiAnswer(res);
    return geminiToOpenaiResponse(res, input.target.model, { created: Math.floor(Date.now() / 1000) });
  }

  decoder(input: AttemptInput): GeminiSseDecoder {
    return new GeminiSseDecoder(input.target.model, Math.floor(Date.now() / 1000));
  }
}

class GeminiEmbeddingsSide implements EmbeddingsProviderSide {
  constructor(private readonly adapter: GeminiAdapter) {}

  request(body: EmbeddingRequest, input: AttemptInput): UpstreamRequest {
    const { provider, model } = input.target;
    const plan = openaiToGeminiEmbeddings(body, model);
    const template = this.adapter.template(provider, model, 'batchEmbedContents');
    const headers = requestHeaders(template, input);
    const batches = geminiEmbeddingBatches(plan);
    if (batches.length === 1) return httpRequest(template, headers, JSON.stringify(plan.body), input);
    return {
      batches: batches.map((batch) => httpRequest(template, headers, JSON.stringify(batch), input)),
      merge: (bodies) => mergeGeminiEmbeddings(bodies, plan.inputs.length),
    };
  }

  parse(body: Buffer, request: EmbeddingRequest): EmbeddingResponse {
    const res = JSON.parse(body.toString('utf8')) as GeminiBatchEmbedContentsResponse;
    // One embedding per input, in order, or the caller would pair vectors with the wrong texts.
    const inputs = Array.isArray(request.input) ? request.input.length : 1;
    const got = Array.isArray(res.embeddings) ? res.embeddings.length : 0;
    if (got !== inputs) throw new Error(`Gemini answered ${got} embeddings for ${inputs} inputs`);
    return geminiToOpenaiEmbeddings(res, { model: request.model, encodingFormat: request.encoding_format, promptTokens: estimateEmbeddingTokens(request) });
  }
}
