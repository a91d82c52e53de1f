/**
 * What each fake upstream must have received for the canonical requests, whichever client protocol
 * sent them: the translated (or passed-through) text request, tool definitions and tool_choice, and
 * the follow-up carrying the tool call and its result. Also: the provider key went upstream, the
 * gateway key did not.
 */
import type { RecordedRequest } from '../fakes/index.js';
import { SYSTEM_PROMPT, USER_TEXT, WEATHER_PARAMETERS, WEATHER_QUESTION } from '../fakes/fixtures.js';
import { contentText, GW_KEY, UPSTREAM_KEYS, UPSTREAM_MODELS, type FakeKind, type Json } from './setup.js';

/** The tap assertions these helpers use (tap's Test satisfies it). */
type Msg = [] | [string];
export interface Asserts {
  equal(found: unknown, wanted: unknown, ...msg: Msg): boolean;
  same(found: unknown, wanted: unknown, ...msg: Msg): boolean;
  match(found: unknown, pattern: unknown, ...msg: Msg): boolean;
  ok(value: unknown, ...msg: Msg): boolean;
  notOk(value: unknown, ...msg: Msg): boolean;
  fail(...msg: Msg): boolean;
}

export function expectCredentials(t: Asserts, kind: FakeKind, seen: RecordedRequest): void {
  t.equal(seen.key, UPSTREAM_KEYS[kind], `${kind}: the configured provider key went upstream`);
  t.notOk(JSON.stringify(seen.headers).includes(GW_KEY), `${kind}: the gateway key never travels upstream`);
  if (kind === 'anthropic') t.ok(seen.headers['anthropic-version'], 'anthropic-version sent');
}

