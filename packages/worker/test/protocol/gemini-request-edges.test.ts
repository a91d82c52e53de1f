/** OpenAI requests to Gemini: parallel tool results out of order, allOf schemas. */
import t from 'tap';
import type { ChatCompletionRequest, GeminiPart } from '@gatewayd/shared';
import { anthropicToOpenaiRequest } from '../../src/providers/anthropic/index.js';
import { openaiToGeminiRequest } from '../../src/providers/gemini/index.js';
import { toGeminiSchema } from '../../src/providers/gemini/schema.js';

const weather = (city: string, id: string) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: JSON.stringify({ city }) } });

function responsesOf(parts: GeminiPart[]): unknown[] {
  return parts.filter((part) => part.functionResponse !== undefined).map((part) => part.functionResponse!.response);
}

t.test('tool results answering parallel calls are sent in the order of the calls', async (t) => {
  const request: ChatCompletionRequest = {
    model: 'g',
    messages: [
      { role: 'user', content: 'Weather in Paris, Rome and Oslo?' },
      { role: 'assistant', content: null, tool_calls: [weather('Paris', 'call_p'), weather('Rome', 'call_r'), weather('Oslo', 'call_o')] },
      { role: 'tool', tool_call_id: 'call_o', content: 'Oslo: 2C' },
      { role: 'tool', tool_call_id: 'call_p', content: 'Paris: 10C' },
      { role: 'tool', tool_call_id: 'call_r', content: 'Rome: 30C' },
      { role: 'user', content: 'And tomorrow?' },
    ],
  };
  const { body } = openaiToGeminiRequest(request);
  const turn = body.contents[2]!;
  t.equal(turn.role, 'user');
  t.same(responsesOf(turn.parts), [{ result: 'Paris: 10C' }, { result: 'Rome: 30C' }, { result: 'Oslo: 2C' }]);
  t.same(turn.parts.at(-1), { text: 'And tomorrow?' }, 'the text after the results stays after them');

  // Two turns of calls: each run of results follows its own turn's order.
  const twoTurns: ChatCompletionRequest = {
    model: 'g',
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [weather('A', 'a1'), weather('B', 'b1')] },
      { role: 'tool', tool_call_id: 'b1', content: 'B' },
      { role: 'tool', tool_call_id: 'a1', content: 'A' },
      { role: 'assistant', content: null, tool_calls: [weather('C', 'c1'), weather('D', 'd1')] },
      { role: 'tool', tool_call_id: 'd1', content: 'D' },
      { role: 'tool', tool_call_id: 'c1', content: 'C' },
    ],
  };
  const contents = openaiToGeminiRequest(twoTurns).body.contents;
  t.same(responsesOf(contents[2]!.parts), [{ result: 'A' }, { result: 'B' }]);
  t.same(responsesOf(contents[4]!.parts), [{ result: 'C' }, { result: 'D' }]);
});

t.test('an Anthropic caller answering parallel tool_use blocks out of order', async (t) => {
  const hub = anthropicToOpenaiRequest({
    model: 'g',
    max_tokens: 100,
    messages: [
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'Rome: 30C' },
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Paris: 10C' },
        ],
      },
    ],
  });
  const { body } = openaiToGeminiRequest(hub);
  t.same(responsesOf(body.contents[2]!.parts), [{ result: 'Paris: 10C' }, { result: 'Rome: 30C' }]);
});

