/** Field-level mappings: reasons, usage, tool_choice, ids, schemas. */
import t from 'tap';
import type { ChatCompletionRequest } from '@gatewayd/shared';
import {
  acceptsTemperatureWithTopP,
  anthropicStopToOpenaiFinish,
  anthropicToolChoiceToOpenai,
  anthropicUsageToOpenai,
  openaiFinishToAnthropicStop,
  openaiToAnthropicRequest,
  openaiToolChoiceToAnthropic,
  openaiUsageToAnthropic,
  toAnthropicToolId,
} from '../../src/providers/anthropic/index.js';
import { GeminiToOpenaiStream, geminiFinishToOpenai, geminiToOpenaiResponse, geminiToolCallId, geminiUsageToOpenai, isEmptyObjectSchema, openaiToGeminiRequest, thoughtSignatureOf, toGeminiSchema } from '../../src/providers/gemini/index.js';

t.test('Anthropic stop_reason <-> OpenAI finish_reason', async (t) => {
  const toOpenai: Array<[Parameters<typeof anthropicStopToOpenaiFinish>[0], string]> = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ];
  for (const [from, to] of toOpenai) t.equal(anthropicStopToOpenaiFinish(from), to, `${from} -> ${to}`);
  const toAnthropic: Array<[Parameters<typeof openaiFinishToAnthropicStop>[0], string]> = [
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['content_filter', 'refusal'],
    [null, 'end_turn'],
  ];
  for (const [from, to] of toAnthropic) t.equal(openaiFinishToAnthropicStop(from), to, `${from} -> ${to}`);
});

t.test('usage: OpenAI prompt_tokens include cached tokens, Anthropic input_tokens exclude cache reads and writes', async (t) => {
  const openai = anthropicUsageToOpenai({ input_tokens: 100, cache_read_input_tokens: 900, cache_creation_input_tokens: 50, output_tokens: 20 });
  // As callers get it (the cache writes ride along under a symbol, for the cost: anthropic-cache-writes.test.ts).
  t.strictSame(JSON.parse(JSON.stringify(openai)), { prompt_tokens: 1050, completion_tokens: 20, total_tokens: 1070, prompt_tokens_details: { cached_tokens: 900 }, completion_tokens_details: { reasoning_tokens: 0 } });
  const back = openaiUsageToAnthropic(openai);
  t.strictSame(back, { input_tokens: 150, cache_creation_input_tokens: 0, cache_read_input_tokens: 900, output_tokens: 20 }, 'cache writes fold into uncached input');
  t.equal(back.input_tokens + (back.cache_read_input_tokens ?? 0) + (back.cache_creation_input_tokens ?? 0), openai.prompt_tokens, 'total input preserved');
  t.strictSame(openaiUsageToAnthropic(undefined), { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 });
  t.strictSame(openaiUsageToAnthropic({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: null }).input_tokens, 10);
});

t.test('tool_choice: any == required, tool == named function, none, parallel flag', async (t) => {
  t.strictSame(openaiToolChoiceToAnthropic('required', undefined), { type: 'any' });
  t.strictSame(openaiToolChoiceToAnthropic('auto', false), { type: 'auto', disable_parallel_tool_use: true });
  t.strictSame(openaiToolChoiceToAnthropic(undefined, false), { type: 'auto', disable_parallel_tool_use: true });
  t.equal(openaiToolChoiceToAnthropic(undefined, true), undefined);
  t.strictSame(openaiToolChoiceToAnthropic('none', false), { type: 'none' }, 'none cannot carry disable_parallel_tool_use');
  t.strictSame(openaiToolChoiceToAnthropic({ type: 'function', function: { name: 'f' } }, false), { type: 'tool', name: 'f', disable_parallel_tool_use: true });
  t.strictSame(anthropicToolChoiceToOpenai({ type: 'any' }), { tool_choice: 'required' });
  t.strictSame(anthropicToolChoiceToOpenai({ type: 'auto', disable_parallel_tool_use: true }), { tool_choice: 'auto', parallel_tool_calls: false });
  t.strictSame(anthropicToolChoiceToOpenai({ type: 'tool', name: 'f' }), { tool_choice: { type: 'function', function: { name: 'f' } } });
  t.strictSame(anthropicToolChoiceToOpenai({ type: 'none' }), { tool_choice: 'none' });
});

