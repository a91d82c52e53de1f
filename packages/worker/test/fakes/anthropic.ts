/**
 * Fake Anthropic API: POST /v1/messages (plain and SSE with the strict event sequence),
 * /v1/messages/count_tokens, GET /v1/models; x-api-key auth, anthropic-version required, the
 * `{type:"error",error:{type,message}}` error shape and the API's own request checks (roles,
 * empty text blocks, tool_use / tool_result pairing) so translation bugs surface as 400s.
 */
import type { IncomingMessage } from 'node:http';
import { estimateTokens, pieces, randomId, startFake, type ErrorAnswer, type Exchange, type Protocol } from './server.js';
import { DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, type FakeOptions, type FakeUpstream } from './types.js';

type Json = Record<string, unknown>;

export function anthropicError(type: string, message: string): Json {
  return { type: 'error', error: { type, message }, request_id: `req_011C${randomId(20)}` };
}

const STATUS_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

const frame = (event: Json) => `event: ${event.type as string}\ndata: ${JSON.stringify(event)}\n\n`;

export function startFakeAnthropic(opts: FakeOptions = {}): Promise<FakeUpstream> {
  const text = opts.text ?? 'Hello from the fake Anthropic upstream.';
  const usage = opts.usage ?? DEFAULT_USAGE;
  const toolInput = opts.toolArguments ?? DEFAULT_TOOL_ARGUMENTS;
  const inputSide = { input_tokens: usage.prompt - usage.cached, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cached };

  const protocol: Protocol = {
    basePath: '',
    keyOf: (req: IncomingMessage) => {
      const key = req.headers['x-api-key'];
      if (typeof key === 'string') return key;
      const auth = req.headers.authorization;
      return typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    },
    authError: (key): ErrorAnswer => ({ status: 401, body: anthropicError('authentication_error', key === undefined ? 'x-api-key header is required' : 'invalid x-api-key') }),
    errorBody: (status) => {
      const [type, message] = STATUS_ERRORS[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `Fake upstream error ${status}.`];
      return anthropicError(type, message);
    },
    commonHeaders: () => {
      const reset = new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      return {
        'request-id': `req_011C${randomId(20)}`,
        'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
        'anthropic-ratelimit-requests-limit': '4000',
        'anthropic-ratelimit-requests-remaining': '3999',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-input-tokens-limit': '2000000',
        'anthropic-ratelimit-input-tokens-remaining': '2000000',
        'anthropic-ratelimit-input-tokens-reset': reset,
        'anthropic-ratelimit-output-tokens-limit': '400000',
        'anthropic-ratelimit-output-tokens-remaining': '400000',
        'anthropic-ratelimit-output-tokens-reset': reset,
        'anthropic-ratelimit-tokens-limit': '2400000',
        'anthropic-ratelimit-tokens-remaining': '2400000',
        'anthropic-ratelimit-tokens-reset': reset,
      };
    },
    handle: async (ex) => {
      if (ex.method === 'GET' && ex.pathname === '/v1/models') return models(ex);
      const known = ex.method === 'POST' && (ex.pathname === '/v1/messages' || ex.pathname === '/v1/messages/count_tokens');
      if (!known) return ex.json(404, anthropicError('not_found_error', 'Not Found'));
      if (!ex.req.headers['anthropic-version']) return ex.json(400, anthropicError('invalid_request_error', 'anthropic-version: header is required'));
      if (ex.badJson || typeof ex.body !== 'object' || ex.body === null || Array.isArray(ex.body)) {
        return ex.json(400, anthropicError('invalid_request_error', 'There was an error parsing the body of your request.'));
      }
      const body = ex.body as Json;
      const counting = ex.pathname.endsWith('/count_tokens');
      const problem = messagesProblem(body, counting);
      if (problem) return ex.json(400, anthropicError('invalid_request_error', problem));
      if (opts.knownModels && !opts.knownModels.includes(body.model as string)) return ex.json(404, anthropicError('not_found_error', `model: ${String(body.model)}`));
      if (counting) return ex.json(200, { input_tokens: estimateTokens({ system: body.system, messages: body.messages, tools: body.tools }) });
      return messages(ex, body);
    },
  };

  async function messages(ex: Exchange, body: Json): Promise<void> {
    const id = `msg_01${randomId(22)}`;
    const model = body.model as string;
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ name?: string }>) : [];
    const choice = body.tool_choice as { type?: string; name?: string } | undefined;
    // Claude calls the named tool, and with a forced choice (tool or any) writes no text before it.
    const toolName = (choice?.type === 'tool' ? choice.name : undefined) ?? tools[0]?.name ?? 'get_weather';
    const forced = choice?.type === 'tool' || choice?.type === 'any';
    const toolId = `toolu_01${randomId(22)}`;
    const wantsTool = ex.behaviour.kind === 'tool-call';
    const reasoning = ex.behaviour.kind === 'reasoning' ? ex.behaviour.text : undefined;
    const signature = 'EqQBCkYIBxgCKkBfakeSignature';
    const leadIn = "I'll look that up.";
    const stopReason = wantsTool ? 'tool_use' : 'end_turn';

    if (body.stream !== true) {
      const call = { type: 'tool_use', id: toolId, name: toolName, input: toolInput };
      const content: Json[] = wantsTool ? (forced ? [call] : [{ type: 'text', text: leadIn }, call]) : [{ type: 'text', text }];
      if (reasoning !== undefined) content.unshift({ type: 'thinking', thinking: reasoning, signature });
      return ex.json(200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...inputSide, output_tokens: usage.completion, service_tier: 'standard' },
      });
    }

    const frames: string[] = [
      frame({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...inputSide, output_tokens: 1, service_tier: 'standard' } } }),
    ];
    // With reasoning, a thinking block (deltas, then its signature) comes first and the rest shift by one.
    const first = reasoning === undefined ? 0 : 1;
    if (reasoning !== undefined) {
      frames.push(frame({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      for (const part of pieces(reasoning)) frames.push(frame({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: part } }));
      frames.push(frame({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature } }));
      frames.push(frame({ type: 'content_block_stop', index: 0 }));
    }
    const leadText = !(wantsTool && forced);
    if (leadText) {
      frames.push(frame({ type: 'content_block_start', index: first, content_block: { type: 'text', text: '' } }), frame({ type: 'ping' }));
      for (const part of pieces(wantsTool ? leadIn : text)) frames.push(frame({ type: 'content_block_delta', index: first, delta: { type: 'text_delta', text: part } }));
      frames.push(frame({ type: 'content_block_stop', index: first }));
    }
    if (wantsTool) {
      const json = JSON.stringify(toolInput);
      const index = leadText ? first + 1 : first;
      frames.push(frame({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId, name: toolName, input: {} } }));
      frames.push(frame({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } }));
      const third = Math.ceil(json.length / 3);
      for (let i = 0; i < json.length; i += third) frames.push(frame({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + third) } }));
      frames.push(frame({ type: 'content_block_stop', index }));
    }
    frames.push(frame({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { ...inputSide, output_tokens: usage.completion } }));
    frames.push(frame({ type: 'message_stop' }));
    return ex.sse(frames);
  }

  async function models(ex: Exchange): Promise<void> {
    const ids = opts.knownModels ?? ['claude-sonnet-4-20250514', 'claude-3-5-haiku-20241022'];
    const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-05-22T00:00:00Z' }));
    return ex.json(200, { data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null });
  }

  return startFake(protocol, opts.requireKey);
}

