export * from './mapping.js';
export * from './schema.js';
export * from './request.js';
export * from './response.js';
export * from './stream.js';
export * from './embeddings.js';
export * from './endpoint.js';
