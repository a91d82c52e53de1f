/**
 * Fake OpenAI API: /v1/chat/completions, /v1/completions, /v1/embeddings, GET /v1/models, with the
 * exact bodies, SSE chunks (`data: {...}\n\n` ... `data: [DONE]\n\n`), headers and error shapes of
 * api.openai.com. Paths are matched by suffix, so Azure-style `/openai/deployments/{d}/...` works too.
 */
import type { IncomingMessage } from 'node:http';
import { embeddingOf, estimateTokens, pieces, randomId, startFake, type ErrorAnswer, type Exchange, type Protocol } from './server.js';
import { DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, type FakeOptions, type FakeUpstream } from './types.js';

type Json = Record<string, unknown>;

export function openaiError(message: string, type: string, code: string | null, param: string | null = null): Json {
  return { error: { message, type, param, code } };
}

const STATUS_ERRORS: Record<number, Json> = {
  400: openaiError('Invalid request.', 'invalid_request_error', null),
  401: openaiError('Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', 'invalid_api_key'),
  403: openaiError('Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory'),
  404: openaiError('The model `gpt-fake` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found'),
  429: openaiError('Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.', 'requests', 'rate_limit_exceeded'),
  500: openaiError('The server had an error while processing your request. Sorry about that!', 'server_error', null),
  503: openaiError('The engine is currently overloaded, please try again later.', 'server_error', null),
};

const BAD_JSON = openaiError(
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
  'invalid_request_error',
  null,
);

