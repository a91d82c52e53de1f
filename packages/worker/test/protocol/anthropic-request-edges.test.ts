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