const BLOCK_TYPES = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_tool_result', 'search_result']);

/** What api.anthropic.com rejects that a translation bug could produce; messages as the API words them. */
function messagesProblem(body: Json, counting: boolean): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!counting && typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid list';
  if (body.stop_sequences !== undefined && !Array.isArray(body.stop_sequences)) return 'stop_sequences: Input should be a valid list';
  const list = body.messages as Json[];
  let pendingToolUses: string[] = [];
  for (const [i, m] of list.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks: Json[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? (m.content as Json[]) : [];
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
    const results: string[] = [];
    for (const [j, block] of blocks.entries()) {
      if (!BLOCK_TYPES.has(block.type as string)) return `messages.${i}.content.${j}.type: Input tag '${String(block.type)}' found using 'type' does not match any of the expected tags`;
      if (block.type === 'text' && (typeof block.text !== 'string' || block.text === '')) return 'messages: text content blocks must be non-empty';
      if (block.type === 'tool_result') {
        if (m.role !== 'user') return `messages.${i}.content.${j}: tool_result blocks are only allowed in user messages`;
        results.push(block.tool_use_id as string);
      }
      if (block.type === 'tool_use' && (typeof block.input !== 'object' || block.input === null || Array.isArray(block.input))) return `messages.${i}.content.${j}.tool_use.input: Input should be a valid dictionary`;
    }
    if (typeof m.content === 'string' && m.content === '' && i !== list.length - 1) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    const unexpected = results.filter((id) => !pendingToolUses.includes(id));
    if (unexpected.length > 0) return `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    const missing = pendingToolUses.filter((id) => !results.includes(id));
    if (missing.length > 0) return `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    pendingToolUses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => b.id as string) : [];
  }
  return undefined;
}
