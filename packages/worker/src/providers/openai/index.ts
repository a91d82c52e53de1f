export * from './request.js';
export * from './usage-tap.js';
export * from './endpoint.js';
