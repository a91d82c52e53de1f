/**
 * OpenAI /v1/embeddings <-> Gemini batchEmbedContents. Gemini takes at most 100 inputs per call;
 * more are sent as several calls, one after another, whose embeddings are joined in order.
 */
import type { EmbeddingRequest, EmbeddingResponse, GeminiBatchEmbedContentsRequest, GeminiBatchEmbedContentsResponse } from '@gatewayd/shared';
import { embeddingInputs, encodeEmbeddingBase64 } from '../../protocol/embeddings.js';
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

/** The plan's request bodies, GEMINI_MAX_EMBEDDING_INPUTS inputs each at most, in order. */
export function geminiEmbeddingBatches(plan: GeminiEmbeddingPlan): GeminiBatchEmbedContentsRequest[] {
  const { requests } = plan.body;
  if (requests.length <= GEMINI_MAX_EMBEDDING_INPUTS) return [plan.body];
  const batches: GeminiBatchEmbedContentsRequest[] = [];
  for (let at = 0; at < requests.length; at += GEMINI_MAX_EMBEDDING_INPUTS) batches.push({ requests: requests.slice(at, at + GEMINI_MAX_EMBEDDING_INPUTS) });
  return batches;
}

/** The batches' answers as one batchEmbedContents answer; throws unless there is one embedding per input. */
export function mergeGeminiEmbeddings(bodies: Buffer[], inputs: number): Buffer {
  const embeddings: GeminiBatchEmbedContentsResponse['embeddings'] = [];
  for (const body of bodies) {
    const answer = JSON.parse(body.toString('utf8')) as Partial<GeminiBatchEmbedContentsResponse>;
    if (!Array.isArray(answer.embeddings)) throw new Error('a Gemini embeddings batch answered without embeddings');
    embeddings.push(...answer.embeddings);
  }
  if (embeddings.length !== inputs) throw new Error(`Gemini answered ${embeddings.length} embeddings for ${inputs} inputs`);
  return Buffer.from(JSON.stringify({ embeddings }));
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
