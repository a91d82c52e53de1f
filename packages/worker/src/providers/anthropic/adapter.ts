/**
 * Anthropic upstreams (x-api-key, anthropic-version).
 *
 * Native: Anthropic Messages and count_tokens callers are forwarded byte for byte (the caller's
 * anthropic-version and anthropic-beta go along); streams pass unchanged while a light scanner
 * reads usage from message_start / message_delta and watches for message_stop.
 * Hub: OpenAI callers are translated (request-from-openai, response, stream-to-openai).
 */
import type { AnthropicMessage, ChatCompletionRequest, ChatCompletionResponse, ProviderConfig } from '@gatewayd/shared';
import { AnthropicSseScanner } from '../../pipeline/anthropic-scan.js';
import { renameModel } from '../../pipeline/body-edit.js';
import type { ChatProviderSide, ProviderAdapter } from '../../pipeline/adapter.js';
import { AnthropicSseDecoder } from '../../pipeline/decoders.js';
import { baseUrlOf, httpRequest, KEY_SENTINEL, makeTemplate, requestHeaders, setClientHeader, TemplateCache, type EndpointTemplate } from '../../pipeline/endpoint-template.js';
import type { AttemptInput, ChunkWriter, ClientRequest, ExchangePlan, PlainAnswer, StreamRelay, TokenUsage, UpstreamRequest } from '../../pipeline/types.js';
import { anthropicUsageOf, lastUsageObject } from '../../pipeline/usage-scan.js';
import { buildAnthropicEndpoint, type AnthropicEndpointName } from './endpoint.js';
import { jsonOutputToolOf, openaiToAnthropicRequest } from './request-from-openai.js';
import { anthropicToOpenaiResponse } from './response.js';
import { requireJsonObject } from '../../pipeline/json-answer.js';
import { checkAnthropicAnswer } from '../../protocol/answer-shape.js';
import { mayHoldSignedIds, withShortAnthropicToolIds, withShortOpenaiToolIds } from '../../protocol/signed-tool-ids.js';

const JSON_TYPE = 'application/json';

export class AnthropicAdapter implements ProviderAdapter {
  readonly type = 'anthropic' as const;
  readonly embeddings = null;
  readonly chat: ChatProviderSide = new AnthropicHubSide(this);
  private readonly templates = new TemplateCache();

  native(request: ClientRequest): ExchangePlan | undefined {
    const protocol = request.call.protocol;
    if (protocol === 'anthropic-messages' || protocol === 'anthropic-count-tokens') return new AnthropicNativePlan(this, request);
    return undefined;
  }

  /** The URL does not depend on the model: one template per provider and endpoint. */
  template(provider: ProviderConfig, endpoint: AnthropicEndpointName): EndpointTemplate {
    const key = `${provider.name}\n${endpoint}`;
    const cached = this.templates.get(key);
    if (cached !== undefined) return cached;
    const built = buildAnthropicEndpoint({ baseUrl: baseUrlOf(provider), endpoint, apiKey: KEY_SENTINEL, query: provider.query });
    return this.templates.set(key, makeTemplate(built.url, built.headers, provider));
  }
}

class AnthropicNativePlan implements ExchangePlan {
  readonly sameProtocol = true;
  private readonly counting: boolean;

  constructor(
    private readonly adapter: AnthropicAdapter,
    private readonly client: ClientRequest,
  ) {
    this.counting = client.call.protocol === 'anthropic-count-tokens';
  }

