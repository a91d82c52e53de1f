/**
 * Fake Gemini API (v1beta): models/{m}:generateContent, :streamGenerateContent (?alt=sse: each
 * GenerateContentResponse as `data: {...}\r\n\r\n`, no terminator; without alt: one JSON array),
 * :embedContent, :batchEmbedContents, :countTokens, GET models. x-goog-api-key (or ?key=) auth,
 * `{error:{code,message,status}}` errors, and the API's rejection of unknown fields.
 */
import type { IncomingMessage } from 'node:http';
import { embeddingOf, estimateTokens, pieces, randomId, startFake, type ErrorAnswer, type Exchange, type Protocol } from './server.js';
import { DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, type FakeOptions, type FakeUpstream } from './types.js';

type Json = Record<string, unknown>;

const STATUS_NAMES: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'The request timed out. Please try again.'],
};

export function geminiError(code: number, message?: string, status?: string): Json {
  const [name, text] = STATUS_NAMES[code] ?? [code >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT', `Fake upstream error ${code}.`];
  return { error: { code, message: message ?? text, status: status ?? name } };
}

const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };

const REQUEST_FIELDS = new Set(['contents', 'systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config', 'safetySettings', 'safety_settings', 'generationConfig', 'generation_config', 'cachedContent', 'cached_content', 'labels', 'model']);
const GENERATION_FIELDS = new Set(['stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens', 'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'enableEnhancedCivicAnswers', 'speechConfig', 'thinkingConfig', 'mediaResolution', 'stop_sequences', 'response_mime_type', 'response_schema', 'candidate_count', 'max_output_tokens', 'top_p', 'top_k', 'presence_penalty', 'frequency_penalty', 'thinking_config']);
const PART_FIELDS = new Set(['text', 'inlineData', 'inline_data', 'fileData', 'file_data', 'functionCall', 'function_call', 'functionResponse', 'function_response', 'executableCode', 'codeExecutionResult', 'thought', 'thoughtSignature', 'videoMetadata']);

export function startFakeGemini(opts: FakeOptions = {}): Promise<FakeUpstream> {
  const text = opts.text ?? 'Hello from the fake Gemini upstream.';
  const usage = opts.usage ?? DEFAULT_USAGE;
  const toolArgs = opts.toolArguments ?? DEFAULT_TOOL_ARGUMENTS;

  const protocol: Protocol = {
    basePath: '/v1beta',
    keyOf: (req: IncomingMessage, query) => {
      const key = req.headers['x-goog-api-key'];
      return typeof key === 'string' ? key : (query.get('key') ?? undefined);
    },
    authError: (key): ErrorAnswer =>
      key === undefined
        ? { status: 403, body: geminiError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.") }
        : {
            status: 400,
            body: {
              error: {
                code: 400,
                message: 'API key not valid. Please pass a valid API key.',
                status: 'INVALID_ARGUMENT',
                details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }],
              },
            },
            headers: JSON_TYPE,
          },
    errorBody: (status) => geminiError(status),
    commonHeaders: () => ({
      vary: 'Origin, X-Origin, Referer',
      server: 'scaffolding on HTTPServer2',
      'x-xss-protection': '0',
      'x-frame-options': 'SAMEORIGIN',
      'x-content-type-options': 'nosniff',
      'server-timing': 'gfet4t7; dur=42',
    }),
    handle: async (ex) => {
      if (ex.method === 'GET' && ex.pathname === '/v1beta/models') return listModels(ex);
      const match = /^\/v1beta\/((?:models|tunedModels)\/[^/:]+):(\w+)$/.exec(ex.pathname);
      if (!match || ex.method !== 'POST') return ex.json(404, geminiError(404, `Method not found.`), JSON_TYPE);
      const resource = decodeURIComponent(match[1] as string);
      const method = match[2] as string;
      if (ex.badJson || typeof ex.body !== 'object' || ex.body === null || Array.isArray(ex.body)) {
        return ex.json(400, geminiError(400, 'Invalid JSON payload received. Unexpected token.'), JSON_TYPE);
      }
      const model = resource.replace(/^models\//, '');
      if (opts.knownModels && !opts.knownModels.includes(model)) {
        return ex.json(404, geminiError(404, `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`), JSON_TYPE);
      }
      const body = ex.body as Json;
      switch (method) {
        case 'generateContent':
        case 'streamGenerateContent':
          return generate(ex, body, model, method === 'streamGenerateContent');
        case 'countTokens':
          return ex.json(200, { totalTokens: estimateTokens(body.contents ?? body.generateContentRequest), promptTokensDetails: [{ modality: 'TEXT', tokenCount: estimateTokens(body.contents) }] }, JSON_TYPE);
        case 'embedContent':
          return ex.json(200, { embedding: { values: embed(body) } }, JSON_TYPE);
        case 'batchEmbedContents': {
          const requests = body.requests;
          if (!Array.isArray(requests) || requests.length === 0) return ex.json(400, geminiError(400, '* BatchEmbedContentsRequest.requests: requests is not specified'), JSON_TYPE);
          if (requests.length > 100) return ex.json(400, geminiError(400, '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch'), JSON_TYPE);
          for (const [i, r] of (requests as Json[]).entries()) {
            if (r.model !== resource) return ex.json(400, geminiError(400, `* BatchEmbedContentsRequest.requests[${i}].model: Model name in request (${String(r.model)}) does not match the model in the URL (${resource}).`), JSON_TYPE);
          }
          return ex.json(200, { embeddings: (requests as Json[]).map((r) => ({ values: embed(r) })) }, JSON_TYPE);
        }
        default:
          return ex.json(404, geminiError(404, `Method not found.`), JSON_TYPE);
      }
    },
  };

  function embed(request: Json): number[] {
    const content = request.content as { parts?: Array<{ text?: string }> } | undefined;
    const joined = (content?.parts ?? []).map((p) => p.text ?? '').join('');
    const dims = typeof request.outputDimensionality === 'number' ? request.outputDimensionality : 8;
    return embeddingOf(JSON.stringify(joined), dims);
  }

  function usageMetadata(final: boolean): Json {
    const meta: Json = { promptTokenCount: usage.prompt };
    if (final) meta.candidatesTokenCount = usage.completion;
    meta.totalTokenCount = usage.prompt + (final ? usage.completion : 0);
    if (usage.cached > 0) {
      meta.cachedContentTokenCount = usage.cached;
      meta.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: usage.cached }];
    }
    meta.promptTokensDetails = [{ modality: 'TEXT', tokenCount: usage.prompt }];
    if (final) meta.candidatesTokensDetails = [{ modality: 'TEXT', tokenCount: usage.completion }];
    return meta;
  }

  async function generate(ex: Exchange, body: Json, model: string, stream: boolean): Promise<void> {
    const problem = generateProblem(body);
    if (problem) return ex.json(400, geminiError(400, problem), JSON_TYPE);
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ functionDeclarations?: Array<{ name?: string }> }>) : [];
    const toolName = tools.flatMap((tool) => tool.functionDeclarations ?? [])[0]?.name ?? 'get_weather';
    const responseId = randomId(22);
    const wantsTool = ex.behaviour.kind === 'tool-call';
    const chunkOf = (parts: Json[], final: boolean): Json => ({
      candidates: [{ content: { parts, role: 'model' }, ...(final ? { finishReason: 'STOP' } : {}), index: 0 }],
      usageMetadata: usageMetadata(final),
      modelVersion: model,
      responseId,
    });

    if (!stream) {
      const parts = wantsTool ? [{ functionCall: { name: toolName, args: toolArgs } }] : [{ text }];
      const answer = chunkOf(parts, true);
      (answer.candidates as Json[])[0]!.avgLogprobs = -0.0421;
      return ex.json(200, answer, JSON_TYPE);
    }
    const textPieces = pieces(text);
    const chunks = wantsTool ? [chunkOf([{ functionCall: { name: toolName, args: toolArgs } }], true)] : textPieces.map((piece, i) => chunkOf([{ text: piece }], i === textPieces.length - 1));
    if (ex.query.get('alt') === 'sse') return ex.sse(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`), { 'content-type': 'text/event-stream', 'content-disposition': 'attachment' });
    return ex.json(200, chunks, JSON_TYPE);
  }

  async function listModels(ex: Exchange): Promise<void> {
    const ids = opts.knownModels ?? ['gemini-2.0-flash', 'text-embedding-004'];
    const models = ids.map((id) => ({ name: `models/${id}`, version: '001', displayName: id, inputTokenLimit: 1048576, outputTokenLimit: 8192, supportedGenerationMethods: ['generateContent', 'countTokens'] }));
    return ex.json(200, { models }, JSON_TYPE);
  }

  return startFake(protocol, opts.requireKey);
}

/** What the Gemini API rejects that a translation bug could produce (unknown fields included). */
function generateProblem(body: Json): string | undefined {
  for (const key of Object.keys(body)) if (!REQUEST_FIELDS.has(key)) return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  const config = (body.generationConfig ?? body.generation_config) as Json | undefined;
  for (const key of Object.keys(config ?? {})) if (!GENERATION_FIELDS.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at 'generation_config': Cannot find field.`;
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const [i, raw] of (contents as Json[]).entries()) {
    if (raw.role !== undefined && raw.role !== 'user' && raw.role !== 'model') return 'Please use a valid role: user, model.';
    const parts = raw.parts;
    if (!Array.isArray(parts) || parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (const [j, part] of (parts as Json[]).entries()) {
      for (const key of Object.keys(part)) if (!PART_FIELDS.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at 'contents[${i}].parts[${j}]': Cannot find field.`;
      const response = (part.functionResponse ?? part.function_response) as Json | undefined;
      if (response && (typeof response.name !== 'string' || typeof response.response !== 'object' || response.response === null || Array.isArray(response.response))) {
        return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response.response: must be a JSON object`;
      }
    }
  }
  return undefined;
}
