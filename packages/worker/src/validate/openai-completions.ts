/** POST /v1/completions (legacy) request validation. */
import type { CompletionRequest } from '@gatewayd/shared';
import type { GatewayError } from '@gatewayd/shared/errors';
import { booleanField, modelField, numberField, stringField } from './fields.js';
import { fail, runValidation } from './issue.js';
import { checkSampling, checkStreaming } from './openai-common.js';
import { checkTextOrTokens } from './openai-input.js';

export function validateCompletionRequest(body: unknown): CompletionRequest | GatewayError {
  return runValidation<CompletionRequest>('openai', body, checkCompletionRequest);
}

function checkCompletionRequest(req: Record<string, unknown>): void {
  modelField(req);
  checkTextOrTokens(req.prompt, 'prompt', true);
  // 0 is allowed here: echo + max_tokens 0 scores a prompt without generating.
  numberField(req, 'max_tokens', { integer: true, min: 0 });
  checkSampling(req);
  numberField(req, 'best_of', { integer: true, min: 1, max: 20 });
  const n = typeof req.n === 'number' ? req.n : 1;
  if (typeof req.best_of === 'number' && req.best_of < n) fail(['best_of'], `must be at least n (${n}), got ${req.best_of}`);
  numberField(req, 'logprobs', { integer: true, min: 0, max: 5 });
  booleanField(req, 'echo');
  stringField(req, 'suffix');
  stringField(req, 'user');
  checkStreaming(req);
}
