/** OpenAI embeddings helpers shared by providers that are not OpenAI-compatible. */
import type { EmbeddingRequest } from '@gatewayd/shared';
import { TranslationError } from './errors.js';

/** The request's input as a list of strings; token-id inputs cannot be translated. */
export function embeddingInputs(req: EmbeddingRequest): string[] {
  const input = req.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((v): v is string => typeof v === 'string')) return input;
  throw new TranslationError('embedding input must be a string or an array of strings for this provider (token ids are not supported)');
}

/**
 * `encoding_format: "base64"` (the official SDKs' default): the vector as little-endian float32
 * bytes, base64-encoded.
 */
export function encodeEmbeddingBase64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i] as number, i * 4);
  return bytes.toString('base64');
}
