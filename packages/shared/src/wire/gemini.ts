/**
 * Google Gemini API (generativelanguage.googleapis.com, v1beta) wire formats:
 * `models/{model}:generateContent`, `models/{model}:streamGenerateContent?alt=sse` (each SSE
 * `data:` is a GenerateContentResponse, no [DONE]), `:embedContent` and `:batchEmbedContents`.
 * JSON uses lowerCamelCase field names.
 */
import type { JsonSchema } from './openai.js';

export interface GeminiFunctionCall {
  /** Usually absent on the Gemini Developer API; the gateway assigns ids itself. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  /** Required: the name of the function that was called. */
  name: string;
  /** Must be a JSON object (protobuf Struct). */
  response: Record<string, unknown>;
}

/** A union type on the wire: exactly one data field is set per part. */
export interface GeminiPart {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  executableCode?: { language: string; code: string };
  codeExecutionResult?: { outcome: string; output?: string };
  /** True when `text` is a thought summary (thinking models with includeThoughts). */
  thought?: boolean;
  thoughtSignature?: string;
}

export interface GeminiContent {
  /** `user` or `model`; omitted in systemInstruction. */
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

/** OpenAPI 3.0 subset accepted in functionDeclarations[].parameters and responseSchema. */
export interface GeminiSchema {
  type?: 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT' | 'NULL' | Lowercase<'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT' | 'NULL'>;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  maxItems?: string | number;
  minItems?: string | number;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  minProperties?: string | number;
  maxProperties?: string | number;
  minLength?: string | number;
  maxLength?: string | number;
  pattern?: string;
  example?: unknown;
  anyOf?: GeminiSchema[];
  propertyOrdering?: string[];
  default?: unknown;
  items?: GeminiSchema;
  minimum?: number;
  maximum?: number;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GeminiSchema;
  /** Newer alternative accepting full JSON Schema; the gateway uses `parameters`. */
  parametersJsonSchema?: JsonSchema;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  googleSearch?: Record<string, unknown>;
  codeExecution?: Record<string, unknown>;
}

export interface GeminiToolConfig {
  functionCallingConfig?: {
    mode?: 'MODE_UNSPECIFIED' | 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';
    /** Only with mode ANY. */
    allowedFunctionNames?: string[];
  };
}

export interface GeminiGenerationConfig {
  stopSequences?: string[];
  responseMimeType?: string;
  responseSchema?: GeminiSchema;
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  thinkingConfig?: { includeThoughts?: boolean; thinkingBudget?: number; thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high' };
}

export interface GeminiSafetySetting {
  category: string;
  threshold: string;
}

export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  safetySettings?: GeminiSafetySetting[];
  generationConfig?: GeminiGenerationConfig;
  cachedContent?: string;
}

export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS';

export interface GeminiCandidate {
  content?: GeminiContent;
  finishReason?: GeminiFinishReason;
  finishMessage?: string;
  index?: number;
  safetyRatings?: Array<{ category: string; probability: string; blocked?: boolean }>;
  citationMetadata?: unknown;
  tokenCount?: number;
}

export interface GeminiUsageMetadata {
  /** INCLUDES cachedContentTokenCount (like OpenAI's prompt_tokens). */
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  /** Excludes thoughtsTokenCount. */
  candidatesTokenCount?: number;
  toolUsePromptTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; safetyRatings?: unknown[] };
  /** In a stream every chunk may carry it; the last one has the final counts. */
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

// ---------------------------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------------------------

export type GeminiEmbedTaskType =
  | 'TASK_TYPE_UNSPECIFIED'
  | 'RETRIEVAL_QUERY'
  | 'RETRIEVAL_DOCUMENT'
  | 'SEMANTIC_SIMILARITY'
  | 'CLASSIFICATION'
  | 'CLUSTERING'
  | 'QUESTION_ANSWERING'
  | 'FACT_VERIFICATION'
  | 'CODE_RETRIEVAL_QUERY';

/** `models/{model}:embedContent`. */
export interface GeminiEmbedContentRequest {
  /** `models/{model}`; required inside batchEmbedContents requests. */
  model?: string;
  content: GeminiContent;
  taskType?: GeminiEmbedTaskType;
  title?: string;
  outputDimensionality?: number;
}

export interface GeminiEmbedContentResponse {
  embedding: { values: number[] };
}

/** `models/{model}:batchEmbedContents`. */
export interface GeminiBatchEmbedContentsRequest {
  requests: GeminiEmbedContentRequest[];
}

export interface GeminiBatchEmbedContentsResponse {
  embeddings: Array<{ values: number[] }>;
}

export interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}
