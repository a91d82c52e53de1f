export * from './mapping.js';
export * from './request-from-openai.js';
export * from './request-to-openai.js';
export * from './response.js';
export * from './stream-to-openai.js';
export * from './stream-from-openai.js';
export * from './endpoint.js';
