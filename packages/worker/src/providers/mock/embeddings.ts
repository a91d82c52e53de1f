/**
 * Deterministic mock embeddings: each input's vector is derived from a hash of its text (same
 * text, same vector), unit length, `dimensions` long (default 16). base64 encoding as OpenAI does.
 *
 * The mock answers within bounds (MOCK_MAX_EMBEDDING_INPUTS, MOCK_MAX_EMBEDDING_VALUES) and builds
 * its answer a few inputs at a time (mockEmbeddingItems), so that no request can make the worker
 * hold or compute more than a few tens of MB, nor one answer keep it busy for long in one go.
 */
import { hash } from 'node:crypto';
import type { EmbeddingRequest, EmbeddingResponse } from '@gatewayd/shared';
import { encodeEmbeddingBase64 } from '../../protocol/embeddings.js';
import { TranslationError } from '../../protocol/errors.js';
import { estimateEmbeddingTokens } from '../../protocol/tokens.js';

const DEFAULT_DIMENSIONS = 16;
const MAX_DIMENSIONS = 4096;
/** OpenAI refuses more inputs in one request; the mock imitates it. */
export const MOCK_MAX_EMBEDDING_INPUTS = 2048;
/**
 * The most floats (inputs × dimensions) in one answer: 2048 inputs of 512 dimensions, ~22 MB of
 * JSON floats (~5.6 MB base64), a few hundred ms of work spread over many event-loop turns.
 */
export const MOCK_MAX_EMBEDDING_VALUES = 2 ** 20;

/** What the mock will answer, checked against its bounds. */
export interface MockEmbeddingsPlan {
  texts: string[];
  dimensions: number;
  base64: boolean;
  model: string;
  promptTokens: number;
}

/** One text per embedding: a string, or a list of strings or of token-id lists; one token-id list is one input. */
function inputsOf(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string' || isTokenIds(input)) return [typeof input === 'string' ? input : JSON.stringify(input)];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

function isTokenIds(input: EmbeddingRequest['input']): boolean {
  return Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'number');
}

/** Throws TranslationError (400 GW_ERR_BAD_REQUEST unless another target serves it) beyond the bounds. */
export function planMockEmbeddings(request: EmbeddingRequest, model: string): MockEmbeddingsPlan {
  const count = typeof request.input === 'string' || isTokenIds(request.input) ? 1 : request.input.length;
  if (count > MOCK_MAX_EMBEDDING_INPUTS) {
    throw new TranslationError(`input has ${count} items; the mock provider takes at most ${MOCK_MAX_EMBEDDING_INPUTS} per request (as OpenAI does): split them over several requests`);
  }
  const dimensions = Math.min(MAX_DIMENSIONS, Math.max(1, Math.floor(request.dimensions ?? DEFAULT_DIMENSIONS)));
  if (count * dimensions > MOCK_MAX_EMBEDDING_VALUES) {
    throw new TranslationError(
      `the answer would hold ${count * dimensions} floats (${count} inputs × ${dimensions} dimensions); the mock provider answers at most ${MOCK_MAX_EMBEDDING_VALUES} (inputs × dimensions ≤ 2^20): send fewer inputs per request or ask for fewer dimensions`,
    );
  }
  return { texts: inputsOf(request.input), dimensions, base64: request.encoding_format === 'base64', model, promptTokens: estimateEmbeddingTokens(request) };
}

export function mockVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  let block = hash('sha256', text, 'buffer');
  let sum = 0;
  for (let i = 0; i < dimensions; i++) {
    if (i > 0 && i % 16 === 0) block = hash('sha256', block, 'buffer');
    const value = block.readUInt16BE((i % 16) * 2) / 32768 - 1;
    values.push(value);
    sum += value * value;
  }
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < dimensions; i++) values[i] = (values[i] as number) / norm;
  return values;
}

/** The answer's JSON around its `data` items: `${head}${items, comma-separated}${tail}`. */
export function mockEmbeddingsEnvelope(plan: MockEmbeddingsPlan): { head: string; tail: string } {
  const usage: EmbeddingResponse['usage'] = { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens };
  return { head: '{"object":"list","data":[', tail: `],"model":${JSON.stringify(plan.model)},"usage":${JSON.stringify(usage)}}` };
}

/** The JSON of `data` items [from, to), with the comma that joins them to earlier ones. */
export function mockEmbeddingItems(plan: MockEmbeddingsPlan, from: number, to: number): string {
  const items: string[] = [];
  for (let index = from; index < to; index++) {
    const vector = mockVector(plan.texts[index] as string, plan.dimensions);
    const item: EmbeddingResponse['data'][number] = { object: 'embedding', index, embedding: plan.base64 ? encodeEmbeddingBase64(vector) : vector };
    items.push(JSON.stringify(item));
  }
  return (from > 0 && to > from ? ',' : '') + items.join(',');
}

/** The whole answer at once (small answers, tests). Throws TranslationError beyond the bounds. */
export function mockEmbeddingsBody(request: EmbeddingRequest, model: string): { body: string; promptTokens: number } {
  const plan = planMockEmbeddings(request, model);
  const { head, tail } = mockEmbeddingsEnvelope(plan);
  return { body: head + mockEmbeddingItems(plan, 0, plan.texts.length) + tail, promptTokens: plan.promptTokens };
}
