/** OpenAI Chat request (hub) -> Gemini generateContent request, plus the URL path to call. */
import type {
  ChatCompletionRequest,
  FunctionToolsAssistantMessage,
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiToolConfig,
  OpenaiFunctionTool,
  OpenaiFunctionToolChoice,
  OpenaiUserContentPart,
} from '@gatewayd/shared';
import { isPlainObject, parseDataUrl, stopList, textOf, textParts } from '../../protocol/content.js';
import { jsonOutputInstruction } from '../../protocol/json-instruction.js';
import { toolInputOf } from '../../protocol/json-object-prefix.js';
import { refuseOpenaiOnlyOutput } from '../../protocol/openai-only-output.js';
import { TranslationError } from '../../protocol/errors.js';
import { functionToolsOnly } from '../../protocol/function-tools.js';
import { legacyFunctionsAsTools } from '../../protocol/legacy-functions.js';
import { hubThinkingOf } from '../../protocol/reasoning.js';
import { geminiMethodPath } from './endpoint.js';
import { geminiCallIdOf, thoughtSignatureOf } from './mapping.js';
import { acceptsJsonResponseWithTools, acceptsPenalties, acceptsSystemInstruction, geminiThinkingConfig, requiresThoughtSignatures, thinkingFromEffort } from './thinking.js';
import { holdsObjectWithoutProperties, isEmptyObjectSchema, toGeminiSchema } from './schema.js';

export interface GeminiRequestPlan {
  model: string;
  stream: boolean;
  /** Relative to the base URL, e.g. `models/gemini-2.5-flash:streamGenerateContent?alt=sse`. */
  path: string;
  body: GeminiGenerateContentRequest;
}

export function openaiToGeminiRequest(request: ChatCompletionRequest, targetModel: string = request.model): GeminiRequestPlan {
  refuseOpenaiOnlyOutput(request);
  const req = functionToolsOnly(legacyFunctionsAsTools(request));
  const systemParts: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  // functionResponse needs the function NAME and, as Gemini 2.x calls carry no id, the call's
  // POSITION: OpenAI tool messages only carry the call id.
  const toolCalls = new Map<string, CallPosition>();
  // The call order of each functionResponse part built here.
  const responseOrder = new Map<GeminiPart, number>();
  const signaturesRequired = requiresThoughtSignatures(targetModel);

  for (const message of req.messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of textParts(message.content)) if (part.text) systemParts.push({ text: part.text });
        break;
      case 'user':
        append(contents, 'user', typeof message.content === 'string' ? [{ text: message.content }] : message.content.map(userPart));
        break;
      case 'assistant':
        append(contents, 'model', assistantParts(message, toolCalls, signaturesRequired));
        break;
      case 'tool': {
        const call = toolCalls.get(message.tool_call_id);
        if (call === undefined) throw new TranslationError(`tool message refers to unknown tool_call_id "${message.tool_call_id}"`);
        const id = geminiCallIdOf(message.tool_call_id);
        const response = functionResponse(textOf(message.content));
        const part: GeminiPart = { functionResponse: id === undefined ? { name: call.name, response } : { id, name: call.name, response } };
        responseOrder.set(part, call.order);
        append(contents, 'user', [part]);
        break;
      }
    }
  }

  if (responseOrder.size > 1) for (const content of contents) if (content.role === 'user') orderResponses(content.parts, responseOrder);

  // Gemini refuses a request without contents ("contents is not specified"); OpenAI takes a chat of
  // system messages only, whose text is then the one user turn.
  if (contents.length === 0 && systemParts.length > 0) contents.push({ role: 'user', parts: systemParts.splice(0) });
  if (contents.length === 0) throw new TranslationError('the messages have no content to send (every one is blank)');
  const declarations = (req.tools ?? []).filter((t) => t.type === 'function').map(declaration);
  const json = jsonOutput(req, targetModel, declarations.length > 0);
  if (json.instruction !== undefined) systemParts.push({ text: json.instruction });
  // Gemma has no system instruction: its own chat template puts the system text at the start of
  // the first user turn, and so does this.
  if (systemParts.length > 0 && !acceptsSystemInstruction(targetModel)) {
    const firstUser = contents.find((content) => content.role === 'user');
    if (firstUser !== undefined) firstUser.parts.unshift(...systemParts.splice(0));
    else contents.unshift({ role: 'user', parts: systemParts.splice(0) });
  }
  const body: GeminiGenerateContentRequest = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  if (declarations.length > 0) {
    body.tools = [{ functionDeclarations: declarations }];
    const toolConfig = geminiToolConfig(req.tool_choice);
    if (toolConfig) body.toolConfig = toolConfig;
  }
  const generationConfig = { ...geminiGenerationConfig(req, targetModel), ...json.config };
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  const stream = req.stream === true;
  return { model: targetModel, stream, path: geminiMethodPath(targetModel, stream ? 'streamGenerateContent' : 'generateContent'), body };
}

