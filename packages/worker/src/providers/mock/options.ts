/**
 * The mock provider's timing and size knobs: from the provider config, overridable per request by
 * `x-mock-chunks`, `x-mock-chunk-delay-ms` and `x-mock-latency-ms` (load tests), within bounds.
 */
import type { ProviderConfig } from '@gatewayd/shared';

export interface MockOptions {
  /** Content chunks of a streamed answer (also the word count of a plain one). */
  chunks: number;
  chunkDelayMs: number;
  latencyMs: number;
}

/** Raw override header values, '' when absent (as uWS returns them). */
export interface MockOverrideHeaders {
  chunks: string;
  chunkDelayMs: string;
  latencyMs: string;
}

export const MOCK_OVERRIDE_LIMITS = {
  chunks: { min: 1, max: 100_000 },
  chunkDelayMs: { min: 0, max: 60_000 },
  latencyMs: { min: 0, max: 300_000 },
} as const;

function override(raw: string, fallback: number, bounds: { min: number; max: number }): number {
  if (raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) return fallback;
  return Math.min(bounds.max, Math.max(bounds.min, Math.floor(value)));
}

export function resolveMockOptions(provider: ProviderConfig, headers: MockOverrideHeaders | null): MockOptions {
  const options = { chunks: provider.chunks, chunkDelayMs: provider.chunk_delay, latencyMs: provider.latency };
  if (headers === null) return options;
  return {
    chunks: override(headers.chunks, options.chunks, MOCK_OVERRIDE_LIMITS.chunks),
    chunkDelayMs: override(headers.chunkDelayMs, options.chunkDelayMs, MOCK_OVERRIDE_LIMITS.chunkDelayMs),
    latencyMs: override(headers.latencyMs, options.latencyMs, MOCK_OVERRIDE_LIMITS.latencyMs),
  };
}
