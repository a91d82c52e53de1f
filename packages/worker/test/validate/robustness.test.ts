/**
 * Bad input of any shape: seeded random mutations of realistic requests. Every validator must
 * return (never throw), and whatever it accepts must be safe for the translators to read: they
 * may refuse with a TranslationError, never crash with a TypeError.
 */
import t from 'tap';
import { GatewayError } from '@gatewayd/shared/errors';
import type { AnthropicMessagesRequest, ChatCompletionRequest, CompletionRequest, EmbeddingRequest } from '@gatewayd/shared';
import {
  validateChatRequest,
  validateCompletionRequest,
  validateCountTokensRequest,
  validateEmbeddingRequest,
  validateMessagesRequest,
  parseJsonBody,
  InvalidRequestError,
} from '../../src/validate/index.js';
import { anthropicToOpenaiRequest, openaiToAnthropicRequest } from '../../src/providers/anthropic/index.js';
import { openaiToGeminiRequest, openaiToGeminiEmbeddings } from '../../src/providers/gemini/index.js';
import { prepareOpenaiChatRequest } from '../../src/providers/openai/index.js';
import { completionToChatRequest, embeddingInputs, estimateAnthropicTokens, estimateChatTokens, estimateCompletionPromptTokens, estimateEmbeddingTokens, TranslationError } from '../../src/protocol/index.js';
import { validChatRequests, validCompletionRequests, validEmbeddingRequests } from './fixtures/openai-payloads.js';
import { validCountTokensRequests, validMessagesRequests } from './fixtures/anthropic-payloads.js';

/** mulberry32: a small deterministic PRNG so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const DELETE = Symbol('delete');
const oddValues: unknown[] = [
  DELETE, null, 0, -1, 1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', 'x', '__proto__', 'constructor', 'user', 'function', 'text',
  true, false, [], [null], [[]], {}, { type: 'text' }, { type: 'function' }, JSON.parse('{"__proto__":{"polluted":1}}'),
  'x'.repeat(10_000), [1, 2, 3], ['a', 'b'],
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Replaces (or deletes) one randomly chosen value somewhere inside `root`. */
function mutate(root: Record<string, unknown>, random: () => number): void {
  let node: unknown = root;
  for (let depth = 0; depth < 8; depth++) {
    const container = node as Record<string, unknown> | unknown[];
    const keys = Array.isArray(container) ? container.map((_, i) => String(i)) : Object.keys(container);
    if (keys.length === 0) break;
    const key = pick(random, keys);
    const child: unknown = (container as Record<string, unknown>)[key];
    const descend = child !== null && typeof child === 'object' && random() < 0.7;
    if (!descend) {
      const value = pick(random, oddValues);
      if (value === DELETE) {
        if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key];
      } else (container as Record<string, unknown>)[key] = structuredClone(value);
      return;
    }
    node = child;
  }
}

function translateChat(req: ChatCompletionRequest): void {
  openaiToAnthropicRequest(req, 'claude-x');
  openaiToGeminiRequest(req, 'gemini-x');
  prepareOpenaiChatRequest(req, { model: 'x' });
  estimateChatTokens(req);
}

interface Target {
  name: string;
  validate: (body: unknown) => unknown;
  seeds: Array<[string, Record<string, unknown>]>;
  translate: (req: never) => void;
}

const targets: Target[] = [
  { name: 'chat', validate: validateChatRequest, seeds: validChatRequests, translate: translateChat },
  {
    name: 'completions',
    validate: validateCompletionRequest,
    seeds: validCompletionRequests,
    translate: (req: CompletionRequest) => {
      estimateCompletionPromptTokens(req);
      translateChat(completionToChatRequest(req));
    },
  },
  {
    name: 'embeddings',
    validate: validateEmbeddingRequest,
    seeds: validEmbeddingRequests,
    translate: (req: EmbeddingRequest) => {
      estimateEmbeddingTokens(req);
      embeddingInputs(req);
      openaiToGeminiEmbeddings(req, 'text-embedding-004');
    },
  },
  {
    name: 'messages',
    validate: validateMessagesRequest,
    seeds: validMessagesRequests,
    translate: (req: AnthropicMessagesRequest) => {
      estimateAnthropicTokens(req);
      translateChat(anthropicToOpenaiRequest(req, 'gpt-x'));
    },
  },
  {
    name: 'count_tokens',
    validate: validateCountTokensRequest,
    seeds: validCountTokensRequests,
    translate: (req: AnthropicMessagesRequest) => {
      estimateAnthropicTokens(req);
      anthropicToOpenaiRequest(req, 'gpt-x');
    },
  },
];

