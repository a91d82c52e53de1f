/** The caller's JSON, validated for its endpoint and tagged with its protocol. */
import { GatewayError } from '@gatewayd/shared/errors';
import type { ClientCall, ClientProtocol } from '../pipeline/types.js';
import { validateChatRequest, validateCompletionRequest, validateCountTokensRequest, validateEmbeddingRequest, validateMessagesRequest } from '../validate/index.js';

export function validateCall(protocol: ClientProtocol, json: unknown): ClientCall | GatewayError {
  switch (protocol) {
    case 'openai-chat': {
      const body = validateChatRequest(json);
      return body instanceof GatewayError ? body : { protocol, body };
    }
    case 'openai-completions': {
      const body = validateCompletionRequest(json);
      return body instanceof GatewayError ? body : { protocol, body };
    }
    case 'openai-embeddings': {
      const body = validateEmbeddingRequest(json);
      return body instanceof GatewayError ? body : { protocol, body };
    }
    case 'anthropic-messages': {
      const body = validateMessagesRequest(json);
      return body instanceof GatewayError ? body : { protocol, body };
    }
    case 'anthropic-count-tokens': {
      const body = validateCountTokensRequest(json);
      return body instanceof GatewayError ? body : { protocol, body };
    }
  }
}

/** stream / include_usage as the pipeline needs them. */
export function streamFlags(call: ClientCall): { stream: boolean; callerWantsUsage: boolean } {
  switch (call.protocol) {
    case 'openai-chat':
    case 'openai-completions': {
      const stream = call.body.stream === true;
      return { stream, callerWantsUsage: stream && call.body.stream_options?.include_usage === true };
    }
    case 'anthropic-messages':
      return { stream: call.body.stream === true, callerWantsUsage: false };
    default:
      return { stream: false, callerWantsUsage: false };
  }
}
