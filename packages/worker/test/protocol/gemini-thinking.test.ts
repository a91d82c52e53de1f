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
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-2.6-flash'), { thinkingBudget: 0 }, 'unknown families keep the documented off switch');
});

t.test('models without thinking get no thinkingConfig (they refuse one); -latest aliases take their flavour\'s range', async (t) => {
  for (const model of ['gemini-2.0-flash', 'models/gemini-2.0-flash-lite', 'gemini-1.5-pro-002', 'gemma-3-27b-it']) {
    t.equal(geminiThinkingConfig({ type: 'disabled' }, model), undefined, `${model}, disabled`);
    t.equal(geminiThinkingConfig({ type: 'enabled', budget_tokens: 2048 }, model), undefined, `${model}, enabled`);
  }
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 31_999 }, 'gemini-flash-latest'), { thinkingBudget: 24_576, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 100 }, 'gemini-flash-lite-latest'), { thinkingBudget: 512, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'disabled' }, 'gemini-pro-latest'), { thinkingBudget: 128 });
});

t.test('penalties go only to models that take them (Gemini 2.5 and later refuse them)', async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/index.js');
  const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], frequency_penalty: 0.5, presence_penalty: 0.2 };
  for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview', 'gemini-flash-latest']) {
    const config = openaiToGeminiRequest(req, model).body.generationConfig;
    t.same([config?.frequencyPenalty, config?.presencePenalty], [undefined, undefined], model);
  }
  const older = openaiToGeminiRequest(req, 'gemini-2.0-flash').body.generationConfig;
  t.same([older?.frequencyPenalty, older?.presencePenalty], [0.5, 0.2], 'gemini-2.0-flash takes them');
});

t.test('a chat of system messages only: their text is the one user turn (Gemini refuses empty contents)', async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/index.js');
  const body = openaiToGeminiRequest({ model: 'm', messages: [{ role: 'system', content: 'Classify: I love it' }] }, 'gemini-2.5-flash').body;
  t.same(body.contents, [{ role: 'user', parts: [{ text: 'Classify: I love it' }] }]);
  t.equal(body.systemInstruction, undefined);
});

t.test('enabled: the budget within the family range, thoughts included', async (t) => {
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 2048 }, 'gemini-2.5-flash'), { thinkingBudget: 2048, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-2.5-pro'), { thinkingBudget: 32_768, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-2.5-flash'), { thinkingBudget: 24_576, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 256 }, 'gemini-2.5-flash-lite'), { thinkingBudget: 512, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'enabled', budget_tokens: 50_000 }, 'gemini-3-pro-preview'), { thinkingBudget: 50_000, includeThoughts: true }, 'Gemini 3 budgets are passed on as given');
});

t.test("adaptive thinking is Gemini's dynamic thinking (it was a budget of null)", async (t) => {
  t.same(geminiThinkingConfig({ type: 'adaptive' }, 'gemini-2.5-flash'), { thinkingBudget: -1, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'adaptive' }, 'gemini-2.5-pro'), { thinkingBudget: -1, includeThoughts: true });
  t.same(geminiThinkingConfig({ type: 'adaptive' }, 'gemini-3-pro-preview'), { includeThoughts: true });
  t.equal(geminiThinkingConfig({ type: 'adaptive' }, 'gemini-2.0-flash'), undefined);
});

t.test("an OpenAI caller's reasoning_effort is a thinking budget, as on Gemini's own OpenAI endpoint", async (t) => {
  const { openaiToGeminiRequest } = await import('../../src/providers/gemini/index.js');
  const config = (effort: string | undefined, model = 'gemini-2.5-flash') =>
    openaiToGeminiRequest({ model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], ...(effort === undefined ? {} : { reasoning_effort: effort as 'low' }) }, model).body.generationConfig?.thinkingConfig;
  t.same(config('low'), { thinkingBudget: 1024, includeThoughts: true });
  t.same(config('medium'), { thinkingBudget: 8192, includeThoughts: true });
  t.same(config('high', 'gemini-2.5-pro'), { thinkingBudget: 24_576, includeThoughts: true });
  t.same(config('minimal', 'gemini-2.5-flash-lite'), { thinkingBudget: 512, includeThoughts: true });
  t.same(config('none'), { thinkingBudget: 0 }, 'none turns thinking off where the model can');
  t.same(config('none', 'gemini-2.5-pro'), { thinkingBudget: 128 });
  t.equal(config(undefined), undefined, 'no effort, no thinkingConfig: the model thinks as it does by default');
  t.equal(config('high', 'gemini-2.0-flash'), undefined, 'a model without thinking gets none');
});