/** Fixed by default so a failure reproduces; override to explore (GATEWAYD_FUZZ_SEED, GATEWAYD_FUZZ_ROUNDS). */
const SEED = Number(process.env.GATEWAYD_FUZZ_SEED ?? 0x5eed);
const ROUNDS = Number(process.env.GATEWAYD_FUZZ_ROUNDS ?? 4000);

for (const target of targets) {
  t.test(`${target.name}: ${ROUNDS} random mutations never throw, accepted ones translate`, async (t) => {
    const random = prng(SEED + target.name.length);
    let accepted = 0;
    let rejected = 0;
    const crashes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const body = structuredClone(pick(random, target.seeds)[1]);
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) mutate(body, random);
      const snapshot = JSON.stringify(body);
      let result: unknown;
      try {
        result = target.validate(body);
      } catch (err) {
        crashes.push(`validator threw ${String(err)} on ${snapshot.slice(0, 300)}`);
        continue;
      }
      if (result instanceof GatewayError) {
        rejected++;
        if (result.code !== 'GW_ERR_BAD_REQUEST') crashes.push(`unexpected code ${result.code}`);
        continue;
      }
      accepted++;
      if (result !== body) crashes.push('accepted request is not the same object');
      try {
        target.translate(result as never);
      } catch (err) {
        if (!(err instanceof TranslationError)) crashes.push(`translation crashed: ${String(err)} on ${snapshot.slice(0, 300)}`);
      }
      if (crashes.length > 5) break;
    }
    t.same(crashes, [], 'no crash');
    t.ok(accepted > ROUNDS / 20 && rejected > ROUNDS / 20, `both outcomes exercised (accepted ${accepted}, rejected ${rejected})`);
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  });
}

/** `levels` arrays, each inside the previous one (built without recursion). */
function nested(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

t.test('every validator: model at most 256 characters, the body nested at most 128 levels', async (t) => {
  for (const target of targets) {
    const seed = (target.seeds[0] as [string, Record<string, unknown>])[1];
    const accepted = (body: Record<string, unknown>, label: string) => t.notOk(target.validate(body) instanceof GatewayError, `${target.name}: ${label} passes`);
    const refused = (body: Record<string, unknown>, param: string, pattern: RegExp, label: string) => {
      const result = target.validate(body);
      t.ok(result instanceof InvalidRequestError && result.param === param && pattern.test(result.message), `${target.name}: ${label} is a 400 naming ${param}: ${String((result as Error).message)}`);
    };
    accepted({ ...seed, model: 'm'.repeat(256) }, 'a 256-character model');
    refused({ ...seed, model: 'm'.repeat(257) }, 'model', /at most 256 characters, got 257/, 'a 257-character model');
    refused({ ...seed, model: 'm'.repeat(1 << 20) }, 'model', /at most 256 characters/, 'a 1 MiB model');
    // The body is level 1: an extra field of 127 levels makes 128.
    accepted({ ...seed, extra: nested(127) }, '128 levels');
    refused({ ...seed, extra: nested(128) }, 'extra', /nested more than 128 levels deep/, '129 levels');
    refused({ ...seed, extra: { a: [{ b: nested(20_000) }] } }, 'extra', /nested more than 128 levels/, '20k levels');
  }
});

t.test('random bytes and JSON-ish text never throw', async (t) => {
  const random = prng(42);
  const alphabet = '{}[]":,0123456789-.eEtruefalsnl \\u"\n\t' + 'abc\u0000\u00ff';
  let problems = 0;
  for (let round = 0; round < 3000; round++) {
    const length = Math.floor(random() * 40);
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    try {
      const parsed = parseJsonBody(Buffer.from(text));
      for (const target of targets) target.validate(parsed);
    } catch {
      problems++;
    }
  }
  t.equal(problems, 0, 'parseJsonBody and every validator returned');
});
