/**
 * Shared state (issue 4): rate limits, concurrency and the response cache. Also importable as
 * `@gatewayd/shared/state`, which loads no zod (for the worker's hot path).
 */
export * from './types.js';
export * from './sliding-log.js';
export * from './limiter.js';
export * from './lru-cache.js';
export * from './messages.js';
export * from './health.js';
export * from './core.js';
export * from './credits.js';
