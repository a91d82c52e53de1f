export type * from './openai.js';
export type * from './anthropic.js';
export type * from './gemini.js';
