import t from 'tap';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/validate/index.js';
import { validCountTokensRequests, validMessagesRequests } from './fixtures/anthropic-payloads.js';
import { passesUnchanged, rejects, type BadCase } from './fixtures/assert.js';

const user = { role: 'user', content: 'hi' };
const req = (extra: Record<string, unknown>) => ({ model: 'claude-sonnet-4-20250514', max_tokens: 1024, messages: [user], ...extra });
const withMessage = (message: unknown) => req({ messages: [user, { role: 'assistant', content: 'ok' }, message] });
const withBlock = (block: unknown) => withMessage({ role: 'user', content: [{ type: 'text', text: 'x' }, block] });

t.test('valid SDK payloads pass unchanged', async (t) => {
  passesUnchanged(t, validateMessagesRequest, validMessagesRequests);
  passesUnchanged(t, validateCountTokensRequest, validCountTokensRequests);
});

t.test('interleaved thinking: a budget above max_tokens is the upstream\'s to judge, not refused here', async (t) => {
  passesUnchanged(t, validateMessagesRequest, [['budget 4000, max_tokens 2000', req({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 4000 } })]]);
});

t.test('MCP connector: an mcp_toolset tool names its server, not itself', async (t) => {
  const mcp = req({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'ex' }], tools: [{ type: 'mcp_toolset', mcp_server_name: 'ex' }] });
  passesUnchanged(t, validateMessagesRequest, [['mcp_toolset', mcp]]);
  passesUnchanged(t, validateCountTokensRequest, [['mcp_toolset', { model: 'claude-sonnet-4-5', messages: [user], tools: [{ type: 'mcp_toolset', mcp_server_name: 'ex' }] }]]);
});

t.test('tool_choice "tool" forces only a tool the request offers; "any" needs tools (Anthropic answers 400)', async (t) => {
  const f = { name: 'f', input_schema: { type: 'object' } };
  const webSearch = { type: 'web_search_20250305', name: 'web_search' };
  passesUnchanged(t, validateMessagesRequest, [
    ['"auto" without tools', req({ tool_choice: { type: 'auto' } })],
    ['"none" without tools', req({ tool_choice: { type: 'none' } })],
    ['a forced server tool', req({ tools: [f, webSearch], tool_choice: { type: 'tool', name: 'web_search' } })],
    ['MCP tools, named by their server', req({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'ex' }], tool_choice: { type: 'tool', name: 'echo' } })],
  ]);
  rejects(t, validateMessagesRequest, [
    ['an unknown tool', req({ tools: [f], tool_choice: { type: 'tool', name: 'nope' } }), 'tool_choice.name', /no tool named "nope" in "tools"/],
    ['a named tool without tools', req({ tool_choice: { type: 'tool', name: 'f' } }), 'tool_choice.name', /no tool named "f"/],
    ['"any" without tools', req({ tool_choice: { type: 'any' } }), 'tool_choice.type', /"any" is only allowed when "tools" are specified/],
    ['"any" with an empty tools array', req({ tools: [], tool_choice: { type: 'any' } }), 'tool_choice.type', /only allowed when "tools"/],
  ]);
  rejects(t, validateCountTokensRequest, [['count_tokens, an unknown tool', { model: 'claude-sonnet-4-5', messages: [user], tools: [f], tool_choice: { type: 'tool', name: 'nope' } }, 'tool_choice.name', /"nope"/]]);
});

