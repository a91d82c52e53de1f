export * from './errors.js';
export * from './content.js';
export * from './tokens.js';
export * from './completions.js';
export * from './embeddings.js';
export * from './sse/index.js';
