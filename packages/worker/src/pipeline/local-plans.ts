/**
 * Plans that are not a chat exchange through the hub: embeddings translated for a provider with
 * its own embeddings API, and count_tokens answered by the gateway's estimator for providers that
 * cannot count (everything but Anthropic).
 */
import type { AnthropicCountTokensRequest, EmbeddingRequest } from '@gatewayd/shared';
import { estimateAnthropicTokens } from '../protocol/tokens.js';
import type { EmbeddingsProviderSide } from './adapter.js';
import type { AttemptInput, ExchangePlan, PlainAnswer, StreamRelay, UpstreamRequest } from './types.js';

const JSON_TYPE = 'application/json';

export class EmbeddingsPlan implements ExchangePlan {
  readonly sameProtocol = false;

  constructor(
    private readonly provider: EmbeddingsProviderSide,
    private readonly body: EmbeddingRequest,
  ) {}

  request(input: AttemptInput): UpstreamRequest {
    return this.provider.request(this.body, input);
  }

  plain(body: Buffer, _status: number, _contentType: string | undefined, input: AttemptInput): PlainAnswer {
    const res = this.provider.parse(body, this.body, input);
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(res), usage: { prompt: res.usage.prompt_tokens, completion: 0 } };
  }

  stream(): StreamRelay {
    throw new Error('embeddings are never streamed');
  }
}

export class CountTokensEstimatePlan implements ExchangePlan {
  readonly sameProtocol = false;

  constructor(private readonly body: AnthropicCountTokensRequest) {}

  localAnswer(): PlainAnswer {
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ input_tokens: estimateAnthropicTokens(this.body) }), usage: undefined };
  }

  request(): UpstreamRequest {
    throw new Error('count_tokens estimates need no upstream');
  }

  plain(): PlainAnswer {
    throw new Error('count_tokens estimates need no upstream');
  }

  stream(): StreamRelay {
    throw new Error('count_tokens estimates need no upstream');
  }
}
