/**
 * Deterministic mock embeddings: each input's vector is derived from a hash of its text (same
 * text, same vector), unit length, `dimensions` long (default 16). base64 encoding as OpenAI does.
 */
import { createHash } from 'node:crypto';
import type { EmbeddingRequest, EmbeddingResponse } from '@gatewayd/shared';
import { encodeEmbeddingBase64 } from '../../protocol/embeddings.js';
import { estimateEmbeddingTokens } from '../../protocol/tokens.js';

const DEFAULT_DIMENSIONS = 16;
const MAX_DIMENSIONS = 4096;

function inputsOf(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

export function mockVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  let block = createHash('sha256').update(text).digest();
  for (let i = 0; values.length < dimensions; i++) {
    if (i > 0 && i % 16 === 0) block = createHash('sha256').update(block).digest();
    values.push(block.readUInt16BE((i % 16) * 2) / 32768 - 1);
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}

export function mockEmbeddingsBody(request: EmbeddingRequest, model: string): { body: string; promptTokens: number } {
  const dimensions = Math.min(MAX_DIMENSIONS, Math.max(1, Math.floor(request.dimensions ?? DEFAULT_DIMENSIONS)));
  const promptTokens = estimateEmbeddingTokens(request);
  const response: EmbeddingResponse = {
    object: 'list',
    data: inputsOf(request.input).map((text, index) => {
      const vector = mockVector(text, dimensions);
      return { object: 'embedding', index, embedding: request.encoding_format === 'base64' ? encodeEmbeddingBase64(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
  return { body: JSON.stringify(response), promptTokens };
}