t.test('messages: bad input', async (t) => {
  const cases: BadCase[] = [
    ['body is an array', [req({})], '', /must be a JSON object, got an array/],
    ['body is a number', 42, '', /got the number 42/],
    ['model missing', { max_tokens: 1, messages: [user] }, 'model', /required field is missing/],
    ['model null', req({ model: null }), 'model', /got null/],
    ['max_tokens missing', { model: 'm', messages: [user] }, 'max_tokens', /required field is missing \(expected a positive integer\)/],
    ['max_tokens zero', req({ max_tokens: 0 }), 'max_tokens', /at least 1, got 0/],
    ['max_tokens negative', req({ max_tokens: -5 }), 'max_tokens', /at least 1/],
    ['max_tokens fractional', req({ max_tokens: 10.5 }), 'max_tokens', /expected an integer, got the number 10.5/],
    ['max_tokens a string', req({ max_tokens: '1024' }), 'max_tokens', /got the string "1024"/],
    ['max_tokens null', req({ max_tokens: null }), 'max_tokens', /got null/],
    ['max_tokens huge', req({ max_tokens: 1e20 }), 'max_tokens', /too large/],
    ['messages missing', { model: 'm', max_tokens: 1 }, 'messages', /required/],
    ['messages empty', req({ messages: [] }), 'messages', /at least one message is required/],
    ['messages an object', req({ messages: user }), 'messages', /got an object/],
    ['message a string', withMessage('hello'), 'messages.2', /a message object, got the string "hello"/],
    ['role missing', withMessage({ content: 'x' }), 'messages.2.role', /required/],
    ['role system', withMessage({ role: 'system', content: 'x' }), 'messages.2.role', /top-level "system" parameter/],
    ['role tool', withMessage({ role: 'tool', content: 'x' }), 'messages.2.role', /"user" or "assistant", got the string "tool"/],
    ['role __proto__', withMessage({ role: '__proto__', content: 'x' }), 'messages.2.role', /got the string "__proto__"/],
    ['content missing', withMessage({ role: 'user' }), 'messages.2.content', /required/],
    ['content a number', withMessage({ role: 'user', content: 1 }), 'messages.2.content', /a string or an array of content blocks, got the number 1/],
    ['content null', withMessage({ role: 'user', content: null }), 'messages.2.content', /got null/],
    ['content an object', withMessage({ role: 'user', content: { type: 'text', text: 'x' } }), 'messages.2.content', /got an object/],
    ['block null', withBlock(null), 'messages.2.content.1', /content block object, got null/],
    ['block without type', withBlock({ text: 'x' }), 'messages.2.content.1.type', /required/],
    ['text block without text', withBlock({ type: 'text' }), 'messages.2.content.1.text', /required/],
    ['text block text a number', withBlock({ type: 'text', text: 1 }), 'messages.2.content.1.text', /expected a string/],
    ['cache_control a string', withBlock({ type: 'text', text: 'x', cache_control: 'ephemeral' }), 'messages.2.content.1.cache_control', /expected an object/],
    ['image without source', withBlock({ type: 'image' }), 'messages.2.content.1.source', /required/],
    ['image source a string', withBlock({ type: 'image', source: 'https://x' }), 'messages.2.content.1.source', /expected an object/],
    ['image source type unknown', withBlock({ type: 'image', source: { type: 'path', path: '/x' } }), 'messages.2.content.1.source.type', /"base64", "url" or "file"/],
    ['image base64 without data', withBlock({ type: 'image', source: { type: 'base64', media_type: 'image/png' } }), 'messages.2.content.1.source.data', /required/],
    ['image base64 without media_type', withBlock({ type: 'image', source: { type: 'base64', data: 'AAAA' } }), 'messages.2.content.1.source.media_type', /required/],
    ['image url without url', withBlock({ type: 'image', source: { type: 'url' } }), 'messages.2.content.1.source.url', /required/],
    ['document content source of a number', withBlock({ type: 'document', source: { type: 'content', content: 3 } }), 'messages.2.content.1.source.content', /a string or an array/],
    ['document title a number', withBlock({ type: 'document', source: { type: 'url', url: 'u' }, title: 1 }), 'messages.2.content.1.title', /expected a string/],
    ['tool_use without id', withMessage({ role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }), 'messages.2.content.0.id', /required/],
    ['tool_use without input', withMessage({ role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f' }] }), 'messages.2.content.0.input', /required/],
    ['tool_use input a string', withMessage({ role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: '{}' }] }), 'messages.2.content.0.input', /expected an object, got the string/],
    ['tool_use input an array', withMessage({ role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: [] }] }), 'messages.2.content.0.input', /got an array/],
    ['tool_result without id', withBlock({ type: 'tool_result', content: 'x' }), 'messages.2.content.1.tool_use_id', /required/],
    ['tool_result content a number', withBlock({ type: 'tool_result', tool_use_id: 'a', content: 5 }), 'messages.2.content.1.content', /a string or an array of content blocks/],
    ['tool_result inner block bad', withBlock({ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 1 }] }), 'messages.2.content.1.content.0.text', /expected a string/],
    ['tool_result inner block not an object', withBlock({ type: 'tool_result', tool_use_id: 'a', content: ['text'] }), 'messages.2.content.1.content.0', /content block object/],
    ['tool_result is_error a string', withBlock({ type: 'tool_result', tool_use_id: 'a', is_error: 'true' }), 'messages.2.content.1.is_error', /boolean/],
    ['thinking without signature', withMessage({ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }), 'messages.2.content.0.signature', /required/],
    ['system a number', req({ system: 1 }), 'system', /a string or an array of text blocks/],
    ['system image block', req({ system: [{ type: 'image', source: { type: 'url', url: 'u' } }] }), 'system.0.type', /expected "text"/],
    ['system block without text', req({ system: [{ type: 'text' }] }), 'system.0.text', /required/],
    ['temperature above 1 (Anthropic range)', req({ temperature: 1.5 }), 'temperature', /between 0 and 1, got 1.5/],
    ['top_p negative', req({ top_p: -1 }), 'top_p', /between 0 and 1/],
    ['top_k negative', req({ top_k: -1 }), 'top_k', /at least 0/],
    ['top_k fractional', req({ top_k: 2.5 }), 'top_k', /integer/],
    ['stream a number', req({ stream: 1 }), 'stream', /boolean/],
    ['stop_sequences a string', req({ stop_sequences: 'END' }), 'stop_sequences', /an array of strings, got the string "END"/],
    ['stop_sequences item a number', req({ stop_sequences: ['a', 2] }), 'stop_sequences.1', /expected a string/],
    ['metadata an array', req({ metadata: [] }), 'metadata', /expected an object/],
    ['metadata.user_id a number', req({ metadata: { user_id: 5 } }), 'metadata.user_id', /expected a string/],
    ['tools an object', req({ tools: {} }), 'tools', /an array of tools/],
    ['tool without name', req({ tools: [{ input_schema: { type: 'object' } }] }), 'tools.0.name', /required/],
    ['tool without input_schema', req({ tools: [{ name: 'f' }] }), 'tools.0.input_schema', /required/],
    ['tool input_schema a string', req({ tools: [{ name: 'f', input_schema: '{}' }] }), 'tools.0.input_schema', /JSON schema object/],
    ['tool input_schema not an object schema', req({ tools: [{ name: 'f', input_schema: { type: 'string' } }] }), 'tools.0.input_schema.type', /expected "object"/],
    ['OpenAI-style tool', req({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools.0.name', /required/],
    ['server tool type a number', req({ tools: [{ type: 5, name: 'x' }] }), 'tools.0.type', /expected a string/],
    ['tool_choice a string', req({ tool_choice: 'auto' }), 'tool_choice', /expected an object, got the string "auto"/],
    ['tool_choice type unknown', req({ tool_choice: { type: 'required' } }), 'tool_choice.type', /"auto", "any", "tool" or "none"/],
    ['tool_choice tool without name', req({ tool_choice: { type: 'tool' } }), 'tool_choice.name', /required/],
    ['disable_parallel_tool_use a string', req({ tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } }), 'tool_choice.disable_parallel_tool_use', /boolean/],
    ['thinking a boolean', req({ thinking: true }), 'thinking', /expected an object/],
    ['thinking without type', req({ thinking: {} }), 'thinking.type', /required/],
    ['thinking without budget', req({ thinking: { type: 'enabled' } }), 'thinking.budget_tokens', /required/],
    ['thinking budget too small', req({ thinking: { type: 'enabled', budget_tokens: 100 } }), 'thinking.budget_tokens', /at least 1024/],
  ];
  rejects(t, validateMessagesRequest, cases);
});

