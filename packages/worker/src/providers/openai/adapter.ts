/**
 * OpenAI-compatible upstreams (OpenAI, Azure OpenAI, vLLM, llama.cpp, Ollama, ...).
 *
 * Native: OpenAI chat, legacy completions and embeddings callers are forwarded: the caller's body
 * bytes go up unchanged unless the model name or stream options must change (then edited on the
 * bytes where that is cheaper, pipeline/body-edit.ts, else one JSON.stringify), the answer's bytes come
 * back unchanged; streams pass through OpenaiSseTap,
 * which reads usage and cuts the usage chunk the gateway asked for on the caller's behalf.
 * Hub: other callers (Anthropic) are translated through OpenAI Chat, which is this API itself.
 */
import type { ChatCompletionRequest, ChatCompletionResponse, CompletionRequest, ProviderConfig } from '@gatewayd/shared';
import { usageFromOpenai, type ChatProviderSide, type ProviderAdapter } from '../../pipeline/adapter.js';
import { OpenaiSseDecoder } from '../../pipeline/decoders.js';
import { baseUrlOf, httpRequest, KEY_SENTINEL, makeTemplate, requestHeaders, setClientHeader, TemplateCache, type EndpointTemplate } from '../../pipeline/endpoint-template.js';
import type { AttemptInput, ChunkWriter, ClientRequest, ExchangePlan, PlainAnswer, StreamRelay, TokenUsage, UpstreamRequest } from '../../pipeline/types.js';
import { openaiUsageOf } from '../../pipeline/usage-scan.js';
import { buildOpenaiEndpoint, type OpenaiEndpointName } from './endpoint.js';
import { editBody, renameModel } from '../../pipeline/body-edit.js';
import { acceptsExtensions, openaiNativeEdits, prepareOpenaiChatRequest, prepareOpenaiCompletionRequest, translatedOutputLimitField } from './request.js';
import { OpenaiSseTap } from './usage-tap.js';
import { estimateRequest, usageEstimate } from '../../pipeline/admission-tokens.js';
import { hubResponse } from '../../protocol/reasoning.js';
import { requireAnswer } from '../../protocol/errors.js';
import { requireJsonObject } from '../../pipeline/json-answer.js';
import { checkOpenaiAnswer } from '../../protocol/answer-shape.js';
import { mayHoldSignedIds, withShortOpenaiToolIds } from '../../protocol/signed-tool-ids.js';

const JSON_TYPE = 'application/json';

export class OpenaiAdapter implements ProviderAdapter {
  readonly type = 'openai' as const;
  readonly embeddings = null;
  readonly chat: ChatProviderSide = new OpenaiHubSide(this);
  private readonly templates = new TemplateCache();
  private readonly extensions = new WeakMap<ProviderConfig, boolean>();

  native(request: ClientRequest): ExchangePlan | undefined {
    const protocol = request.call.protocol;
    if (protocol === 'openai-chat' || protocol === 'openai-completions' || protocol === 'openai-embeddings') return new OpenaiNativePlan(this, request);
    return undefined;
  }

  template(provider: ProviderConfig, endpoint: OpenaiEndpointName, model: string): EndpointTemplate {
    const key = `${provider.name}\n${endpoint}\n${model}`;
    const cached = this.templates.get(key);
    if (cached !== undefined) return cached;
    const built = buildOpenaiEndpoint({ baseUrl: baseUrlOf(provider), endpoint, apiKey: KEY_SENTINEL, model, query: provider.query });
    return this.templates.set(key, makeTemplate(built.url, built.headers, provider));
  }

  /** vLLM, llama.cpp and Ollama take `top_k`; api.openai.com and Azure reject unknown fields. */
  allowsExtensions(provider: ProviderConfig): boolean {
    let allowed = this.extensions.get(provider);
    if (allowed === undefined) this.extensions.set(provider, (allowed = acceptsExtensions(baseUrlOf(provider))));
    return allowed;
  }

  /** Headers for one request: the template's, the key, and the caller's organization/project. */
  headers(template: EndpointTemplate, input: AttemptInput): string[] {
    const headers = requestHeaders(template, input);
    const forward = input.request.forward;
    setClientHeader(headers, template, 'openai-organization', forward.openaiOrganization);
    setClientHeader(headers, template, 'openai-project', forward.openaiProject);
    return headers;
  }
}

class OpenaiNativePlan implements ExchangePlan {
  readonly sameProtocol = true;

  constructor(
    private readonly adapter: OpenaiAdapter,
    private readonly client: ClientRequest,
  ) {}

