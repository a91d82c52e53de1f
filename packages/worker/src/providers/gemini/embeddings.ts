/** OpenAI /v1/embeddings <-> Gemini batchEmbedContents (one call, up to 100 inputs). */
import type { EmbeddingRequest, EmbeddingResponse, GeminiBatchEmbedContentsRequest, GeminiBatchEmbedContentsResponse } from '@gatewayd/shared';
import { embeddingInputs, encodeEmbeddingBase64 } from '../../protocol/embeddings.js';
import { TranslationError } from '../../protocol/errors.js';
import { geminiMethodPath } from './endpoint.js';

export interface GeminiEmbeddingPlan {
  path: string;
  body: GeminiBatchEmbedContentsRequest;
  inputs: string[];
}

/** Gemini refuses larger batches ("at most 100 requests can be in one batch"). */
export const GEMINI_MAX_EMBEDDING_INPUTS = 100;

export function openaiToGeminiEmbeddings(req: EmbeddingRequest, targetModel: string = req.model): GeminiEmbeddingPlan {
  const inputs = embeddingInputs(req);
  if (inputs.length > GEMINI_MAX_EMBEDDING_INPUTS) throw new TranslationError(`Gemini embeds at most ${GEMINI_MAX_EMBEDDING_INPUTS} inputs per request (this one has ${inputs.length}); send them in smaller batches`);
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
