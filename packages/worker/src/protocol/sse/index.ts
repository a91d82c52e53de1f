export * from './parser.js';
export * from './encode.js';