  request(input: AttemptInput): UpstreamRequest {
    const { provider, model } = input.target;
    const call = this.client.call;
    let endpoint: OpenaiEndpointName;
    const raw = this.client.raw;
    let body: Buffer | string = raw;
    if (call.protocol === 'openai-chat') {
      endpoint = 'chat/completions';
      const extensions = this.adapter.allowsExtensions(provider);
      // Ids made for signed Gemini calls are too long for OpenAI: the body is only parsed again
      // for them when its bytes hold their mark.
      const shortIds = mayHoldSignedIds(raw) ? withShortOpenaiToolIds(call.body) : call.body;
      const edits = shortIds === call.body ? openaiNativeEdits(call.body, model, this.client.callerWantsUsage, !extensions) : null;
      if (shortIds !== call.body) body = JSON.stringify(prepareOpenaiChatRequest(shortIds, { model, allowExtensions: extensions }).body);
      else if (edits !== null) body = editBody(raw, edits) ?? JSON.stringify(prepareOpenaiChatRequest(call.body, { model, allowExtensions: extensions }).body);
    } else if (call.protocol === 'openai-completions') {
      endpoint = 'completions';
      // top_k too: api.openai.com and Azure refuse unknown fields on /completions as on chat.
      const extensions = this.adapter.allowsExtensions(provider);
      const edits = openaiNativeEdits(call.body, model, this.client.callerWantsUsage, !extensions);
      if (edits !== null) body = editBody(raw, edits) ?? JSON.stringify(prepareOpenaiCompletionRequest(call.body, { model, allowExtensions: extensions }).body);
    } else {
      endpoint = 'embeddings';
      if (call.body.model !== model) body = renameModel(raw, model) ?? JSON.stringify({ ...call.body, model });
    }
    const template = this.adapter.template(provider, endpoint, model);
    return httpRequest(template, this.adapter.headers(template, input), body, input);
  }

  plain(body: Buffer, status: number, contentType: string | undefined): PlainAnswer {
    requireJsonObject(body, status, contentType); // else a failed attempt, as a translated answer that does not parse
    return { status, contentType: contentType ?? JSON_TYPE, body, usage: openaiUsageOf(body) };
  }

  stream(): StreamRelay {
    return new OpenaiPassthroughRelay(!this.client.callerWantsUsage, () => estimateRequest(this.client.call).prompt);
  }
}

/** Upstream bytes to the caller as they are, through the usage tap. */
class OpenaiPassthroughRelay implements StreamRelay {
  private readonly tap: OpenaiSseTap;

  constructor(
    stripUsageChunk: boolean,
    private readonly promptEstimate: () => number,
  ) {
    this.tap = new OpenaiSseTap({ stripUsageChunk });
  }

  push(chunk: Buffer, out: ChunkWriter): void {
    for (const slice of this.tap.push(chunk)) out.write(slice);
  }

  finish(out: ChunkWriter): boolean {
    for (const slice of this.tap.end()) out.write(slice);
    // An upstream error payload already told the caller what went wrong.
    return this.tap.sawDone || this.tap.sawError;
  }

  complete(): boolean {
    return this.tap.sawDone;
  }

  ended(): boolean {
    return this.tap.sawDone;
  }

  usage(): TokenUsage | undefined {
    const reported = usageFromOpenai(this.tap.usage);
    if (reported !== undefined || this.tap.chunkEvents === 0) return reported;
    // No usage: the stream was cut before it (OpenAI sends it last), or the server sends none
    // (older OpenAI-compatible servers ignore include_usage): estimates for the metrics.
    return usageEstimate(this.promptEstimate(), this.tap.chunkEvents, this.tap.sawDone);
  }
}

/** The hub is OpenAI Chat: translated callers reach the chat endpoint with a prepared body. */
class OpenaiHubSide implements ChatProviderSide {
  constructor(private readonly adapter: OpenaiAdapter) {}

  request(hub: ChatCompletionRequest, input: AttemptInput): UpstreamRequest {
    const { provider, model } = input.target;
    const limitField = translatedOutputLimitField(baseUrlOf(provider));
    // A conversation begun on a Gemini target: its signed tool-call ids are too long for OpenAI.
    const prepared = prepareOpenaiChatRequest(withShortOpenaiToolIds(hub), { model, allowExtensions: this.adapter.allowsExtensions(provider), ...(limitField ? { maxTokensField: limitField } : {}) });
    const template = this.adapter.template(provider, 'chat/completions', model);
    return httpRequest(template, requestHeaders(template, input), JSON.stringify(prepared.body), input);
  }

  parse(body: Buffer): ChatCompletionResponse {
    const res = JSON.parse(body.toString('utf8')) as ChatCompletionResponse;
    requireAnswer(res, Array.isArray(res?.choices) && res.choices.length > 0, 'choices');
    checkOpenaiAnswer(res);
    return hubResponse(res);
  }

  decoder(): OpenaiSseDecoder {
    return new OpenaiSseDecoder();
  }
}
