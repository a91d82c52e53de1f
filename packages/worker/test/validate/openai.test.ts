import t from 'tap';
import { validateChatRequest, validateCompletionRequest, validateEmbeddingRequest } from '../../src/validate/index.js';
import { validChatRequests, validCompletionRequests, validEmbeddingRequests } from './fixtures/openai-payloads.js';
import { passesUnchanged, rejects, type BadCase } from './fixtures/assert.js';

const user = { role: 'user', content: 'hi' };
const chat = (extra: Record<string, unknown>) => ({ model: 'gpt-4o', messages: [user], ...extra });
const withMessage = (message: unknown) => ({ model: 'gpt-4o', messages: [user, user, message] });
const withPart = (part: unknown) => withMessage({ role: 'user', content: [{ type: 'text', text: 'x' }, part] });

t.test('valid SDK payloads pass unchanged', async (t) => {
  passesUnchanged(t, validateChatRequest, validChatRequests);
  passesUnchanged(t, validateCompletionRequest, validCompletionRequests);
  passesUnchanged(t, validateEmbeddingRequest, validEmbeddingRequests);
});

t.test('custom tools, custom tool calls, allowed_tools and a forced custom tool (GPT-5) pass unchanged', async (t) => {
  const patch = { type: 'custom', custom: { name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar', grammar: { definition: 'start: "x"', syntax: 'lark' } } } };
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };
  passesUnchanged(t, validateChatRequest, [
    ['custom tool, text format', chat({ tools: [{ type: 'custom', custom: { name: 'notes', format: { type: 'text' } } }] })],
    ['custom tool with a grammar, forced', chat({ tools: [patch], tool_choice: { type: 'custom', custom: { name: 'apply_patch' } } })],
    ['allowed_tools', chat({ tools: [patch, weather], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }, { type: 'custom', custom: { name: 'apply_patch' } }] } } })],
    ['a custom call in the history', { model: 'gpt-5', tools: [patch], messages: [user, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'done' }] }],
  ]);
});

t.test('tool_choice forces only a tool the request offers; anything but "none" needs tools (OpenAI answers 400)', async (t) => {
  const f = { type: 'function', function: { name: 'f' } };
  const patch = { type: 'custom', custom: { name: 'apply_patch' } };
  const named = (type: string, name: string) => ({ type, [type]: { name } });
  const allowed = (...tools: unknown[]) => ({ type: 'allowed_tools', allowed_tools: { mode: 'auto', tools } });
  passesUnchanged(t, validateChatRequest, [
    ['"none" without tools', chat({ tool_choice: 'none' })],
    ['"auto" without tools (OpenAI-compatible servers take it)', chat({ tool_choice: 'auto' })],
    ['a forced function', chat({ tools: [f, patch], tool_choice: named('function', 'f') })],
    ['allowed_tools of both kinds', chat({ tools: [f, patch], tool_choice: allowed(named('function', 'f'), named('custom', 'apply_patch')) })],
    ['a deprecated function forced with tool_choice', chat({ functions: [{ name: 'lookup' }], tool_choice: named('function', 'lookup') })],
    ['"auto" with deprecated functions only', chat({ functions: [{ name: 'lookup' }], tool_choice: 'auto' })],
  ]);
  rejects(t, validateChatRequest, [
    ['an unknown function', chat({ tools: [f], tool_choice: named('function', 'nope') }), 'tool_choice.function.name', /no function tool named "nope" in "tools"/],
    ['a custom tool forced as a function', chat({ tools: [patch], tool_choice: named('function', 'apply_patch') }), 'tool_choice.function.name', /no function tool named "apply_patch"/],
    ['a function forced as a custom tool', chat({ tools: [f], tool_choice: named('custom', 'f') }), 'tool_choice.custom.name', /no custom tool named "f"/],
    ['a named function without tools', chat({ tool_choice: named('function', 'f') }), 'tool_choice.function.name', /no function tool named "f"/],
    ['allowed_tools naming an unknown tool', chat({ tools: [f, patch], tool_choice: allowed(named('function', 'f'), named('function', 'nope')) }), 'tool_choice.allowed_tools.tools[1].function.name', /"nope"/],
    ['allowed_tools without tools', chat({ tool_choice: allowed() }), 'tool_choice', /"allowed_tools" is only allowed when "tools" are specified/],
    ['"required" without tools', chat({ tool_choice: 'required' }), 'tool_choice', /"required" is only allowed when "tools" are specified/],
    ['"required" with an empty tools array', chat({ tools: [], tool_choice: 'required' }), 'tool_choice', /only allowed when "tools"/],
    ['function_call naming an unknown function', chat({ functions: [{ name: 'lookup' }], function_call: { name: 'nope' } }), 'function_call.name', /no function named "nope"/],
  ]);
});

