/**
 * The mock provider: an in-process upstream that speaks OpenAI. OpenAI chat and embeddings callers
 * get its bytes as they are (the fast, pass-through-like path the load tests measure); every other
 * caller goes through the hub like with any OpenAI-compatible server.
 */
import type { ChatCompletionRequest, ChatCompletionResponse } from '@gatewayd/shared';
import type { ChatProviderSide, ProviderAdapter } from '../../pipeline/adapter.js';
import { OpenaiSseDecoder } from '../../pipeline/decoders.js';
import type { AttemptInput, ChunkWriter, ClientRequest, ExchangePlan, PlainAnswer, StreamRelay, TokenUsage, UpstreamRequest } from '../../pipeline/types.js';
import { resolveMockOptions } from './options.js';
import { MockChatUpstream, MockEmbeddingsUpstream } from './upstream.js';

const JSON_TYPE = 'application/json';

export class MockAdapter implements ProviderAdapter {
  readonly type = 'mock' as const;
  readonly embeddings = null;
  readonly chat: ChatProviderSide = new MockHubSide();

  native(request: ClientRequest): ExchangePlan | undefined {
    const protocol = request.call.protocol;
    if (protocol === 'openai-chat' || protocol === 'openai-embeddings') return new MockNativePlan(request);
    return undefined;
  }
}

class MockNativePlan implements ExchangePlan {
  readonly sameProtocol = true;
  private upstream: MockChatUpstream | MockEmbeddingsUpstream | null = null;

  constructor(private readonly client: ClientRequest) {}

  request(input: AttemptInput): UpstreamRequest {
    const call = this.client.call;
    const options = resolveMockOptions(input.target.provider, this.client.mock);
    if (call.protocol === 'openai-embeddings') this.upstream = new MockEmbeddingsUpstream(call.body, input.target.model, options.latencyMs);
    else if (call.protocol === 'openai-chat') this.upstream = new MockChatUpstream(call.body, input.target.model, this.client.requestId, options, this.client.callerWantsUsage);
    else throw new Error(`the mock's native plan does not serve ${call.protocol}`);
    return this.upstream;
  }

  plain(body: Buffer, status: number, contentType: string | undefined): PlainAnswer {
    return { status, contentType: contentType ?? JSON_TYPE, body, usage: this.upstream?.usage };
  }

  stream(): StreamRelay {
    return new MockRelay(this.upstream);
  }
}

/** The mock's stream is already what the caller asked for: forwarded as it is. */
class MockRelay implements StreamRelay {
  constructor(private readonly upstream: MockChatUpstream | MockEmbeddingsUpstream | null) {}

  push(chunk: Buffer, out: ChunkWriter): void {
    out.write(chunk);
  }

  finish(): boolean {
    return true;
  }

  usage(): TokenUsage | undefined {
    return this.upstream?.usage;
  }
}

class MockHubSide implements ChatProviderSide {
  request(hub: ChatCompletionRequest, input: AttemptInput): UpstreamRequest {
    const client = input.request;
    const options = resolveMockOptions(input.target.provider, client.mock);
    // Usage always, like the gateway asks real upstreams: the caller's encoder drops it if unwanted.
    return new MockChatUpstream(hub, input.target.model, client.requestId, options, true);
  }

  parse(body: Buffer): ChatCompletionResponse {
    return JSON.parse(body.toString('utf8')) as ChatCompletionResponse;
  }

  decoder(): OpenaiSseDecoder {
    return new OpenaiSseDecoder();
  }
}
