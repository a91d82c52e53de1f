/**
 * Shared setup of the conformance suite: three fake upstreams (each requiring the provider key the
 * gateway config holds, so a gateway key leaking upstream fails), the gateway YAML fronting them
 * plus the mock provider, the official SDK clients pointed at the gateway, and what each provider
 * is expected to answer.
 */
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic, startFakeGemini, startFakeOpenai, type FakeUpstream, type Gateway, type RecordedRequest } from '../fakes/index.js';

export const GW_KEY = 'gw-conformance-key-0123456789';
export const UPSTREAM_KEYS = { openai: 'sk-upstream-openai-key', anthropic: 'sk-ant-upstream-key', gemini: 'AIza-upstream-key' } as const;

export type FakeKind = 'openai' | 'anthropic' | 'gemini';
export type ProviderKind = FakeKind | 'mock';
export const PROVIDERS: readonly ProviderKind[] = ['openai', 'anthropic', 'gemini', 'mock'];
export const FAKES: readonly FakeKind[] = ['openai', 'anthropic', 'gemini'];

/** The names callers use, and what each target is called upstream. */
export const MODELS: Record<ProviderKind, string> = { openai: 'oa-model', anthropic: 'an-model', gemini: 'ge-model', mock: 'mock-model' };
export const UPSTREAM_MODELS: Record<ProviderKind, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-20250514', gemini: 'gemini-2.0-flash', mock: 'demo' };

/** The full answer text of each provider to the canonical text request ("Say hello."). */
export const TEXT: Record<ProviderKind, string> = {
  openai: 'Hello from the fake OpenAI upstream.',
  anthropic: 'Hello from the fake Anthropic upstream.',
  gemini: 'Hello from the fake Gemini upstream.',
  // The mock echoes the last user message, one word per chunk (chunks: 5 below).
  mock: 'Mock reply to: Say hello.',
};

export type Upstreams = Record<FakeKind, FakeUpstream> & { resetAll(): void };

type Tap = { teardown(fn: () => unknown): void };

export async function startUpstreams(t: Tap): Promise<Upstreams> {
  const openai = await startFakeOpenai({ requireKey: UPSTREAM_KEYS.openai });
  const anthropic = await startFakeAnthropic({ requireKey: UPSTREAM_KEYS.anthropic });
  const gemini = await startFakeGemini({ requireKey: UPSTREAM_KEYS.gemini });
  t.teardown(() => Promise.all([openai.close(), anthropic.close(), gemini.close()]));
  return {
    openai,
    anthropic,
    gemini,
    resetAll: () => {
      openai.reset();
      anthropic.reset();
      gemini.reset();
    },
  };
}

/** Providers and one model per provider; `extra` is appended (more models go under `models:` via extraModels). */
export function gatewayYaml(up: Upstreams, options: { auth?: string; routing?: string; server?: string; extraModels?: string; extra?: string } = {}): string {
  return `
server: { request_timeout: 3s, stream_idle_timeout: 3s, body_limit: 64kb${options.server ? `, ${options.server}` : ''} }
logging: { level: warn }
auth: ${options.auth ?? `{ mode: gateway, keys: [{ name: conformance, key: "${GW_KEY}" }] }`}
routing: ${options.routing ?? '{ retries: 1, backoff_initial: 10ms, backoff_max: 20ms, retry_after_max: 2s, breaker_threshold: 50, key_cooldown: 100ms }'}
providers:
  - { name: fake-openai, type: openai, base_url: "${up.openai.url}", api_keys: ["${UPSTREAM_KEYS.openai}"] }
  - { name: fake-anthropic, type: anthropic, base_url: "${up.anthropic.url}", api_keys: ["${UPSTREAM_KEYS.anthropic}"] }
  - { name: fake-gemini, type: gemini, base_url: "${up.gemini.url}", api_keys: ["${UPSTREAM_KEYS.gemini}"] }
  - { name: local, type: mock, chunks: 5 }
models:
  - { name: ${MODELS.openai}, targets: [{ provider: fake-openai, model: ${UPSTREAM_MODELS.openai} }] }
  - { name: ${MODELS.anthropic}, targets: [{ provider: fake-anthropic, model: ${UPSTREAM_MODELS.anthropic} }] }
  - { name: ${MODELS.gemini}, targets: [{ provider: fake-gemini, model: ${UPSTREAM_MODELS.gemini} }] }
  - { name: ${MODELS.mock}, aliases: [mock-alias], targets: [{ provider: local, model: ${UPSTREAM_MODELS.mock} }] }
${options.extraModels ?? ''}
${options.extra ?? ''}
`;
}

export function openaiClient(gw: Gateway, apiKey = GW_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 30_000 });
}

export function anthropicClient(gw: Gateway, apiKey = GW_KEY): Anthropic {
  return new Anthropic({ apiKey, baseURL: gw.url, maxRetries: 0, timeout: 30_000 });
}

/** The one request the fake of `kind` received since the last reset; fails if there were more or none. */
export function onlyRequest(up: Upstreams, kind: FakeKind): RecordedRequest {
  const requests = up[kind].requests;
  if (requests.length !== 1) throw new Error(`expected exactly 1 request to the ${kind} fake, got ${requests.length}: ${JSON.stringify(requests.map((r) => r.path))}`);
  return requests[0] as RecordedRequest;
}

/** Requests every fake received, as a count per fake (to prove nothing else was called). */
export function counts(up: Upstreams): Record<FakeKind, number> {
  return { openai: up.openai.requests.length, anthropic: up.anthropic.requests.length, gemini: up.gemini.requests.length };
}

export function countsOnly(kind: ProviderKind, n = 1): Record<FakeKind, number> {
  return { openai: kind === 'openai' ? n : 0, anthropic: kind === 'anthropic' ? n : 0, gemini: kind === 'gemini' ? n : 0 };
}

/** Text of an OpenAI or Anthropic message content (string or list of parts/blocks). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: { type?: string; text?: string; content?: unknown }) => (part.type === 'text' ? (part.text ?? '') : part.type === 'tool_result' ? contentText(part.content) : ''))
      .join('');
  }
  return '';
}

/** Awaits a promise expected to reject and returns the error (fails if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, any>;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

export type Json = Record<string, any>;

/** A phrase of each fake's default error message per status (to check it reaches the caller). */
export function upstreamMessage(provider: ProviderKind, status: number): string {
  const messages: Record<string, Record<number, string>> = {
    openai: { 400: 'Invalid request.', 404: 'does not exist', 429: 'Rate limit reached' },
    anthropic: { 400: 'Invalid request.', 404: 'could not be found', 429: 'exceed the rate limit' },
    gemini: { 400: 'invalid argument', 404: 'not found', 429: 'Resource has been exhausted' },
  };
  return messages[provider]?.[status] ?? '';
}

/** Polls `attempt` until it resolves (e.g. a provider key cooling down after a 429), failing after `timeoutMs`. */
export async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