t.test('seed is an int64: integers beyond 2^53 are taken, up to 2^63', async (t) => {
  passesUnchanged(t, validateChatRequest, [['seed 2^62', chat({ seed: 4611686018427387904 })], ['seed -2^63', chat({ seed: -9223372036854775808 })]]);
});

t.test('chat completions: bad input', async (t) => {
  const cases: BadCase[] = [
    ['body is an array', [], '', /must be a JSON object, got an array/],
    ['body is null', null, '', /got null/],
    ['body is a string', 'hello', '', /got the string "hello"/],
    ['model missing', { messages: [user] }, 'model', /required field is missing/],
    ['model empty', chat({ model: '' }), 'model', /non-empty string/],
    ['model a number', chat({ model: 4 }), 'model', /got the number 4/],
    ['model an object', chat({ model: { name: 'gpt' } }), 'model', /got an object/],
    ['messages missing', { model: 'm' }, 'messages', /required field is missing/],
    ['messages empty', chat({ messages: [] }), 'messages', /at least one message/],
    ['messages an object', chat({ messages: { role: 'user' } }), 'messages', /non-empty array of messages, got an object/],
    ['messages a string', chat({ messages: 'hi' }), 'messages', /got the string/],
    ['message null', withMessage(null), 'messages[2]', /a message object, got null/],
    ['message an array', withMessage([user]), 'messages[2]', /got an array/],
    ['role missing', withMessage({ content: 'x' }), 'messages[2].role', /required field is missing/],
    ['role unknown', withMessage({ role: 'bot', content: 'x' }), 'messages[2].role', /"system", "developer", "user", "assistant", "tool" or "function", got the string "bot"/],
    ['role __proto__', withMessage({ role: '__proto__', content: 'x' }), 'messages[2].role', /got the string "__proto__"/],
    ['role constructor', withMessage({ role: 'constructor', content: 'x' }), 'messages[2].role', /got the string "constructor"/],
    ['content a number', withMessage({ role: 'user', content: 5 }), 'messages[2].content', /expected a string or an array of content parts, got the number 5/],
    ['content missing', withMessage({ role: 'user' }), 'messages[2].content', /required field is missing/],
    ['content null (user)', withMessage({ role: 'user', content: null }), 'messages[2].content', /got null/],
    ['content an object', withMessage({ role: 'user', content: { type: 'text', text: 'x' } }), 'messages[2].content', /got an object/],
    ['content empty array', withMessage({ role: 'user', content: [] }), 'messages[2].content', /at least one content part/],
    ['part a string', withPart('hello'), 'messages[2].content[1]', /content part object/],
    ['part without type', withPart({ text: 'x' }), 'messages[2].content[1].type', /required field is missing/],
    ['part type a number', withPart({ type: 1 }), 'messages[2].content[1].type', /expected a string/],
    ['text part without text', withPart({ type: 'text' }), 'messages[2].content[1].text', /required/],
    ['text part text an array', withPart({ type: 'text', text: ['a'] }), 'messages[2].content[1].text', /got an array/],
    ['image_url a string', withPart({ type: 'image_url', image_url: 'https://x/y.png' }), 'messages[2].content[1].image_url', /an object with a "url", got the string/],
    ['image_url without url', withPart({ type: 'image_url', image_url: {} }), 'messages[2].content[1].image_url.url', /required/],
    ['image detail invalid', withPart({ type: 'image_url', image_url: { url: 'u', detail: 'max' } }), 'messages[2].content[1].image_url.detail', /"auto", "low" or "high"/],
    ['input_audio without data', withPart({ type: 'input_audio', input_audio: { format: 'wav' } }), 'messages[2].content[1].input_audio.data', /required/],
    ['file without data or id', withPart({ type: 'file', file: { filename: 'a.pdf' } }), 'messages[2].content[1].file', /"file_data" or "file_id"/],
    ['system with image part', withMessage({ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }), 'messages[2].content[0].type', /expected "text"/],
    ['system content null', withMessage({ role: 'system', content: null }), 'messages[2].content', /a string or an array of text parts, got null/],
    ['name not a string', withMessage({ role: 'user', content: 'x', name: 7 }), 'messages[2].name', /expected a string/],
    ['assistant content a number', withMessage({ role: 'assistant', content: 1 }), 'messages[2].content', /a string, an array of content parts or null/],
    ['assistant image part', withMessage({ role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'u' } }] }), 'messages[2].content[0].type', /"text" or "refusal"/],
    ['tool_calls an object', withMessage({ role: 'assistant', tool_calls: { id: 'a' } }), 'messages[2].tool_calls', /an array of tool calls/],
    ['tool call without id', withMessage({ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }), 'messages[2].tool_calls[0].id', /required/],
    ['tool call of an unknown type', withMessage({ role: 'assistant', tool_calls: [{ id: 'a', type: 'mcp', mcp: {} }] }), 'messages[2].tool_calls[0].type', /expected "function" or "custom"/],
    ['custom tool call without input', withMessage({ role: 'assistant', tool_calls: [{ id: 'a', type: 'custom', custom: { name: 'f' } }] }), 'messages[2].tool_calls[0].custom.input', /a string/],
    ['custom tool call without custom', withMessage({ role: 'assistant', tool_calls: [{ id: 'a', type: 'custom' }] }), 'messages[2].tool_calls[0].custom', /"name" and "input"/],
    ['tool call arguments an object', withMessage({ role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: { x: 1 } } }] }), 'messages[2].tool_calls[0].function.arguments', /JSON-encoded arguments/],
    ['tool call without function', withMessage({ role: 'assistant', tool_calls: [{ id: 'a', type: 'function' }] }), 'messages[2].tool_calls[0].function', /"name" and "arguments"/],
    ['tool message without tool_call_id', withMessage({ role: 'tool', content: 'x' }), 'messages[2].tool_call_id', /required/],
    ['tool message content a number', withMessage({ role: 'tool', content: 1, tool_call_id: 'a' }), 'messages[2].content', /text parts/],
    ['function message without name', withMessage({ role: 'function', content: 'x' }), 'messages[2].name', /required/],
    ['temperature above 2', chat({ temperature: 2.5 }), 'temperature', /between 0 and 2, got 2.5/],
    ['temperature negative', chat({ temperature: -0.1 }), 'temperature', /between 0 and 2/],
    ['temperature a string', chat({ temperature: '0.5' }), 'temperature', /expected a number, got the string "0.5"/],
    ['temperature huge', chat({ temperature: 1e308 }), 'temperature', /between 0 and 2/],
    ['top_p above 1', chat({ top_p: 1.5 }), 'top_p', /between 0 and 1/],
    ['n zero', chat({ n: 0 }), 'n', /between 1 and 128/],
    ['n fractional', chat({ n: 1.5 }), 'n', /expected an integer, got the number 1.5/],
    ['max_tokens zero', chat({ max_tokens: 0 }), 'max_tokens', /at least 1/],
    ['max_tokens huge', chat({ max_tokens: 1e300 }), 'max_tokens', /too large/],
    ['max_tokens a string', chat({ max_tokens: '100' }), 'max_tokens', /expected an integer, got the string "100"/],
    ['max_completion_tokens negative', chat({ max_completion_tokens: -1 }), 'max_completion_tokens', /at least 1/],
    ['presence_penalty out of range', chat({ presence_penalty: 3 }), 'presence_penalty', /between -2 and 2/],
    ['seed fractional', chat({ seed: 0.5 }), 'seed', /integer/],
    ['seed beyond int64', chat({ seed: 2 ** 64 }), 'seed', /too large: at most 2\^63/],
    ['max_tokens beyond 2^53', chat({ max_tokens: 1e20 }), 'max_tokens', /too large/],
    ['top_logprobs too large', chat({ top_logprobs: 21 }), 'top_logprobs', /between 0 and 20/],
    ['logprobs a string', chat({ logprobs: 'yes' }), 'logprobs', /expected a boolean/],
    ['logit_bias an array', chat({ logit_bias: [1] }), 'logit_bias', /expected an object, got an array/],
    ['logit_bias value out of range', chat({ logit_bias: { '42': 101 } }), 'logit_bias.42', /between -100 and 100/],
    ['logit_bias value null', chat({ logit_bias: { '42': null } }), 'logit_bias.42', /expected a number, got null/],
    ['stop a number', chat({ stop: 1 }), 'stop', /a string or an array of strings/],
    ['stop too many', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop', /at most 4 stop sequences, got 5/],
    ['stop item not a string', chat({ stop: ['a', null] }), 'stop[1]', /expected a string, got null/],
    ['stream a string', chat({ stream: 'true' }), 'stream', /expected a boolean, got the string "true"/],
    ['stream_options without stream', chat({ stream_options: { include_usage: true } }), 'stream_options', /only allowed when "stream" is true/],
    ['stream_options with stream false', chat({ stream: false, stream_options: { include_usage: true } }), 'stream_options', /only allowed/],
    ['stream_options an array', chat({ stream: true, stream_options: [] }), 'stream_options', /expected an object/],
    ['include_usage a string', chat({ stream: true, stream_options: { include_usage: 'yes' } }), 'stream_options.include_usage', /expected a boolean/],
    ['tools an object', chat({ tools: { type: 'function' } }), 'tools', /an array of tools/],
    ['tool a string', chat({ tools: ['get_weather'] }), 'tools[0]', /a tool object/],
    ['tool without type', chat({ tools: [{ function: { name: 'f' } }] }), 'tools[0].type', /required/],
    ['tool of another type', chat({ tools: [{ type: 'retrieval' }] }), 'tools[0].type', /expected "function" or "custom", got the string "retrieval"/],
    ['custom tool without custom', chat({ tools: [{ type: 'custom' }] }), 'tools[0].custom', /required/],
    ['custom tool without name', chat({ tools: [{ type: 'custom', custom: { description: 'x' } }] }), 'tools[0].custom.name', /required/],
    ['custom tool format of another type', chat({ tools: [{ type: 'custom', custom: { name: 'f', format: { type: 'json' } } }] }), 'tools[0].custom.format.type', /"text" or "grammar"/],
    ['custom tool grammar syntax unknown', chat({ tools: [{ type: 'custom', custom: { name: 'f', format: { type: 'grammar', grammar: { definition: 'x', syntax: 'ebnf' } } } }] }), 'tools[0].custom.format.grammar.syntax', /"lark" or "regex"/],
    ['custom tool grammar without definition', chat({ tools: [{ type: 'custom', custom: { name: 'f', format: { type: 'grammar', grammar: { syntax: 'lark' } } } }] }), 'tools[0].custom.format.grammar.definition', /required/],
    ['tool_choice custom without name', chat({ tool_choice: { type: 'custom', custom: {} } }), 'tool_choice.custom.name', /required/],
    ['allowed_tools mode unknown', chat({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'any', tools: [] } } }), 'tool_choice.allowed_tools.mode', /"auto" or "required"/],
    ['allowed_tools tools missing', chat({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto' } } }), 'tool_choice.allowed_tools.tools', /an array of tools/],
    ['allowed_tools entry without name', chat({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: {} }] } } }), 'tool_choice.allowed_tools.tools[0].function.name', /required/],
    ['tool without function', chat({ tools: [{ type: 'function' }] }), 'tools[0].function', /required/],
    ['tool without name', chat({ tools: [{ type: 'function', function: { description: 'x' } }] }), 'tools[0].function.name', /required/],
    ['tool name empty', chat({ tools: [{ type: 'function', function: { name: '' } }] }), 'tools[0].function.name', /non-empty string/],
    ['tool parameters an array', chat({ tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }), 'tools[0].function.parameters', /expected an object/],
    ['tool_choice unknown string', chat({ tool_choice: 'any' }), 'tool_choice', /"none", "auto" or "required"/],
    ['tool_choice a number', chat({ tool_choice: 1 }), 'tool_choice', /got the number 1/],
    ['tool_choice object without function', chat({ tool_choice: { type: 'function' } }), 'tool_choice.function', /"name"/],
    ['tool_choice object of another type', chat({ tool_choice: { type: 'tool', name: 'f' } }), 'tool_choice.type', /expected "function", "custom" or "allowed_tools"/],
    ['parallel_tool_calls a number', chat({ parallel_tool_calls: 1 }), 'parallel_tool_calls', /boolean/],
    ['response_format a string', chat({ response_format: 'json' }), 'response_format', /expected an object/],
    ['response_format without type', chat({ response_format: {} }), 'response_format.type', /required/],
    ['json_schema without name', chat({ response_format: { type: 'json_schema', json_schema: { schema: {} } } }), 'response_format.json_schema.name', /required/],
    ['json_schema missing', chat({ response_format: { type: 'json_schema' } }), 'response_format.json_schema', /required/],
    ['metadata value a number', chat({ metadata: { a: 1 } }), 'metadata.a', /expected a string/],
    ['user a number', chat({ user: 5 }), 'user', /expected a string/],
    ['functions an object', chat({ functions: {} }), 'functions', /an array of functions/],
    ['function_call unknown', chat({ function_call: 'always' }), 'function_call', /"none", "auto"/],
  ];
  rejects(t, validateChatRequest, cases);
});