t.test('Anthropic tool ids keep only [a-zA-Z0-9_-]', async (t) => {
  t.equal(toAnthropicToolId('call_abc-123'), 'call_abc-123');
  t.equal(toAnthropicToolId('call.1:x/y'), 'call_1_x_y');
});

t.test('Gemini finish reasons and usage', async (t) => {
  t.equal(geminiFinishToOpenai('STOP', false), 'stop');
  t.equal(geminiFinishToOpenai('STOP', true), 'tool_calls');
  t.equal(geminiFinishToOpenai('MAX_TOKENS', true), 'length');
  for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']) t.equal(geminiFinishToOpenai(r, false), 'content_filter', r);
  for (const r of ['OTHER', 'MALFORMED_FUNCTION_CALL', 'FINISH_REASON_UNSPECIFIED', undefined]) t.equal(geminiFinishToOpenai(r, false), 'stop', String(r));
  t.strictSame(geminiUsageToOpenai({ promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 10, thoughtsTokenCount: 5, toolUsePromptTokenCount: 7, totalTokenCount: 122 }), {
    prompt_tokens: 107,
    completion_tokens: 15,
    total_tokens: 122,
    prompt_tokens_details: { cached_tokens: 60 },
    completion_tokens_details: { reasoning_tokens: 5 },
  });
});

t.test('Gemini thought signatures ride in tool-call ids and come back on the functionCall', async (t) => {
  // Signatures are base64 of opaque bytes; lengths 30/31/32 give two, one and no padding characters.
  for (const length of [30, 31, 32]) {
    const bytes = Buffer.alloc(length, 0xfb).map((b, i) => (b + i * 37) & 0xff);
    const sig = Buffer.from(bytes).toString('base64');
    const withSig = geminiToolCallId('resp-1', 3, sig);
    t.match(withSig, /^call_resp1_3__ts_[a-zA-Z0-9_-]+$/, 'valid for Anthropic too');
    t.equal(thoughtSignatureOf(withSig), sig, `length ${length} restored exactly`);
  }
  const signature = Buffer.from('thought signature bytes!').toString('base64');
  const id = geminiToolCallId('resp-1', 3, signature);
  t.equal(thoughtSignatureOf(geminiToolCallId('resp-1', 4)), undefined);
  const plan = openaiToGeminiRequest({
    model: 'g',
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
      { role: 'tool', tool_call_id: id, content: 'ok' },
    ],
  });
  t.strictSame(plan.body.contents[1], { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: signature }] });
  t.strictSame(plan.body.contents[2], { role: 'user', parts: [{ functionResponse: { name: 'f', response: { result: 'ok' } } }] });
});

