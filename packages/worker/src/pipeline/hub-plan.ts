/**
 * Serving a caller through the hub when the provider speaks another protocol: request translated
 * once per attempt, answers parsed, translated and serialised once; streams go through the
 * provider's decoder (SSE parser + transform) and the caller's encoder.
 */
import type { ChatCompletionRequest } from '@gatewayd/shared';
import { usageFromOpenai, type ChatProviderSide, type HubStreamDecoder, type HubStreamEncoder } from './adapter.js';
import { answerUsageEstimate, estimateRequest, usageEstimate } from './admission-tokens.js';
import type { ChatClientSide } from './clients.js';
import type { AttemptInput, ChunkWriter, ClientRequest, ExchangePlan, PlainAnswer, StreamRelay, TokenUsage, UpstreamRequest } from './types.js';

const JSON_TYPE = 'application/json';

export class HubPlan<B> implements ExchangePlan {
  readonly sameProtocol = false;

  constructor(
    private readonly client: ChatClientSide<B>,
    private readonly body: B,
    private readonly provider: ChatProviderSide,
    private readonly clientRequest: ClientRequest,
  ) {}

  /** The hub form of the caller's request, made once and reused by every attempt. */
  private hub(): ChatCompletionRequest {
    const request = this.clientRequest;
    return (request.hub ??= this.client.toHub(this.body));
  }

  request(input: AttemptInput): UpstreamRequest {
    return this.provider.request(this.hub(), input);
  }

  plain(body: Buffer, _status: number, _contentType: string | undefined, input: AttemptInput): PlainAnswer {
    const res = this.provider.parse(body, input);
    // No usage reported: estimates for the metrics, as a stream without usage gets (TranslatedRelay).
    const usage = usageFromOpenai(res.usage) ?? answerUsageEstimate(estimateRequest(this.clientRequest.call).prompt, res);
    return { status: 200, contentType: JSON_TYPE, body: this.client.fromHub(res, this.body), usage };
  }

  stream(input: AttemptInput): StreamRelay {
    return new TranslatedRelay(this.provider.decoder(input), this.client.encoder(this.body, this.clientRequest), () => estimateRequest(this.clientRequest.call).prompt);
  }
}

export class TranslatedRelay implements StreamRelay {
  /** `promptEstimate`: for a stream whose usage never came (see usage()). */
  constructor(
    private readonly decoder: HubStreamDecoder,
    private readonly encoder: HubStreamEncoder,
    private readonly promptEstimate?: () => number,
  ) {}

  push(chunk: Buffer, out: ChunkWriter): void {
    const chunks = this.decoder.push(chunk);
    if (chunks.length === 0) return;
    const text = this.encoder.encode(chunks);
    if (text.length > 0) out.write(text);
  }

  finish(out: ChunkWriter): boolean {
    const chunks = this.decoder.end();
    const text = chunks.length > 0 ? this.encoder.encode(chunks) : '';
    if (!this.decoder.complete) {
      if (text.length > 0) out.write(text);
      return false;
    }
    out.write(text + this.encoder.end());
    return true;
  }

  usage(): TokenUsage | undefined {
    const reported = usageFromOpenai(this.decoder.usage);
    const chunks = this.decoder.chunkEvents ?? 0;
    if (reported !== undefined || chunks === 0 || this.promptEstimate === undefined) return reported;
    // As for OpenAI callers (OpenaiPassthroughRelay.usage): estimates for the metrics.
    return usageEstimate(this.promptEstimate(), chunks, this.decoder.complete);
  }

  /** The upstream's end event arrived: what breaks afterwards does not make the answer partial. */
  complete(): boolean {
    return this.decoder.complete;
  }

  ended(): boolean {
    return this.decoder.ended === true;
  }
}
