/**
 * Chooses how one client call is served by one kind of provider: the provider's native plan
 * (bytes forwarded) when it speaks the caller's protocol, else translation through the hub.
 */
import { GatewayError } from '@gatewayd/shared/errors';
import type { ProviderAdapter } from './adapter.js';
import { anthropicMessagesClient, openaiChatClient, openaiCompletionsClient } from './clients.js';
import { HubPlan } from './hub-plan.js';
import { CountTokensEstimatePlan, EmbeddingsPlan } from './local-plans.js';
import type { ClientRequest, ExchangePlan } from './types.js';

export function planFor(request: ClientRequest, adapter: ProviderAdapter): ExchangePlan {
  const native = adapter.native(request);
  if (native !== undefined) return native;
  const call = request.call;
  switch (call.protocol) {
    case 'openai-chat':
      return new HubPlan(openaiChatClient, call.body, adapter.chat, request);
    case 'openai-completions':
      return new HubPlan(openaiCompletionsClient, call.body, adapter.chat, request);
    case 'anthropic-messages':
      return new HubPlan(anthropicMessagesClient, call.body, adapter.chat, request);
    case 'anthropic-count-tokens':
      return new CountTokensEstimatePlan(call.body);
    case 'openai-embeddings':
      if (adapter.embeddings !== null) return new EmbeddingsPlan(adapter.embeddings, call.body);
      throw new GatewayError('GW_ERR_BAD_REQUEST', `model ${JSON.stringify(call.body.model)} is served by a ${adapter.type} provider, which has no embeddings API`);
  }
}