t.test("Gemini's own function-call ids (Gemini 3) come back on the call and its functionResponse, with the signature", async (t) => {
  const signature = 'c2lnbmF0dXJl+/==';
  const answer = {
    responseId: 'r-9',
    candidates: [
      {
        index: 0,
        finishReason: 'STOP' as const,
        content: {
          role: 'model' as const,
          parts: [
            { functionCall: { id: 'fc_1', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: signature },
            { functionCall: { id: 'fc-2.x', name: 'get_time', args: {} } },
          ],
        },
      },
    ],
  };
  const calls = geminiToOpenaiResponse(answer, 'g').choices[0]!.message.tool_calls!;
  t.equal(calls.length, 2);
  for (const call of calls) t.match(call.id, /^[a-zA-Z0-9_-]+$/, `${call.id}: valid for Anthropic too`);
  const plan = openaiToGeminiRequest({
    model: 'g',
    messages: [
      { role: 'user', content: 'weather and time?' },
      { role: 'assistant', content: null, tool_calls: calls },
      { role: 'tool', tool_call_id: calls[0]!.id, content: '{"t":20}' },
      { role: 'tool', tool_call_id: calls[1]!.id, content: '12:00' },
    ],
  });
  t.strictSame(plan.body.contents[1], {
    role: 'model',
    parts: [
      { functionCall: { id: 'fc_1', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: signature },
      { functionCall: { id: 'fc-2.x', name: 'get_time', args: {} } },
    ],
  });
  t.strictSame(plan.body.contents[2], {
    role: 'user',
    parts: [
      { functionResponse: { id: 'fc_1', name: 'get_weather', response: { t: 20 } } },
      { functionResponse: { id: 'fc-2.x', name: 'get_time', response: { result: '12:00' } } },
    ],
  });

  // Streamed: every call gets the next index, named by Gemini or not.
  const stream = new GeminiToOpenaiStream({ model: 'g' });
  const indexes = stream.push(answer).flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).map((call) => call.index);
  t.strictSame(indexes, [0, 1]);
});

t.test('Gemini answers without a responseId: tool-call ids still differ from one answer to the next', async (t) => {
  const answer = { candidates: [{ index: 0, content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP' }] };
  const plainIds = [0, 1].map(() => geminiToOpenaiResponse(answer as never, 'g').choices[0]?.message.tool_calls?.[0]?.id);
  t.ok(plainIds[0] && plainIds[1] && plainIds[0] !== plainIds[1], `plain: ${plainIds.join(' / ')}`);
  const streamedIds = [0, 1].map(() => new GeminiToOpenaiStream({ model: 'g' }).push(answer as never).flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])[0]?.id);
  t.ok(streamedIds[0] && streamedIds[1] && streamedIds[0] !== streamedIds[1], `streamed: ${streamedIds.join(' / ')}`);
});

t.test('Gemini schema cleaning', async (t) => {
  t.strictSame(
    toGeminiSchema({
      type: 'object',
      additionalProperties: false,
      properties: {
        // Property NAMES that look like JSON-Schema keywords are data, not keywords: kept.
        additionalProperties: { type: 'string' },
        $schema: { type: ['integer', 'string'] },
        node: { $ref: '#/definitions/node' },
        choice: { oneOf: [{ type: 'string' }, { type: 'number' }] },
        fixed: { allOf: [{ type: 'string', format: 'email' }] },
        tuple: { type: 'array', items: [{ type: 'string' }] },
      },
      definitions: { node: { type: 'object', properties: { child: { $ref: '#/definitions/node' } } } },
    }),
    {
      type: 'object',
      properties: {
        additionalProperties: { type: 'string' },
        $schema: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        node: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object', properties: { child: { type: 'object' } } } } } } } } } } } } } } } } },
        choice: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        fixed: { type: 'string' },
        tuple: { type: 'array', items: { type: 'string' } },
      },
    },
    'recursive $ref cut at a fixed depth; oneOf -> anyOf; unknown format dropped',
  );
  t.strictSame(toGeminiSchema({ type: 'null' }), { nullable: true });
  t.strictSame(toGeminiSchema({ enum: ['a', 'b'] }), { enum: ['a', 'b'], type: 'string' });
  // A null among the enum values (zod's .nullable() enums, OpenAI strict schemas) keeps the enum.
  t.strictSame(toGeminiSchema({ type: ['string', 'null'], enum: ['a', 'b', null] }), { nullable: true, type: 'string', enum: ['a', 'b'] });
  t.strictSame(toGeminiSchema({ enum: ['a', null] }), { nullable: true, enum: ['a'], type: 'string' });
  // Gemini refuses an array without typed items ("items: missing field"), common in MCP tools.
  t.strictSame(toGeminiSchema({ type: 'array' }), { type: 'array', items: { type: 'string' } });
  t.strictSame(toGeminiSchema({ type: 'array', items: {} }), { type: 'array', items: { type: 'string' } });
  t.strictSame(toGeminiSchema({ type: 'array', items: { type: 'integer' } }), { type: 'array', items: { type: 'integer' } });
});

t.test('OpenAI to Gemini: an empty text part is left out (Gemini refuses "an empty text parameter")', async (t) => {
  const plan = openaiToGeminiRequest({
    model: 'g',
    messages: [
      { role: 'user', content: '' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] },
    ],
  });
  t.strictSame(plan.body.contents, [
    { role: 'model', parts: [{ text: 'ok' }] },
    { role: 'user', parts: [{ text: 'hi' }] },
  ]);
});

t.test('OpenAI temperature and top_p to Claude: both only where the model takes the pair', async (t) => {
  const req: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.4, top_p: 0.9 };
  for (const model of ['claude-3-7-sonnet-latest', 'claude-3-5-haiku-20241022', 'claude-sonnet-4-20250514', 'claude-opus-4-0', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'claude-sonnet-4@20250514']) {
    const out = openaiToAnthropicRequest(req, model);
    t.same([out.temperature, out.top_p], [0.4, 0.9], `${model}: both`);
  }
  for (const model of ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5', 'claude-opus-4-1-20250805', 'claude-opus-4-5', 'claude-sonnet-5', 'my-anthropic-compatible-model']) {
    const out = openaiToAnthropicRequest(req, model);
    t.same([out.temperature, out.top_p], [0.4, undefined], `${model}: temperature only (the pair is refused)`);
  }
  t.equal(openaiToAnthropicRequest({ ...req, temperature: undefined }, 'claude-sonnet-4-5').top_p, 0.9, 'top_p alone is kept');
  t.ok(acceptsTemperatureWithTopP('claude-2.1') && acceptsTemperatureWithTopP('claude-instant-1.2'));
});

