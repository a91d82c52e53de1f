export { validateMessagesRequest, validateCountTokensRequest } from './anthropic-messages.js';
export { InvalidRequestError, type PathStyle } from './issue.js';
export { parseJsonBody, withoutBom } from './json.js';
export { locateJsonError, type JsonErrorLocation } from './json-locate.js';
export { validateChatRequest } from './openai-chat.js';
export { validateCompletionRequest } from './openai-completions.js';
export { validateEmbeddingRequest } from './openai-embeddings.js';