export function expectPath(t: Asserts, kind: FakeKind, seen: RecordedRequest, stream: boolean): void {
  const wanted = {
    openai: '/v1/chat/completions',
    anthropic: '/v1/messages',
    gemini: `/v1beta/models/${UPSTREAM_MODELS.gemini}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  }[kind];
  t.equal(seen.path, wanted, `${kind}: upstream path`);
}

/** The canonical text request (system prompt, "Say hello.", max_tokens 64, temperature 0.2). */
export function expectTextRequest(t: Asserts, kind: FakeKind, seen: RecordedRequest, stream: boolean): void {
  expectCredentials(t, kind, seen);
  expectPath(t, kind, seen, stream);
  const body = seen.body as Json;
  if (kind === 'openai') {
    t.equal(body.model, UPSTREAM_MODELS.openai, 'upstream model substituted');
    const messages = body.messages as Json[];
    t.same(messages.map((m) => m.role === 'developer' ? 'system' : m.role), ['system', 'user'], 'roles');
    t.equal(contentText(messages[0]?.content), SYSTEM_PROMPT, 'system prompt');
    t.equal(contentText(messages[1]?.content), USER_TEXT, 'user text');
    t.equal(body.max_tokens ?? body.max_completion_tokens, 64, 'max tokens');
    t.equal(body.temperature, 0.2, 'temperature');
    if (stream) {
      t.equal(body.stream, true, 'streamed upstream');
      t.equal(body.stream_options?.include_usage, true, 'usage always requested upstream');
    } else {
      t.notOk(body.stream, 'not streamed upstream');
    }
  } else if (kind === 'anthropic') {
    t.equal(body.model, UPSTREAM_MODELS.anthropic, 'upstream model substituted');
    t.equal(contentText(body.system), SYSTEM_PROMPT, 'system prompt at top level');
    const messages = body.messages as Json[];
    t.same(messages.map((m) => m.role), ['user'], 'roles (no system message)');
    t.equal(contentText(messages[0]?.content), USER_TEXT, 'user text');
    t.equal(body.max_tokens, 64, 'max_tokens');
    t.equal(body.temperature, 0.2, 'temperature');
    t.equal(body.stream === true, stream, 'stream flag');
  } else {
    t.equal(contentText((body.systemInstruction?.parts as Json[] | undefined)?.map((p) => ({ type: 'text', text: p.text }))), SYSTEM_PROMPT, 'systemInstruction');
    t.same(body.contents, [{ role: 'user', parts: [{ text: USER_TEXT }] }], 'contents');
    t.equal(body.generationConfig?.maxOutputTokens, 64, 'maxOutputTokens');
    t.equal(body.generationConfig?.temperature, 0.2, 'temperature');
  }
}

/** The canonical tools request with a "must call a tool" choice (OpenAI `required` = Anthropic `any` = Gemini ANY). */
export function expectToolsRequest(t: Asserts, kind: FakeKind, seen: RecordedRequest): void {
  expectCredentials(t, kind, seen);
  const body = seen.body as Json;
  if (kind === 'openai') {
    t.match(body.tools, [{ type: 'function', function: { name: 'get_weather' } }], 'tools');
    t.same(body.tools[0].function.parameters, WEATHER_PARAMETERS, 'parameters schema unchanged');
    t.equal(body.tool_choice, 'required', 'tool_choice required');
  } else if (kind === 'anthropic') {
    t.match(body.tools, [{ name: 'get_weather', description: 'Current weather for a city' }], 'tools');
    t.same(body.tools[0].input_schema, WEATHER_PARAMETERS, 'input_schema');
    t.match(body.tool_choice, { type: 'any' }, 'tool_choice any');
  } else {
    const declarations = (body.tools as Json[]).flatMap((tool) => (tool.functionDeclarations as Json[] | undefined) ?? []);
    t.match(declarations, [{ name: 'get_weather', description: 'Current weather for a city' }], 'functionDeclarations');
    t.ok(JSON.stringify(declarations[0]?.parameters ?? declarations[0]?.parametersJsonSchema).includes('city'), 'parameters carry the schema');
    t.equal(body.toolConfig?.functionCallingConfig?.mode, 'ANY', 'functionCallingConfig ANY');
  }
}

/** The follow-up: user question, the assistant's call (`callId`, `args`), and the tool result. */
export function expectToolResultRequest(t: Asserts, kind: FakeKind, seen: RecordedRequest, callId: string, args: Json): void {
  expectCredentials(t, kind, seen);
  const body = seen.body as Json;
  if (kind === 'openai') {
    const messages = body.messages as Json[];
    t.same(messages.map((m) => m.role), ['user', 'assistant', 'tool'], 'roles');
    t.equal(contentText(messages[0]?.content), WEATHER_QUESTION);
    const call = (messages[1]?.tool_calls as Json[] | undefined)?.[0];
    t.match(call, { id: callId, type: 'function', function: { name: 'get_weather' } }, 'assistant tool call');
    t.same(JSON.parse(call?.function?.arguments ?? 'null'), args, 'call arguments');
    t.equal(messages[2]?.tool_call_id, callId, 'tool message answers the call');
    t.ok(contentText(messages[2]?.content).includes('cloudy'), 'tool result content');
  } else if (kind === 'anthropic') {
    const messages = body.messages as Json[];
    t.same(messages.map((m) => m.role), ['user', 'assistant', 'user'], 'roles');
    const use = (messages[1]?.content as Json[]).find((b) => b.type === 'tool_use');
    t.match(use, { id: callId, name: 'get_weather' }, 'tool_use block');
    t.same(use?.input, args, 'tool_use input');
    const result = (messages[2]?.content as Json[]).find((b) => b.type === 'tool_result');
    t.equal(result?.tool_use_id, callId, 'tool_result answers the call');
    t.ok(contentText(result?.content).includes('cloudy'), 'tool result content');
  } else {
    const contents = body.contents as Json[];
    t.same(contents.map((c) => c.role), ['user', 'model', 'user'], 'roles');
    const call = (contents[1]?.parts as Json[]).find((p) => p.functionCall)?.functionCall as Json | undefined;
    t.equal(call?.name, 'get_weather', 'functionCall name');
    t.same(call?.args, args, 'functionCall args');
    const response = (contents[2]?.parts as Json[]).find((p) => p.functionResponse)?.functionResponse as Json | undefined;
    t.equal(response?.name, 'get_weather', 'functionResponse names the function');
    t.ok(JSON.stringify(response?.response).includes('cloudy'), 'functionResponse carries the result');
  }
}