t.test('count_tokens: bad input', async (t) => {
  const base = (extra: Record<string, unknown>) => ({ model: 'claude-sonnet-4-20250514', messages: [user], ...extra });
  const cases: BadCase[] = [
    ['model missing', { messages: [user] }, 'model', /required/],
    ['messages missing', { model: 'm' }, 'messages', /required/],
    ['messages empty', base({ messages: [] }), 'messages', /at least one message/],
    ['role system', base({ messages: [{ role: 'system', content: 'x' }] }), 'messages.0.role', /top-level "system"/],
    ['system a number', base({ system: 5 }), 'system', /string or an array/],
    ['tool without schema', base({ tools: [{ name: 'f' }] }), 'tools.0.input_schema', /required/],
    ['tool_choice bad', base({ tool_choice: { type: 'sometimes' } }), 'tool_choice.type', /"auto", "any", "tool" or "none"/],
    ['thinking budget too small', base({ thinking: { type: 'enabled', budget_tokens: 1 } }), 'thinking.budget_tokens', /at least 1024/],
  ];
  rejects(t, validateCountTokensRequest, cases);
  t.notOk(validateCountTokensRequest(base({ max_tokens: 'anything' })) instanceof Error, 'max_tokens is not a count_tokens field: passed through unchecked');
});
