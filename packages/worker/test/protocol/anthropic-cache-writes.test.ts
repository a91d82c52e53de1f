/** Anthropic's prompt-cache writes reach the cost, pass-through and translated, and never the caller. */
import t from 'tap';
import { anthropicUsageToOpenai } from '../../src/providers/anthropic/index.js';
import { usageFromOpenai } from '../../src/pipeline/adapter.js';
import { anthropicUsageOf } from '../../src/pipeline/usage-scan.js';
import { AnthropicSseScanner } from '../../src/pipeline/anthropic-scan.js';

const USAGE = { input_tokens: 10, cache_read_input_tokens: 200, cache_creation_input_tokens: 700, cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 300 }, output_tokens: 5 };

t.test('pass-through: the usage object and the stream scanner carry the writes', async (t) => {
  t.same(anthropicUsageOf(USAGE), { prompt: 910, completion: 5, cached: 200, cacheWrite: 700, cacheWrite1h: 300 });
  t.same(anthropicUsageOf({ input_tokens: 10, cache_creation_input_tokens: 50, output_tokens: 1 }), { prompt: 60, completion: 1, cacheWrite: 50 }, 'no breakdown: 5-minute writes');
  const scanner = new AnthropicSseScanner();
  scanner.push(Buffer.from(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', usage: { ...USAGE, output_tokens: 1 } } })}\n\n`));
  scanner.push(Buffer.from(`event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } })}\n\n`));
  t.same(scanner.usage(), { prompt: 910, completion: 5, cached: 200, cacheWrite: 700, cacheWrite1h: 300 });
});

t.test('translated: the hub usage carries them where JSON does not, so callers never see them', async (t) => {
  const hub = anthropicUsageToOpenai(USAGE);
  t.same(JSON.parse(JSON.stringify(hub)), { prompt_tokens: 910, completion_tokens: 5, total_tokens: 915, prompt_tokens_details: { cached_tokens: 200 }, completion_tokens_details: { reasoning_tokens: 0 } });
  t.same(usageFromOpenai(hub), { prompt: 910, completion: 5, cached: 200, cacheWrite: 700, cacheWrite1h: 300 });
});