t.test('OpenAI to Claude: blank text is left out (Anthropic refuses "text content blocks must contain non-whitespace text")', async (t) => {
  // Claude answers "\n\n" before a tool_use at times; an OpenAI caller sends it back in its history.
  const out = openaiToAnthropicRequest(
    {
      model: 'm',
      messages: [
        { role: 'system', content: ' ' },
        { role: 'user', content: 'list files' },
        { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'ls', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'toolu_01', content: [{ type: 'text', text: '\t' }, { type: 'text', text: 'a.txt' }] },
        { role: 'assistant', content: ' ' },
        { role: 'user', content: [{ type: 'text', text: '  ' }, { type: 'text', text: 'thanks' }] },
        { role: 'user', content: '\n' },
        { role: 'assistant', content: [{ type: 'text', text: 'The files are ' }] },
      ],
      tools: [{ type: 'function', function: { name: 'ls', parameters: { type: 'object', properties: {} } } }],
    },
    'claude-sonnet-4-5',
  );
  t.equal(out.system, undefined, 'a blank system prompt is not sent');
  t.strictSame(out.messages, [
    { role: 'user', content: 'list files' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'ls', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: 'a.txt' }] }] },
    { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
    // The final assistant turn is a prefill: Anthropic refuses it with trailing whitespace.
    { role: 'assistant', content: [{ type: 'text', text: 'The files are' }] },
  ]);
  const prefill = openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'JSON please' }, { role: 'assistant', content: '{ ' }] }, 'claude-sonnet-4-5');
  t.strictSame(prefill.messages[1], { role: 'assistant', content: '{' });
});

t.test("top_k -1 (vLLM's \"disabled\") is not sent to Claude or Gemini, which take positive values only", async (t) => {
  const req: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'Hi' }], top_k: -1 };
  t.equal(openaiToAnthropicRequest(req, 'claude-sonnet-4-5').top_k, undefined);
  t.equal(openaiToGeminiRequest(req).body.generationConfig?.topK, undefined);
  t.equal(openaiToAnthropicRequest({ ...req, top_k: 40 }, 'claude-sonnet-4-5').top_k, 40);
  t.equal(openaiToGeminiRequest({ ...req, top_k: 40 }).body.generationConfig?.topK, 40);
});