t.test('legacy completions: bad input', async (t) => {
  const base = (extra: Record<string, unknown>) => ({ model: 'gpt-3.5-turbo-instruct', prompt: 'x', ...extra });
  const cases: BadCase[] = [
    ['prompt missing', { model: 'm' }, 'prompt', /required field is missing/],
    ['prompt a number', base({ prompt: 5 }), 'prompt', /a string, an array of strings, an array of token ids or an array of token id arrays, got the number 5/],
    ['prompt null', base({ prompt: null }), 'prompt', /got null/],
    ['prompt an object', base({ prompt: { text: 'x' } }), 'prompt', /got an object/],
    ['prompt empty array', base({ prompt: [] }), 'prompt', /at least one item/],
    ['prompt mixed strings and numbers', base({ prompt: ['a', 1] }), 'prompt[1]', /a string like the other items/],
    ['prompt negative token', base({ prompt: [1, -2] }), 'prompt[1]', /non-negative integer/],
    ['prompt fractional token', base({ prompt: [1.5] }), 'prompt[0]', /token id/],
    ['prompt nested mixed', base({ prompt: [[1], 'a'] }), 'prompt[1]', /an array of token ids/],
    ['prompt nested empty', base({ prompt: [[1], []] }), 'prompt[1]', /at least one token id/],
    ['prompt of booleans', base({ prompt: [true] }), 'prompt[0]', /got true/],
    ['max_tokens negative', base({ max_tokens: -1 }), 'max_tokens', /at least 0/],
    ['best_of below n', base({ n: 3, best_of: 2 }), 'best_of', /at least n \(3\)/],
    ['logprobs too large', base({ logprobs: 6 }), 'logprobs', /between 0 and 5/],
    ['logprobs a boolean', base({ logprobs: true }), 'logprobs', /expected an integer, got true/],
    ['echo a string', base({ echo: 'yes' }), 'echo', /boolean/],
    ['suffix a number', base({ suffix: 1 }), 'suffix', /string/],
    ['stop too many', base({ stop: ['1', '2', '3', '4', '5'] }), 'stop', /at most 4/],
    ['temperature out of range', base({ temperature: 3 }), 'temperature', /between 0 and 2/],
    ['stream_options without stream', base({ stream_options: { include_usage: true } }), 'stream_options', /only allowed/],
  ];
  rejects(t, validateCompletionRequest, cases);
});

