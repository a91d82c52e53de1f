/** POST /v1/embeddings request validation. */
import type { EmbeddingRequest } from '@gatewayd/shared';
import type { GatewayError } from '@gatewayd/shared/errors';
import { enumField, modelField, numberField, stringField } from './fields.js';
import { runValidation } from './issue.js';
import { checkTextOrTokens } from './openai-input.js';

export function validateEmbeddingRequest(body: unknown): EmbeddingRequest | GatewayError {
  return runValidation<EmbeddingRequest>('openai', body, checkEmbeddingRequest);
}

function checkEmbeddingRequest(req: Record<string, unknown>): void {
  modelField(req);
  // OpenAI rejects empty strings as embedding input.
  checkTextOrTokens(req.input, 'input', false);
  enumField(req, 'encoding_format', ['float', 'base64']);
  numberField(req, 'dimensions', { integer: true, min: 1 });
  stringField(req, 'user');
}