t.test("OpenAI stream to Anthropic: Azure's opening prompt-filter chunk (no id, model or choices) does not name the message", async (t) => {
  const { OpenaiToAnthropicStream } = await import('../../src/providers/anthropic/index.js');
  const stream = new OpenaiToAnthropicStream({ inputTokensEstimate: 5 });
  const chunks = [
    { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] },
    { id: 'chatcmpl-AzUre123', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] },
    { id: 'chatcmpl-AzUre123', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ];
  const events = chunks.flatMap((chunk) => stream.push(chunk as never));
  t.match(events[0], { type: 'message_start', message: { id: 'msg_AzUre123', model: 'gpt-4o-2024-08-06' } });
  t.equal(events.filter((e) => e.type === 'message_start').length, 1);
  const nameless = new OpenaiToAnthropicStream({});
  const [start] = nameless.push({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] } as never);
  const other = new OpenaiToAnthropicStream({}).push({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] } as never)[0];
  t.match(start, { type: 'message_start', message: { id: /^msg_gw[0-9a-f]{24}$/ } }, 'no upstream id: an id of our own');
  t.not((start as { message: { id: string } }).message.id, (other as { message: { id: string } }).message.id, 'not a constant');
});

t.test('legacy functions / function_call reach Claude and Gemini as tools, calls and results', async (t) => {
  const weather = { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
  const req = {
    model: 'm',
    functions: [weather],
    function_call: { name: 'get_weather' },
    messages: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { role: 'function', name: 'get_weather', content: '18C' },
      { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      { role: 'function', name: 'get_weather', content: '21C' },
    ],
  } as unknown as ChatCompletionRequest;
  const claude = openaiToAnthropicRequest(req, 'claude-sonnet-4-5');
  t.strictSame(claude.tools, [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }]);
  t.strictSame(claude.tool_choice, { type: 'tool', name: 'get_weather' }, 'a forced function is a forced tool');
  t.strictSame(claude.messages.slice(1), [
    { role: 'assistant', content: [{ type: 'tool_use', id: 'call_fn_0', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fn_0', content: '18C' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'call_fn_1', name: 'get_weather', input: { city: 'Rome' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fn_1', content: '21C' }] },
  ]);
  const gemini = openaiToGeminiRequest(req, 'gemini-2.5-flash').body;
  t.equal(gemini.tools?.[0]?.functionDeclarations?.[0]?.name, 'get_weather');
  t.match(gemini.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
  t.match(gemini.contents.slice(1), [
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather' } }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather' } }] },
  ]);
  t.strictSame(openaiToAnthropicRequest({ ...req, function_call: 'none' } as ChatCompletionRequest, 'claude-sonnet-4-5').tool_choice, { type: 'none' });
  t.throws(
    () => openaiToAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'function', name: 'f', content: '1' }] } as ChatCompletionRequest, 'claude-sonnet-4-5'),
    /follows no assistant function_call/,
    'a result without its call is refused, not sent',
  );
});

t.test('Anthropic tool results to OpenAI: text documents join the tool text, PDFs move to the next user message like images', async (t) => {
  const { anthropicToOpenaiRequest } = await import('../../src/providers/anthropic/index.js');
  const hub = anthropicToOpenaiRequest(
    {
      model: 'gpt-4o',
      max_tokens: 256,
      tools: [{ name: 'read_file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'Summarise notes.txt' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'notes.txt' } }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [
                { type: 'text', text: 'Two files:' },
                { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Q3 revenue up 12%.' } },
                { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
              ],
            },
          ],
        },
      ],
    } as never,
    'gpt-4o',
  );
  t.strictSame(hub.messages.slice(2), [
    { role: 'tool', tool_call_id: 'toolu_1', content: 'Two files:\nQ3 revenue up 12%.' },
    { role: 'user', content: [{ type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } }] },
  ]);
});