t.test('embeddings: bad input', async (t) => {
  const base = (extra: Record<string, unknown>) => ({ model: 'text-embedding-3-small', input: 'x', ...extra });
  const cases: BadCase[] = [
    ['model missing', { input: 'x' }, 'model', /required/],
    ['input missing', { model: 'm' }, 'input', /required/],
    ['input empty string', base({ input: '' }), 'input', /non-empty string/],
    ['input empty array', base({ input: [] }), 'input', /at least one item/],
    ['input item empty', base({ input: ['a', ''] }), 'input[1]', /non-empty string/],
    ['input an object', base({ input: { text: 'x' } }), 'input', /got an object/],
    ['input array of objects', base({ input: [{ text: 'x' }] }), 'input[0]', /got an object/],
    ['input mixed', base({ input: [1, 'a'] }), 'input[1]', /token id/],
    ['encoding_format unknown', base({ encoding_format: 'int8' }), 'encoding_format', /"float" or "base64", got the string "int8"/],
    ['dimensions zero', base({ dimensions: 0 }), 'dimensions', /at least 1/],
    ['dimensions a string', base({ dimensions: '256' }), 'dimensions', /integer/],
    ['user an object', base({ user: {} }), 'user', /string/],
  ];
  rejects(t, validateEmbeddingRequest, cases);
});
