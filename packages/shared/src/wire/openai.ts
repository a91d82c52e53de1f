/**
 * OpenAI wire formats (Chat Completions, legacy Completions, Embeddings, Models), as sent on the
 * wire by api.openai.com and OpenAI-compatible servers. Only fields the gateway reads or writes are
 * typed precisely; requests are open (`[key: string]: unknown`) so unknown fields pass through.
 *
 * OpenAI Chat is the gateway's hub format: every provider translates to and from these types.
 */

// ---------------------------------------------------------------------------------------------
// Chat Completions: request
// ---------------------------------------------------------------------------------------------

export interface OpenaiTextPart {
  type: 'text';
  text: string;
}

export interface OpenaiImagePart {
  type: 'image_url';
  /** `url` is an http(s) URL or a `data:<mime>;base64,<data>` URL. */
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface OpenaiAudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: 'wav' | 'mp3' };
}

export interface OpenaiFilePart {
  type: 'file';
  /** `file_data` is a data URL (`data:application/pdf;base64,...`). */
  file: { file_data?: string; file_id?: string; filename?: string };
}

export interface OpenaiRefusalPart {
  type: 'refusal';
  refusal: string;
}

export type OpenaiUserContentPart = OpenaiTextPart | OpenaiImagePart | OpenaiAudioPart | OpenaiFilePart;

export interface OpenaiSystemMessage {
  role: 'system';
  content: string | OpenaiTextPart[];
  name?: string;
}

/** Newer models' replacement for `system`; treated identically by the gateway. */
export interface OpenaiDeveloperMessage {
  role: 'developer';
  content: string | OpenaiTextPart[];
  name?: string;
}

export interface OpenaiUserMessage {
  role: 'user';
  content: string | OpenaiUserContentPart[];
  name?: string;
}

export interface OpenaiToolCall {
  id: string;
  type: 'function';
  /** `arguments` is a JSON-encoded object, as a string. */
  function: { name: string; arguments: string };
}

/** A call of a custom tool (GPT-5 and later): free-form text input, OpenAI providers only. */
export interface OpenaiCustomToolCall {
  id: string;
  type: 'custom';
  custom: { name: string; input: string };
}

export type OpenaiAnyToolCall = OpenaiToolCall | OpenaiCustomToolCall;

export interface OpenaiAssistantMessage {
  role: 'assistant';
  /** Null (or absent) when the turn only calls tools. */
  content?: string | Array<OpenaiTextPart | OpenaiRefusalPart> | null;
  refusal?: string | null;
  name?: string;
  tool_calls?: OpenaiAnyToolCall[];
  /** Deprecated single function call. */
  function_call?: { name: string; arguments: string } | null;
}

export interface OpenaiToolMessage {
  role: 'tool';
  content: string | OpenaiTextPart[];
  tool_call_id: string;
}

/** Deprecated `functions` result message. */
export interface OpenaiFunctionMessage {
  role: 'function';
  content: string | null;
  name: string;
}

export type OpenaiChatMessage =
  | OpenaiSystemMessage
  | OpenaiDeveloperMessage
  | OpenaiUserMessage
  | OpenaiAssistantMessage
  | OpenaiToolMessage
  | OpenaiFunctionMessage;

/** JSON Schema object, as used by tool parameters and structured outputs. */
export type JsonSchema = { [key: string]: unknown };

export interface OpenaiFunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: JsonSchema;
    strict?: boolean | null;
  };
}

/** A custom tool (GPT-5 and later): the model writes free-form text, optionally to a grammar. */
export interface OpenaiCustomTool {
  type: 'custom';
  custom: {
    name: string;
    description?: string;
    format?: { type: 'text' } | { type: 'grammar'; grammar: { definition: string; syntax: 'lark' | 'regex' } };
  };
}

export type OpenaiTool = OpenaiFunctionTool | OpenaiCustomTool;

/** tool_choice of function tools only: what every provider can express. */
export type OpenaiFunctionToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type OpenaiToolChoice =
  | OpenaiFunctionToolChoice
  | { type: 'custom'; custom: { name: string } }
  | {
      type: 'allowed_tools';
      allowed_tools: {
        mode: 'auto' | 'required';
        tools: Array<{ type: 'function'; function: { name: string } } | { type: 'custom'; custom: { name: string } }>;
      };
    };

export type OpenaiResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: JsonSchema; strict?: boolean | null } };

export interface OpenaiStreamOptions {
  include_usage?: boolean;
}

/**
 * A chat request, generic in its tools so that translators to providers without custom tools take
 * the narrowed form (FunctionToolsChatRequest) and cannot meet a custom one.
 */