function usageOf(u: { prompt: number; completion: number; cached: number }): Json {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** What the fake writes as a custom tool's input. */
export const CUSTOM_TOOL_INPUT = '*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch';

const frame = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\n\n`;
const DONE = 'data: [DONE]\n\n';

const SAFE = { filtered: false, severity: 'safe' };
/** The chunk Azure OpenAI opens every stream (chat and legacy completions) with, byte for byte. */
export const AZURE_PROMPT_FILTER_CHUNK = {
  choices: [],
  created: 0,
  id: '',
  model: '',
  object: '',
  prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE } }],
};

export function startFakeOpenai(opts: FakeOptions = {}): Promise<FakeUpstream> {
  const text = opts.text ?? 'Hello from the fake OpenAI upstream.';
  const usage = opts.usage ?? DEFAULT_USAGE;
  const toolArguments = JSON.stringify(opts.toolArguments ?? DEFAULT_TOOL_ARGUMENTS);

  const protocol: Protocol = {
    basePath: '/v1',
    keyOf: (req: IncomingMessage) => {
      const auth = req.headers.authorization;
      if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
      const azure = req.headers['api-key'];
      return typeof azure === 'string' ? azure : undefined;
    },
    authError: (key): ErrorAnswer =>
      key === undefined
        ? { status: 401, body: openaiError("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", 'invalid_request_error', null) }
        : { status: 401, body: openaiError(`Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key') },
    errorBody: (status) => STATUS_ERRORS[status] ?? openaiError(`Fake upstream error ${status}.`, status >= 500 ? 'server_error' : 'invalid_request_error', null),
    commonHeaders: () => ({
      'x-request-id': `req_${randomId(32).toLowerCase()}`,
      'openai-version': '2020-10-01',
      'openai-organization': 'user-fake',
      'openai-processing-ms': '42',
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-limit-tokens': '30000000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-remaining-tokens': '29999975',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-reset-tokens': '0s',
    }),
    handle: async (ex) => {
      const route = `${ex.method} ${ex.pathname}`;
      if (ex.method === 'GET' && ex.pathname.endsWith('/models')) return models(ex);
      if (ex.method === 'POST' && ex.pathname.endsWith('/chat/completions')) return chat(ex);
      if (ex.method === 'POST' && ex.pathname.endsWith('/completions')) return completions(ex);
      if (ex.method === 'POST' && ex.pathname.endsWith('/embeddings')) return embeddings(ex);
      return ex.json(404, openaiError(`Invalid URL (${route})`, 'invalid_request_error', null));
    },
  };

  /** Common request checks; returns the body when the request may proceed. */
  async function checked(ex: Exchange): Promise<Json | undefined> {
    if (ex.badJson || typeof ex.body !== 'object' || ex.body === null || Array.isArray(ex.body)) {
      await ex.json(400, BAD_JSON);
      return undefined;
    }
    const body = ex.body as Json;
    if (typeof body.model !== 'string' || body.model === '') {
      await ex.json(400, openaiError('you must provide a model parameter', 'invalid_request_error', null));
      return undefined;
    }
    if (opts.knownModels && !opts.knownModels.includes(body.model)) {
      await ex.json(404, openaiError(`The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
      return undefined;
    }
    return body;
  }

  async function chat(ex: Exchange): Promise<void> {
    const body = await checked(ex);
    if (!body) return;
    const problem = chatProblem(body);
    if (problem) return ex.json(400, openaiError(problem.message, 'invalid_request_error', null, problem.param));
    const id = `chatcmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model as string;
    const tools = Array.isArray(body.tools) ? (body.tools as Array<{ type?: string; function?: { name?: string }; custom?: { name?: string } }>) : [];
    // A custom tool (GPT-5) is called with free-form input instead of JSON arguments.
    const customTool = tools[0]?.type === 'custom';
    const toolName = (customTool ? tools[0]?.custom?.name : tools[0]?.function?.name) ?? 'get_weather';
    const callId = `call_${randomId(24)}`;
    const wantsTool = ex.behaviour.kind === 'tool-call';
    const reasoning = ex.behaviour.kind === 'reasoning' ? ex.behaviour.text : undefined;

    if (body.stream !== true) {
      const message: Json = wantsTool
        ? { role: 'assistant', content: null, tool_calls: [customTool ? { id: callId, type: 'custom', custom: { name: toolName, input: CUSTOM_TOOL_INPUT } } : { id: callId, type: 'function', function: { name: toolName, arguments: toolArguments } }], refusal: null, annotations: [] }
        : { role: 'assistant', content: text, refusal: null, annotations: [], ...(reasoning === undefined ? {} : { reasoning_content: reasoning }) };
      return ex.json(200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
        usage: usageOf(usage),
        service_tier: 'default',
        system_fingerprint: 'fp_fake0001',
      });
    }

    const includeUsage = opts.streamUsage !== false && (body.stream_options as Json | undefined)?.include_usage === true;
    const chunk = (choices: unknown[]): Json => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake0001',
      choices,
      ...(includeUsage ? { usage: null } : {}),
    });
    const choice = (delta: Json, finish: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
    const frames: string[] = opts.azurePromptFilter ? [frame(AZURE_PROMPT_FILTER_CHUNK)] : [];
    if (wantsTool && customTool) {
      frames.push(frame(chunk([choice({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'custom', custom: { name: toolName, input: '' } }], refusal: null })])));
      for (const part of splitInto(CUSTOM_TOOL_INPUT, 3)) frames.push(frame(chunk([choice({ tool_calls: [{ index: 0, custom: { input: part } }] })])));
      frames.push(frame(chunk([choice({}, 'tool_calls')])));
    } else if (wantsTool) {
      frames.push(frame(chunk([choice({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: toolName, arguments: '' } }], refusal: null })])));
      for (const part of splitInto(toolArguments, 3)) frames.push(frame(chunk([choice({ tool_calls: [{ index: 0, function: { arguments: part } }] })])));
      frames.push(frame(chunk([choice({}, 'tool_calls')])));
    } else {
      frames.push(frame(chunk([choice({ role: 'assistant', content: '', refusal: null })])));
      for (const part of reasoning === undefined ? [] : pieces(reasoning)) frames.push(frame(chunk([choice({ reasoning_content: part })])));
      for (const part of pieces(text)) frames.push(frame(chunk([choice({ content: part })])));
      frames.push(frame(chunk([choice({}, 'stop')])));
    }
    if (includeUsage) frames.push(frame({ ...chunk([]), usage: usageOf(usage) }));
    frames.push(DONE);
    return ex.sse(frames);
  }

  async function completions(ex: Exchange): Promise<void> {
    const body = await checked(ex);
    if (!body) return;
    if (body.prompt === undefined) return ex.json(400, openaiError("Missing required parameter: 'prompt'.", 'invalid_request_error', 'missing_required_parameter', 'prompt'));
    const id = `cmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model as string;
    const plainUsage = { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion };
    if (body.stream !== true) {
      return ex.json(200, { id, object: 'text_completion', created, model, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage: plainUsage });
    }
    const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
    const chunk = (choices: unknown[]) => ({ id, object: 'text_completion', created, choices, model, ...(includeUsage ? { usage: null } : {}) });
    const frames = pieces(text).map((part) => frame(chunk([{ text: part, index: 0, logprobs: null, finish_reason: null }])));
    if (opts.azurePromptFilter) frames.unshift(frame(AZURE_PROMPT_FILTER_CHUNK));
    frames.push(frame(chunk([{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }])));
    if (includeUsage) frames.push(frame({ ...chunk([]), usage: plainUsage }));
    frames.push(DONE);
    return ex.sse(frames);
  }

  async function embeddings(ex: Exchange): Promise<void> {
    const body = await checked(ex);
    if (!body) return;
    const input = body.input;
    const inputs: unknown[] = Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number' ? input : [input];
    if (input === undefined || input === '' || (Array.isArray(input) && input.length === 0)) {
      return ex.json(400, openaiError("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'invalid_request_error', null));
    }
    const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
    const base64 = body.encoding_format === 'base64';
    const data = inputs.map((item, index) => {
      const vector = embeddingOf(JSON.stringify(item), dims);
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce<number>((sum, item) => sum + estimateTokens(item), 0);
    return ex.json(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  async function models(ex: Exchange): Promise<void> {
    const ids = opts.knownModels ?? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
    return ex.json(200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' })) });
  }

  return startFake(protocol, opts.requireKey);
}

/** What api.openai.com rejects that a translation bug could produce. */
function chatProblem(body: Json): { message: string; param: string } | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return { message: "[] is too short - 'messages'", param: 'messages' };
  const open = new Set<string>();
  for (const [i, raw] of messages.entries()) {
    const m = raw as Json;
    if (!['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(m.role as string)) {
      return { message: `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, param: `messages[${i}].role` };
    }
    if (m.role === 'assistant') {
      open.clear();
      for (const call of (m.tool_calls as Array<{ id: string }> | undefined) ?? []) open.add(call.id);
    } else if (m.role === 'tool') {
      if (!open.has(m.tool_call_id as string)) {
        return { message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", param: `messages.[${i}].role` };
      }
    } else {
      open.clear();
    }
  }
  return undefined;
}

function splitInto(text: string, parts: number): string[] {
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