t.test('OpenAI allowed_tools reach Claude and Gemini as the allowed tools only, with auto or required', async (t) => {
  const fn = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: {} } } });
  const req = (mode: 'auto' | 'required', allowed: string[]): ChatCompletionRequest => ({
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
    tools: [fn('a'), fn('b'), fn('c')],
    tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools: allowed.map((name) => ({ type: 'function' as const, function: { name } })) } },
  });
  const claude = openaiToAnthropicRequest(req('required', ['a', 'c']), 'claude-sonnet-4-5');
  t.strictSame(claude.tools?.map((tool) => tool.name), ['a', 'c']);
  t.strictSame(claude.tool_choice, { type: 'any' });
  const claudeAuto = openaiToAnthropicRequest(req('auto', ['b']), 'claude-sonnet-4-5');
  t.strictSame(claudeAuto.tools?.map((tool) => tool.name), ['b']);
  t.strictSame(claudeAuto.tool_choice, { type: 'auto' });
  const gemini = openaiToGeminiRequest(req('required', ['b', 'c']), 'gemini-2.5-flash').body;
  t.strictSame(gemini.tools?.[0]?.functionDeclarations?.map((d) => d.name), ['b', 'c']);
  t.strictSame(gemini.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
  const none = openaiToAnthropicRequest(req('auto', ['zzz']), 'claude-sonnet-4-5');
  t.equal(none.tools, undefined, 'auto with nothing allowed: no tools at all');
  t.throws(() => openaiToAnthropicRequest(req('required', ['zzz']), 'claude-sonnet-4-5'), { name: 'TranslationError', message: /names none of the request's function tools/ });
});

t.test('OpenAI custom tools have no Claude or Gemini form: a TranslationError (400 unless another target serves it)', async (t) => {
  const custom = { type: 'custom' as const, custom: { name: 'apply_patch' } };
  const base: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const cases: Array<[string, ChatCompletionRequest, RegExp]> = [
    ['a custom tool', { ...base, tools: [custom] }, /custom tool "apply_patch" can only be served by an OpenAI provider/],
    ['a forced custom tool', { ...base, tool_choice: { type: 'custom', custom: { name: 'apply_patch' } } }, /tool_choice of the custom tool "apply_patch"/],
    ['a custom call in the history', { ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: 'x' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'ok' }] }, /custom tool call "call_1" in the history/],
  ];
  for (const [name, request, message] of cases) {
    t.throws(() => openaiToAnthropicRequest(request, 'claude-sonnet-4-5'), { name: 'TranslationError', message }, `${name}: Claude`);
    t.throws(() => openaiToGeminiRequest(request, 'gemini-2.5-flash'), { name: 'TranslationError', message }, `${name}: Gemini`);
  }
});

t.test('Gemini schemas: every node has a type Gemini takes (implicit objects, arrays, z.any(), numeric enums, const), properties only on objects', async (t) => {
  const schema = toGeminiSchema({
    type: 'object',
    properties: {
      value: { description: 'any JSON value' },
      data: { description: 'page data', properties: { page_id: { type: 'string' } }, required: ['page_id'] },
      list: { items: { type: 'number' } },
      level: { enum: [1, 2, 3] },
      ratio: { type: 'number', enum: [0.5, 1.5], description: 'How much.' },
      flag: { const: true },
      odd: { type: 'string', properties: { a: { type: 'string' } }, required: ['a'] },
      anything: true,
    },
  });
  t.strictSame(schema.properties, {
    value: { type: 'string', description: 'any JSON value' },
    data: { type: 'object', description: 'page data', properties: { page_id: { type: 'string' } }, required: ['page_id'] },
    list: { type: 'array', items: { type: 'number' } },
    level: { type: 'integer', description: 'One of: 1, 2, 3.' },
    ratio: { type: 'number', description: 'How much. One of: 0.5, 1.5.' },
    flag: { type: 'boolean', description: 'One of: true.' },
    odd: { type: 'string' },
    anything: { type: 'string' },
  });
  t.strictSame(toGeminiSchema({}), {}, 'the root of a parameterless tool stays empty (omitted)');
  t.ok(isEmptyObjectSchema(toGeminiSchema({ type: 'object', properties: {} })));
});

