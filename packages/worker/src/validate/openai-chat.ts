/** POST /v1/chat/completions request validation (OpenAI semantics; unknown fields pass through). */
import type { ChatCompletionRequest } from '@gatewayd/shared';
import type { GatewayError } from '@gatewayd/shared/errors';
import { booleanField, modelField, numberField, stringField, stringMapField } from './fields.js';
import { runValidation } from './issue.js';
import { checkSampling, checkStreaming } from './openai-common.js';
import { checkOpenaiMessages } from './openai-messages.js';
import { checkOpenaiTools, checkResponseFormat } from './openai-tools.js';

export function validateChatRequest(body: unknown): ChatCompletionRequest | GatewayError {
  return runValidation<ChatCompletionRequest>('openai', body, checkChatRequest);
}

function checkChatRequest(req: Record<string, unknown>): void {
  modelField(req);
  checkOpenaiMessages(req.messages);
  numberField(req, 'max_tokens', { integer: true, min: 1 });
  numberField(req, 'max_completion_tokens', { integer: true, min: 1 });
  checkSampling(req);
  // Not OpenAI's: an extension (vLLM, llama.cpp, Ollama) where -1 disables top-k.
  numberField(req, 'top_k', { integer: true, min: -1 });
  checkStreaming(req);
  checkOpenaiTools(req);
  checkResponseFormat(req);
  booleanField(req, 'logprobs');
  numberField(req, 'top_logprobs', { integer: true, min: 0, max: 20 });
  booleanField(req, 'store');
  stringField(req, 'user');
  stringField(req, 'reasoning_effort');
  stringField(req, 'service_tier');
  stringMapField(req, 'metadata');
}