export interface ChatRequestOf<Tool, Choice, Message> {
  model: string;
  messages: Message[];
  max_tokens?: number | null;
  /** Newer name of max_tokens (required by reasoning models); wins over max_tokens. */
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  /**
   * Not part of OpenAI's API: an extension accepted by vLLM, llama.cpp and Ollama, carried in the
   * hub so Anthropic/Gemini top_k survives translation. Stripped before reaching a strict upstream.
   */
  top_k?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: OpenaiStreamOptions | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  seed?: number | null;
  user?: string;
  tools?: Tool[];
  tool_choice?: Choice;
  parallel_tool_calls?: boolean;
  response_format?: OpenaiResponseFormat;
  reasoning_effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | null;
  metadata?: Record<string, string> | null;
  store?: boolean | null;
  service_tier?: string | null;
  [extra: string]: unknown;
}

export type ChatCompletionRequest = ChatRequestOf<OpenaiTool, OpenaiToolChoice, OpenaiChatMessage>;

export type FunctionToolsAssistantMessage = Omit<OpenaiAssistantMessage, 'tool_calls'> & { tool_calls?: OpenaiToolCall[] };
export type FunctionToolsMessage = Exclude<OpenaiChatMessage, OpenaiAssistantMessage> | FunctionToolsAssistantMessage;
/** A chat request with function tools only: what Anthropic, Gemini and the mock are given. */
export type FunctionToolsChatRequest = ChatRequestOf<OpenaiFunctionTool, OpenaiFunctionToolChoice, FunctionToolsMessage>;

// ---------------------------------------------------------------------------------------------
// Chat Completions: response, stream chunk, usage
// ---------------------------------------------------------------------------------------------

export type OpenaiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface OpenaiUsage {
  /** Includes cached prompt tokens (`prompt_tokens_details.cached_tokens`). */
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number } | null;
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  } | null;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: OpenaiAnyToolCall[];
  function_call?: { name: string; arguments: string } | null;
  annotations?: unknown[];
  /**
   * Model reasoning, the de-facto OpenAI-compatible extension (DeepSeek, vLLM, SGLang, Qwen). Newer
   * vLLM and OpenRouter name it `reasoning`; the gateway's hub always uses `reasoning_content`.
   */
  reasoning_content?: string | null;
  reasoning?: string | null;
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  logprobs: unknown;
  finish_reason: OpenaiFinishReason | null;
  /**
   * vLLM extension: the stop string (or token id) that ended generation, null otherwise. Lets the
   * gateway report Anthropic's `stop_sequence`.
   */
  stop_reason?: string | number | null;
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: OpenaiUsage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

export interface OpenaiToolCallDelta {
  index: number;
  /** Present on the first delta of each call. */
  id?: string;
  type?: 'function' | 'custom';
  function?: { name?: string; arguments?: string };
  /** A custom tool's call (type "custom"): its name, then its input in pieces. */
  custom?: { name?: string; input?: string };
}

export interface ChatCompletionDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: OpenaiToolCallDelta[];
  function_call?: { name?: string; arguments?: string };
  /** Reasoning fragment, see ChatCompletionMessage.reasoning_content (`reasoning` accepted in). */
  reasoning_content?: string | null;
  reasoning?: string | null;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: ChatCompletionDelta;
  logprobs?: unknown;
  finish_reason: OpenaiFinishReason | null;
  /** vLLM extension, see ChatCompletionChoice.stop_reason. */
  stop_reason?: string | number | null;
}

/**
 * One `data:` payload of a streamed chat completion. With `stream_options.include_usage`, the
 * last chunk before `[DONE]` has `choices: []` and `usage` set (other chunks carry `usage: null`).
 */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: OpenaiUsage | null;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Legacy Completions (/v1/completions)
// ---------------------------------------------------------------------------------------------

export interface CompletionRequest {
  model: string;
  /** Strings, or token ids (number[] / number[][]). */
  prompt: string | string[] | number[] | number[][];
  /** Defaults to 16 on OpenAI's legacy endpoint. */
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: OpenaiStreamOptions | null;
  logprobs?: number | null;
  echo?: boolean | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  best_of?: number | null;
  logit_bias?: Record<string, number> | null;
  seed?: number | null;
  suffix?: string | null;
  user?: string;
  [extra: string]: unknown;
}

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: unknown;
  finish_reason: 'stop' | 'length' | 'content_filter' | null;
}

/** Both the response and each streamed chunk use object `text_completion`. */
export interface CompletionResponse {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: OpenaiUsage | null;
  system_fingerprint?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Embeddings, models, errors
// ---------------------------------------------------------------------------------------------

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  /** The official SDK sends `base64` unless told otherwise: little-endian float32 bytes. */
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [extra: string]: unknown;
}

export interface EmbeddingItem {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingResponse {
  object: 'list';
  data: EmbeddingItem[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface OpenaiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface OpenaiModelList {
  object: 'list';
  data: OpenaiModel[];
}

export interface OpenaiErrorBody {
  error: { message: string; type: string; param?: string | null; code?: string | number | null };
}