t.test('Gemini 3: a replayed function call without a signature of its own gets the documented placeholder; Gemini 2.5 gets none', async (t) => {
  const history = (id: string): ChatCompletionRequest => ({
    model: 'm',
    messages: [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }, { id: `${id}b`, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: id, content: 'sunny' },
      { role: 'tool', tool_call_id: `${id}b`, content: 'rain' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  });
  const parts = (model: string, id: string) => openaiToGeminiRequest(history(id), model).body.contents[1]?.parts ?? [];
  const three = parts('gemini-3-pro-preview', 'call_from_elsewhere');
  t.equal(three[0]?.thoughtSignature, 'skip_thought_signature_validator', 'the first call of the turn');
  t.equal(three[1]?.thoughtSignature, undefined, 'parallel calls: only the first');
  t.equal(parts('gemini-flash-latest', 'call_x')[0]?.thoughtSignature, 'skip_thought_signature_validator', '-latest aliases may be Gemini 3');
  t.equal(parts('gemini-2.5-flash', 'call_x')[0]?.thoughtSignature, undefined, 'Gemini 2.5 does not need one');
});

t.test('Gemma has no system instruction: the system text opens the first user turn', async (t) => {
  const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }] };
  const gemma = openaiToGeminiRequest(request, 'gemma-3-27b-it').body;
  t.equal(gemma.systemInstruction, undefined);
  t.strictSame(gemma.contents[0], { role: 'user', parts: [{ text: 'Be brief.' }, { text: 'Hi' }] });
  t.equal(gemma.contents.length, 3);
  t.strictSame(openaiToGeminiRequest(request, 'gemini-2.5-flash').body.systemInstruction, { parts: [{ text: 'Be brief.' }] }, 'Gemini keeps it');
});

t.test('Gemini takes at most 5 stop sequences: more is a 400 naming the limit', async (t) => {
  const request = (stop: string[]): ChatCompletionRequest => ({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], stop });
  t.strictSame(openaiToGeminiRequest(request(['a', 'b', 'c', 'd', 'e']), 'gemini-2.5-flash').body.generationConfig?.stopSequences, ['a', 'b', 'c', 'd', 'e']);
  t.throws(() => openaiToGeminiRequest(request(['a', 'b', 'c', 'd', 'e', 'f']), 'gemini-2.5-flash'), { name: 'TranslationError', message: /at most 5 stop sequences; the request has 6/ });
});

t.test('Anthropic -> OpenAI: what an assistant turn cannot carry, and an empty user turn, are refused, not dropped', async (t) => {
  const { anthropicToOpenaiRequest } = await import('../../src/providers/anthropic/index.js');
  const { TranslationError } = await import('../../src/protocol/errors.js');
  const ask = (messages: unknown[]) => anthropicToOpenaiRequest({ model: 'm', max_tokens: 10, messages } as never);
  for (const block of [
    { type: 'tool_result', tool_use_id: 'x', content: 'r' },
    { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    { type: 'web_search_tool_result', tool_use_id: 'x', content: [] },
  ]) {
    t.throws(() => ask([{ role: 'user', content: 'hi' }, { role: 'assistant', content: [block] }, { role: 'user', content: 'again' }]), TranslationError, block.type);
  }
  t.throws(() => ask([{ role: 'user', content: [] }]), TranslationError, 'empty user content');
  const kept = ask([{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'text', text: 'hello' }] }]);
  t.same(kept.messages.at(-1), { role: 'assistant', content: 'hello' }, 'thinking is still dropped (its signature only verifies on Anthropic)');
});