  request(input: AttemptInput): UpstreamRequest {
    const { provider, model } = input.target;
    const call = this.client.call;
    const template = this.adapter.template(provider, this.counting ? 'count_tokens' : 'messages');
    const headers = requestHeaders(template, input);
    const forward = this.client.forward;
    setClientHeader(headers, template, 'anthropic-version', forward.anthropicVersion);
    setClientHeader(headers, template, 'anthropic-beta', forward.anthropicBeta);
    const raw = this.client.raw;
    // Tool ids made for signed Gemini calls (a conversation begun on a Gemini target) are shortened:
    // the body is only parsed again for them when its bytes hold their mark.
    const anthropic = call.protocol === 'anthropic-messages' || call.protocol === 'anthropic-count-tokens';
    const shortIds = anthropic && mayHoldSignedIds(raw) ? withShortAnthropicToolIds(call.body) : call.body;
    // A renamed model: edited on the bytes when the body is large (agents resend long histories).
    const body =
      shortIds !== call.body ? JSON.stringify({ ...shortIds, model }) : call.body.model === model ? raw : (renameModel(raw, model) ?? JSON.stringify({ ...call.body, model }));
    return httpRequest(template, headers, body, input);
  }

  plain(body: Buffer, status: number, contentType: string | undefined): PlainAnswer {
    requireJsonObject(body, status, contentType); // else a failed attempt, as a translated answer that does not parse
    return { status, contentType: contentType ?? JSON_TYPE, body, usage: this.counting ? undefined : anthropicUsageOf(lastUsageObject(body)) };
  }

  stream(): StreamRelay {
    return new AnthropicPassthroughRelay();
  }
}

/**
 * Anthropic bytes as they come, whole events only: the unfinished tail of a read waits for the
 * rest of its event, so an error event written after a failure never lands inside a half event
 * (the SDK could not parse either). Complete events are never held back.
 */
class AnthropicPassthroughRelay implements StreamRelay {
  private readonly scanner = new AnthropicSseScanner();
  /** The reads (or their tails) of the event not finished yet. */
  private held: Buffer[] = [];

  push(chunk: Buffer, out: ChunkWriter): void {
    const end = this.scanner.push(chunk);
    if (end === 0) {
      this.held.push(chunk);
      return;
    }
    for (const piece of this.held) out.write(piece);
    this.held = [];
    out.write(end === chunk.length ? chunk : chunk.subarray(0, end));
    if (end < chunk.length) this.held.push(chunk.subarray(end));
  }

  finish(out: ChunkWriter): boolean {
    this.scanner.end();
    // At EOF an event without its final blank line still counts (as the scanner counts it).
    for (const piece of this.held) out.write(piece);
    this.held = [];
    // An upstream `error` event already told the caller what went wrong.
    return this.scanner.complete || this.scanner.failed;
  }

  complete(): boolean {
    return this.scanner.complete;
  }

  /** message_stop, its blank line included: nothing is held back any more. */
  ended(): boolean {
    return this.scanner.complete && this.held.length === 0;
  }

  usage(): TokenUsage | undefined {
    return this.scanner.usage();
  }
}

class AnthropicHubSide implements ChatProviderSide {
  /** Attempts whose JSON answer rides on a forced tool, and its name (see jsonOutputToolOf). */
  private readonly jsonTools = new WeakMap<AttemptInput, string>();

  constructor(private readonly adapter: AnthropicAdapter) {}

  request(hub: ChatCompletionRequest, input: AttemptInput): UpstreamRequest {
    const template = this.adapter.template(input.target.provider, 'messages');
    // A conversation begun on a Gemini target: its signed tool-call ids are shortened.
    const request = openaiToAnthropicRequest(withShortOpenaiToolIds(hub), input.target.model);
    const jsonTool = jsonOutputToolOf(request);
    if (jsonTool !== undefined) this.jsonTools.set(input, jsonTool);
    return httpRequest(template, requestHeaders(template, input), JSON.stringify(request), input);
  }

  parse(body: Buffer, input: AttemptInput): ChatCompletionResponse {
    const message = JSON.parse(body.toString('utf8')) as AnthropicMessage;
    checkAnthropicAnswer(message);
    return anthropicToOpenaiResponse(message, { created: Math.floor(Date.now() / 1000), jsonTool: this.jsonTools.get(input) });
  }

  decoder(input: AttemptInput): AnthropicSseDecoder {
    return new AnthropicSseDecoder(Math.floor(Date.now() / 1000), this.jsonTools.get(input));
  }
}
