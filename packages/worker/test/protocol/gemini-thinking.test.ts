/** Anthropic `thinking` as Gemini's thinkingConfig: each model family's range and its way to think least. */
import t from 'tap';
import { geminiThinkingConfig } from '../../src/providers/gemini/thinking.js';

t.test('disabled: off where the model allows it, else its least thinking', async (t) => {
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-2.5-flash'), { thinkingBudget: 0 });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-2.5-flash-lite'), { thinkingBudget: 0 });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-2.5-pro'), { thinkingBudget: 128 });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'models/gemini-2.5-pro-preview-06-05'), { thinkingBudget: 128 }, 'a models/ prefix and a dated preview are the same family');
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-3-pro-preview'), { thinkingLevel: 'low' });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'publishers/google/models/gemini-3-flash'), { thinkingLevel: 'low' });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-2.0-flash'), { thinkingBudget: 0 }, 'unknown families keep the documented off switch');
});

t.test('enabled: the budget within the family range, thoughts included', async (t) => {
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 2048 }, 'gemini-2.5-flash'), { thinkingBudget: 2048, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-2.5-pro'), { thinkingBudget: 32_768, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-2.5-flash'), { thinkingBudget: 24_576, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 256 }, 'gemini-2.5-flash-lite'), { thinkingBudget: 512, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-3-pro-preview'), { thinkingBudget: 50_000, includeThoughts: true }, 'Gemini 3 budgets are passed on as given');
});
