/** JSON schemas for Claude's constrained decoding (providers/anthropic/strict-schema.ts). */
import t from 'tap';
import type { ChatCompletionRequest } from '@gatewayd/shared';
import { openaiToAnthropicRequest } from '../../src/providers/anthropic/index.js';
import { strictSchemaForClaude } from '../../src/providers/anthropic/strict-schema.js';

/** What zodResponseFormat makes of z.object({ n: z.number().int(), email: z.string().email().max(80), tags: z.array(z.string()).min(2), kind: z.union([...]) }). */
const ZOD_LIKE = {
  type: 'object',
  properties: {
    n: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    age: { type: 'integer', minimum: 0, maximum: 150, description: 'Years' },
    email: { type: 'string', format: 'email', maxLength: 80 },
    code: { type: 'string', pattern: '^[A-Z]{3}$', format: 'iso-4217' },
    tags: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2 },
    maybe: { type: ['string', 'null'], minItems: 1 },
    kind: { oneOf: [{ $ref: '#/$defs/cat' }, { type: 'object', properties: { bark: { type: 'boolean' } }, required: ['bark'] }] },
    extra: { type: 'object', additionalProperties: { type: 'number' } },
    pick: { enum: ['a', 'b', null] },
    typedPick: { type: ['string', 'null'], enum: ['low', 'high', null] },
    phone: { type: 'string', nullable: true, maxLength: 20 },
    level: { type: 'string', enum: ['a', 'b'], nullable: true },
    ref: { $ref: '#/$defs/cat', nullable: true },
    shape: { enum: [{ x: 1 }] },
  },
  required: ['n', 'age', 'email', 'code', 'tags', 'maybe', 'kind', 'extra', 'pick', 'shape', 'typedPick', 'phone', 'level', 'ref'],
  additionalProperties: false,
  $defs: { cat: { type: 'object', properties: { lives: { type: 'integer', exclusiveMinimum: 0 } }, required: ['lives'], additionalProperties: false } },
  $schema: 'http://json-schema.org/draft-07/schema#',
};

t.test('keywords Claude refuses move into descriptions; the rest stays, objects are closed', async (t) => {
  const before = JSON.stringify(ZOD_LIKE);
  const out = strictSchemaForClaude(ZOD_LIKE) as Record<string, any>;
  t.equal(JSON.stringify(ZOD_LIKE), before, 'the input is left as it was');
  const p = out.properties;
  t.same(p.n, { type: 'integer' }, "zod's .int() safe-integer bounds are no constraint: dropped");
  t.same(p.age, { type: 'integer', description: 'Years\n\n{minimum: 0, maximum: 150}' });
  t.same(p.email, { type: 'string', format: 'email', description: '{maxLength: 80}' });
  t.same(p.code, { type: 'string', description: '{format: "iso-4217", pattern: "^[A-Z]{3}$"}' });
  t.same(p.tags, { type: 'array', items: { type: 'string', description: '{minLength: 1}' }, description: '{minItems: 2}' });
  t.same(p.maybe, { type: ['string', 'null'], minItems: 1 });
  t.same(p.kind, { anyOf: [{ $ref: '#/$defs/cat' }, { type: 'object', properties: { bark: { type: 'boolean' } }, required: ['bark'], additionalProperties: false }] }, 'oneOf is anyOf');
  t.same(p.extra, { type: 'object', properties: {}, additionalProperties: false, description: '{additionalProperties: {"type":"number"}}' });
  t.same(p.pick, { enum: ['a', 'b', null] });
  t.same(p.typedPick, { enum: ['low', 'high', null] }, 'beside an enum, type is left out (Claude refuses values the type does not name)');
  t.same(p.phone, { anyOf: [{ type: 'string', description: '{maxLength: 20}' }, { type: 'null' }] }, "zod v3's nullable: true stays nullable");
  t.same(p.level, { enum: ['a', 'b', null] });
  t.same(p.ref, { anyOf: [{ $ref: '#/$defs/cat' }, { type: 'null' }] });
  t.same(p.shape, { description: '{enum: [{"x":1}]}' });
  t.same(out.$defs.cat.properties.lives, { type: 'integer', description: '{exclusiveMinimum: 0}' }, '$defs are rewritten too');
  t.equal(out.$schema, undefined, '$schema names a dialect and constrains nothing');
  t.equal(out.additionalProperties, false);
  t.same(out.required, ZOD_LIKE.required);
  t.equal(strictSchemaForClaude(true), true);
});

t.test('OpenAI structured outputs and strict tools reach Claude 4.5 with schemas it takes; other tools are untouched', async (t) => {
  const req = {
    model: 'smart',
    messages: [{ role: 'user', content: 'hi' }],
    response_format: { type: 'json_schema', json_schema: { name: 'out', strict: true, schema: ZOD_LIKE } },
    tools: [
      { type: 'function', function: { name: 'strict_one', strict: true, parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false } } },
      { type: 'function', function: { name: 'loose_one', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } } },
    ],
  } as unknown as ChatCompletionRequest;
  const out = openaiToAnthropicRequest(req, 'claude-sonnet-4-5-20250929');
  const schema = out.output_config?.format?.schema as Record<string, any>;
  t.same(schema.properties.age, { type: 'integer', description: 'Years\n\n{minimum: 0, maximum: 150}' });
  t.same(out.tools?.[0], { name: 'strict_one', strict: true, input_schema: { type: 'object', properties: { n: { type: 'integer', description: '{minimum: 1}' } }, required: ['n'], additionalProperties: false } });
  t.same(out.tools?.[1], { name: 'loose_one', input_schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } }, 'no constrained decoding: the schema goes as written');
});
