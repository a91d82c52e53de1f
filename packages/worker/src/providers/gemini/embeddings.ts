/** OpenAI /v1/embeddings <-> Gemini batchEmbedContents (one call for any number of inputs). */
import type { EmbeddingRequest, EmbeddingResponse, GeminiBatchEmbedContentsRequest, GeminiBatchEmbedContentsResponse } from '@gatewayd/shared';
import { embeddingInputs, encodeEmbeddingBase64 } from '../../protocol/embeddings.js';
import { geminiMethodPath } from './endpoint.js';

export interface GeminiEmbeddingPlan {
  path: string;
  body: GeminiBatchEmbedContentsRequest;
  inputs: string[];
}

export function openaiToGeminiEmbeddings(req: EmbeddingRequest, targetModel: string = req.model): GeminiEmbeddingPlan {
  const inputs = embeddingInputs(req);
  const model = targetModel.includes('/') ? targetModel : `models/${targetModel}`;
  const body: GeminiBatchEmbedContentsRequest = {
    requests: inputs.map((text) => {
      const one: GeminiBatchEmbedContentsRequest['requests'][number] = { model, content: { parts: [{ text }] } };
      if (req.dimensions != null) one.outputDimensionality = req.dimensions;
      return one;
    }),
  };
  return { path: geminiMethodPath(targetModel, 'batchEmbedContents'), body, inputs };
}

export interface GeminiEmbeddingContext {
  model: string;
  encodingFormat?: 'float' | 'base64';
  /** Gemini reports no token usage for embeddings: the caller passes an estimate. */
  promptTokens: number;
}

export function geminiToOpenaiEmbeddings(res: GeminiBatchEmbedContentsResponse, ctx: GeminiEmbeddingContext): EmbeddingResponse {
  return {
    object: 'list',
    data: res.embeddings.map((e, index) => ({
      object: 'embedding',
      index,
      embedding: ctx.encodingFormat === 'base64' ? encodeEmbeddingBase64(e.values) : e.values,
    })),
    model: ctx.model,
    usage: { prompt_tokens: ctx.promptTokens, total_tokens: ctx.promptTokens },
  };
}