/**
 * Gemini wants user/model turns alternating: consecutive same-role messages are merged. A part of
 * empty text alone is left out: Gemini refuses the whole request for one ("empty text parameter"),
 * and OpenAI clients do send `content: ""`.
 */
function append(contents: GeminiContent[], role: 'user' | 'model', given: GeminiPart[]): void {
  const parts = given.filter((part) => !(part.text === '' && Object.keys(part).length === 1));
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last?.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/** A call's function name and its place among all the calls of the conversation. */
interface CallPosition {
  name: string;
  order: number;
}

/**
 * Gemini pairs a run of functionResponse parts with the calls of the turn before by position
 * (Gemini 2.x calls have no id), while OpenAI and Anthropic callers may answer parallel calls in
 * any order, matched by id: each run is put in the order of the calls it answers (stable).
 */
function orderResponses(parts: GeminiPart[], responseOrder: ReadonlyMap<GeminiPart, number>): void {
  let start = 0;
  while (start < parts.length) {
    if (!responseOrder.has(parts[start]!)) {
      start++;
      continue;
    }
    let end = start + 1;
    while (end < parts.length && responseOrder.has(parts[end]!)) end++;
    if (end - start > 1) {
      const run = parts.slice(start, end).sort((a, b) => responseOrder.get(a)! - responseOrder.get(b)!);
      parts.splice(start, run.length, ...run);
    }
    start = end;
  }
}

function userPart(part: OpenaiUserContentPart): GeminiPart {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image_url': {
      const data = parseDataUrl(part.image_url.url);
      if (data) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      // Assumption: fileData needs a mime type; it is guessed from the URL's extension.
      return { fileData: { mimeType: guessImageMime(part.image_url.url), fileUri: part.image_url.url } };
    }
    case 'input_audio':
      return { inlineData: { mimeType: part.input_audio.format === 'mp3' ? 'audio/mp3' : 'audio/wav', data: part.input_audio.data } };
    case 'file': {
      const data = part.file.file_data ? parseDataUrl(part.file.file_data) : undefined;
      if (data) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      throw new TranslationError('file_id references cannot be sent to Gemini; send file_data inline');
    }
    default:
      throw new TranslationError(`content part "${(part as { type: string }).type}" is not supported by Gemini`);
  }
}

/**
 * What Gemini 3 takes in place of the signature of a call it did not make (another target of the
 * model, Gemini 2.5, a client that rewrote the ids): Google's documented value for such histories.
 */
const GEMINI_MAX_STOP_SEQUENCES = 5;

export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

function assistantParts(message: FunctionToolsAssistantMessage, toolCalls: Map<string, CallPosition>, signaturesRequired: boolean): GeminiPart[] {
  const parts: GeminiPart[] = [];
  const text = textOf(message.content);
  if (text) parts.push({ text });
  let firstCall: GeminiPart | undefined;
  let signed = false;
  for (const call of message.tool_calls ?? []) {
    toolCalls.set(call.id, { name: call.function.name, order: toolCalls.size });
    const id = geminiCallIdOf(call.id);
    const args = toolInputOf(call.function.arguments);
    const part: GeminiPart = { functionCall: id === undefined ? { name: call.function.name, args } : { id, name: call.function.name, args } };
    const signature = thoughtSignatureOf(call.id);
    if (signature) part.thoughtSignature = signature;
    signed ||= signature !== undefined;
    firstCall ??= part;
    parts.push(part);
  }
  // Gemini 3 wants the first call of a turn signed (parallel calls: only the first is).
  if (signaturesRequired && !signed && firstCall !== undefined) firstCall.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
  return parts;
}

