/** OpenAI chats that Anthropic would refuse as they are (providers/anthropic/request-from-openai.ts). */
import t from 'tap';
import type { ChatCompletionRequest } from '@gatewayd/shared';
import { openaiToAnthropicRequest } from '../../src/providers/anthropic/index.js';
import { TranslationError } from '../../src/protocol/errors.js';

const chat = (messages: unknown[]) => ({ model: 'smart', messages }) as unknown as ChatCompletionRequest;

t.test('a chat of system messages only: their text is the one user turn (Anthropic refuses empty messages)', async (t) => {
  const one = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Say hi' }]), 'claude-sonnet-4-5');
  t.same(one.messages, [{ role: 'user', content: 'Say hi' }]);
  t.equal(one.system, undefined);
  const two = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Say hi' }, { role: 'user', content: '  ' }]), 'claude-sonnet-4-5');
  t.same(two.messages, [{ role: 'user', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Say hi' }] }]);
  t.equal(two.system, undefined);
  const usual = openaiToAnthropicRequest(chat([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]), 'claude-sonnet-4-5');
  t.equal(usual.system, 'Be brief.', 'with a user turn the system prompt stays one');
});

t.test('a chat with nothing to send is a clear 400', async (t) => {
  t.throws(() => openaiToAnthropicRequest(chat([{ role: 'user', content: '' }]), 'claude-sonnet-4-5'), TranslationError);
});

t.test('JSON output without structured outputs (json_object, or a schema to Claude before 4.5): an instruction at the end of the system prompt', async (t) => {
  const ask = (format: unknown, model: string, system?: string) =>
    openaiToAnthropicRequest({ ...chat([...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: 'Largest city of Italy?' }]), response_format: format } as unknown as ChatCompletionRequest, model);
  const plain = ask({ type: 'json_object' }, 'claude-sonnet-4-5');
  t.equal(plain.system, 'Respond with a single JSON object. Output only the JSON, with no other text and no code fences.');
  t.equal(plain.output_config, undefined);
  const withSystem = ask({ type: 'json_object' }, 'claude-sonnet-4-5', 'Be brief.');
  t.same(withSystem.system, [
    { type: 'text', text: 'Be brief.' },
    { type: 'text', text: 'Respond with a single JSON object. Output only the JSON, with no other text and no code fences.' },
  ]);
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const older = ask({ type: 'json_schema', json_schema: { name: 'city', schema } }, 'claude-sonnet-4-20250514');
  t.equal(older.system, `Respond with a single JSON object matching this JSON Schema: ${JSON.stringify(schema)}. Output only the JSON, with no other text and no code fences.`);
  t.equal(older.output_config, undefined, 'no structured outputs before Claude 4.5');
  const newer = ask({ type: 'json_schema', json_schema: { name: 'city', schema } }, 'claude-sonnet-4-5');
  t.equal(newer.system, undefined, 'Claude 4.5: structured outputs, no instruction');
  t.ok(newer.output_config?.format);
  t.equal(ask({ type: 'text' }, 'claude-sonnet-4-5').system, undefined, 'plain text: nothing added');
});