t.test('allOf branches are merged into one schema', async (t) => {
  const filter = {
    allOf: [
      { type: 'object', properties: { owner: { type: 'string' } }, required: ['owner'] },
      { type: 'object', properties: { limit: { type: 'integer' } } },
    ],
    description: 'Search filter',
  };
  t.same(toGeminiSchema({ type: 'object', properties: { filter }, required: ['filter'] }), {
    type: 'object',
    properties: { filter: { type: 'object', description: 'Search filter', properties: { owner: { type: 'string' }, limit: { type: 'integer' } }, required: ['owner'] } },
    required: ['filter'],
  });
  // A branch that is a $ref, and a property in two branches.
  const viaRefs = toGeminiSchema({
    $defs: { Base: { type: 'object', properties: { id: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['id'] } },
    allOf: [{ $ref: '#/$defs/Base' }, { properties: { tags: { description: 'labels' }, count: { type: 'number' } }, required: ['count'] }],
  });
  t.same(viaRefs, {
    type: 'object',
    properties: { id: { type: 'string' }, tags: { type: 'array', items: { type: 'string' }, description: 'labels' }, count: { type: 'number' } },
    required: ['id', 'count'],
  });
  // A recursive schema through allOf ends instead of looping.
  const recursive = toGeminiSchema({ $defs: { Node: { allOf: [{ $ref: '#/$defs/Node' }, { properties: { v: { type: 'string' } } }] } }, allOf: [{ $ref: '#/$defs/Node' }, { type: 'object' }] });
  t.equal(recursive.type, 'object');
});

t.test('JSON output beside tools: an instruction for Gemini 2.5 and earlier, the JSON response for Gemini 3', async (t) => {
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
  const lookup = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };
  const request = (response_format: ChatCompletionRequest['response_format'], tools = [lookup]): ChatCompletionRequest => ({
    model: 'g',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Find it.' }],
    tools,
    response_format,
  });
  const asSchema: ChatCompletionRequest['response_format'] = { type: 'json_schema', json_schema: { name: 'r', schema } };

  for (const model of ['gemini-2.5-flash', 'gemini-2.0-flash', 'models/gemini-2.5-pro', 'gemini-flash-latest', 'some-tuned-model']) {
    const { body } = openaiToGeminiRequest(request(asSchema), model);
    t.equal(body.generationConfig?.responseMimeType, undefined, `${model}: no JSON mime type beside tools`);
    t.equal(body.generationConfig?.responseSchema, undefined, `${model}: no response schema`);
    t.same(body.tools?.[0]?.functionDeclarations?.map((d) => d.name), ['lookup'], `${model}: the tools stay`);
    t.same(body.systemInstruction?.parts, [
      { text: 'Be brief.' },
      { text: `Respond with a single JSON object matching this JSON Schema: ${JSON.stringify(schema)}. Output only the JSON, with no other text and no code fences.` },
    ]);
  }
  const object = openaiToGeminiRequest(request({ type: 'json_object' }), 'gemini-2.5-flash').body;
  t.equal(object.generationConfig, undefined);
  t.same(object.systemInstruction?.parts.at(-1), { text: 'Respond with a single JSON object. Output only the JSON, with no other text and no code fences.' });

  // Gemini 3 takes both; without tools every model gets the JSON response.
  for (const [model, tools] of [['gemini-3-pro-preview', [lookup]], ['gemini-2.5-flash', []]] as const) {
    const { body } = openaiToGeminiRequest(request(asSchema, [...tools]), model);
    t.equal(body.generationConfig?.responseMimeType, 'application/json', model);
    t.same(body.generationConfig?.responseSchema, schema, model);
    t.same(body.systemInstruction?.parts, [{ text: 'Be brief.' }], `${model}: no instruction`);
  }
});

t.test('objects without properties (maps, open objects, recursion): no Gemini schema stands for them', async (t) => {
  // zod: z.object({ scores: z.record(z.string(), z.number()), meta: z.object({}).passthrough() })
  const withMap = {
    type: 'object',
    properties: { scores: { type: 'object', additionalProperties: { type: 'number' } }, meta: { type: 'object', properties: {}, additionalProperties: true } },
    required: ['scores', 'meta'],
    additionalProperties: false,
  };
  const recursive = { $defs: { Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } }, $ref: '#/$defs/Node' };
  const rootMap = { type: 'object', additionalProperties: { type: 'string' } };
  const ask = (schema: Record<string, unknown>, tools?: ChatCompletionRequest['tools']): ChatCompletionRequest => ({
    model: 'g',
    messages: [{ role: 'user', content: 'Score them.' }],
    response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
    ...(tools ? { tools } : {}),
  });

  for (const [name, schema] of [['map and open object', withMap], ['recursive $ref', recursive], ['map at the root', rootMap]] as const) {
    for (const model of ['gemini-2.5-flash', 'gemini-3-pro-preview']) {
      const { body } = openaiToGeminiRequest(ask(schema), model);
      t.same(body.generationConfig, { responseMimeType: 'application/json' }, `${name}, ${model}: JSON response, no responseSchema`);
      t.same(body.systemInstruction?.parts, [{ text: `Respond with a single JSON object matching this JSON Schema: ${JSON.stringify(schema)}. Output only the JSON, with no other text and no code fences.` }], `${name}: the whole schema told`);
    }
  }
  // A schema Gemini can take keeps its responseSchema.
  const plain = openaiToGeminiRequest(ask({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } }), 'gemini-2.5-flash').body;
  t.same(plain.generationConfig?.responseSchema, { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } });
  t.equal(plain.systemInstruction, undefined);

  // Tool parameters: a parameterless tool omits them; deeper in, such an object stays (function
  // calls are not held to the schema), a map's value schema told in its description.
  const tool = (parameters: Record<string, unknown>) => [{ type: 'function' as const, function: { name: 'score', parameters } }];
  const declared = (parameters: Record<string, unknown>) =>
    openaiToGeminiRequest({ model: 'g', messages: [{ role: 'user', content: 'x' }], tools: tool(parameters) }, 'gemini-2.5-flash').body.tools?.[0]?.functionDeclarations?.[0];
  t.same(declared({ type: 'object', properties: {} }), { name: 'score' });
  t.same(declared(withMap)?.parameters, {
    type: 'object',
    properties: { scores: { type: 'object', description: '{additionalProperties: {"type":"number"}}' }, meta: { type: 'object' } },
    required: ['scores', 'meta'],
  });
  const described = declared({ type: 'object', properties: { tags: { type: 'object', description: 'Labels by name', additionalProperties: { type: 'string' } } } });
  t.same(described?.parameters?.properties?.tags, { type: 'object', description: 'Labels by name\n\n{additionalProperties: {"type":"string"}}' });
});