/** functionResponse.response must be an object: JSON objects pass as-is, anything else is wrapped. */
function functionResponse(content: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(content);
    return isPlainObject(value) ? value : { result: value };
  } catch {
    return { result: content };
  }
}

function declaration(tool: OpenaiFunctionTool): GeminiFunctionDeclaration {
  const out: GeminiFunctionDeclaration = { name: tool.function.name };
  if (tool.function.description) out.description = tool.function.description;
  if (tool.function.parameters) {
    const parameters = toGeminiSchema(tool.function.parameters);
    // Gemini rejects an OBJECT schema with no properties: parameterless tools omit it. Deeper in,
    // an object without properties (a map, a free-form object) stays, with a map's value schema in
    // its description: function calls are not held to the schema as JSON responses are.
    if (!isEmptyObjectSchema(parameters)) out.parameters = parameters;
  }
  return out;
}

export function geminiToolConfig(choice: OpenaiFunctionToolChoice | undefined): GeminiToolConfig | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
}

function geminiGenerationConfig(req: ChatCompletionRequest, targetModel: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  // vLLM's top_k -1 means "disabled"; Gemini takes only positive values.
  if (req.top_k != null && req.top_k > 0) config.topK = req.top_k;
  const stop = stopList(req.stop);
  // Gemini's own limit; Anthropic callers may send more. Said here, naming the field, rather than
  // as Gemini's translated 400.
  if (stop && stop.length > GEMINI_MAX_STOP_SEQUENCES) throw new TranslationError(`Gemini accepts at most ${GEMINI_MAX_STOP_SEQUENCES} stop sequences; the request has ${stop.length}`);
  if (stop) config.stopSequences = stop;
  if (req.n != null && req.n > 1) config.candidateCount = req.n;
  // Gemini 2.5 and later refuse penalties ("Penalty is not enabled for models/..."): dropped there.
  if (acceptsPenalties(targetModel)) {
    if (req.presence_penalty != null) config.presencePenalty = req.presence_penalty;
    if (req.frequency_penalty != null) config.frequencyPenalty = req.frequency_penalty;
  }
  if (req.seed != null) config.seed = req.seed;
  const thinking = hubThinkingOf(req) ?? thinkingFromEffort(req.reasoning_effort);
  const thinkingConfig = thinking === undefined ? undefined : geminiThinkingConfig(thinking, targetModel);
  if (thinkingConfig !== undefined) config.thinkingConfig = thinkingConfig;
  return config;
}

/** How a response_format reaches Gemini: in the generation config, as an instruction, or both. */
interface JsonOutput {
  config?: Pick<GeminiGenerationConfig, 'responseMimeType' | 'responseSchema'>;
  /** Appended to the system instruction. */
  instruction?: string;
}

/**
 * JSON output is Gemini's JSON response (`responseMimeType`, with `responseSchema` for a schema),
 * except where Gemini cannot be made to give it, where the instruction Anthropic targets get in
 * such cases says what is wanted (not a guarantee):
 * - beside function tools on models before Gemini 3, which refuse the pair: the instruction only;
 * - a schema holding an object without properties (see holdsObjectWithoutProperties): the JSON
 *   response, and the caller's whole schema in the instruction.
 */
function jsonOutput(req: ChatCompletionRequest, targetModel: string, hasTools: boolean): JsonOutput {
  const format = req.response_format;
  if (format?.type !== 'json_object' && format?.type !== 'json_schema') return {};
  if (hasTools && !acceptsJsonResponseWithTools(targetModel)) return { instruction: jsonOutputInstruction(format) };
  const config: JsonOutput['config'] = { responseMimeType: 'application/json' };
  if (format.type === 'json_object' || !format.json_schema.schema) return { config };
  const schema = toGeminiSchema(format.json_schema.schema);
  if (holdsObjectWithoutProperties(schema)) return { config, instruction: jsonOutputInstruction(format) };
  return { config: { ...config, responseSchema: schema } };
}

function guessImageMime(url: string): string {
  const path = url.split(/[?#]/)[0]?.toLowerCase() ?? '';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.webp')) return 'image/webp';
  if (path.endsWith('.gif')) return 'image/gif';
  if (path.endsWith('.heic')) return 'image/heic';
  return 'image/jpeg';
}
