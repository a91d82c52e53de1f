/**
 * A JSON Schema as Claude's constrained decoding takes it (structured outputs and `strict` tools,
 * Claude 4.5 and later). OpenAI strict schemas and what SDK helpers generate (zod, pydantic) carry
 * keywords Claude refuses with a 400: numeric bounds (zod's `.int()` alone adds minimum/maximum),
 * string lengths and patterns, array sizes beyond minItems 0 or 1, unknown formats. Those are
 * not dropped silently: they move into the node's description, where the model still reads them.
 *
 * Kept as they are: type (left out beside enum or const), enum and const of plain values, anyOf
 * (oneOf becomes anyOf), allOf,
 * $ref with $defs / definitions, properties, required, items, description, title, and the string
 * formats Claude knows; objects get additionalProperties: false, which it requires.
 */

/** String formats Claude's structured outputs accept. */
const CLAUDE_STRING_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);

/** Keys handled below; every other keyword of a node becomes part of its description. */
const HANDLED: ReadonlySet<string> = new Set([
  'type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions', 'description', 'title',
  'properties', 'required', 'additionalProperties', 'items', 'minItems', 'format', '$schema', 'nullable',
]);

type Schema = Record<string, unknown>;

function isNode(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainValue(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

/** zod's `.int()` bounds: they say "a safe integer", which is no constraint worth a description. */
function isSafeIntegerBound(key: string, value: unknown): boolean {
  return (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && value === Number.MAX_SAFE_INTEGER);
}

function mapNodes(record: unknown): Schema | undefined {
  if (!isNode(record)) return undefined;
  return Object.fromEntries(Object.entries(record).map(([name, schema]) => [name, strictSchemaForClaude(schema)]));
}

/** The schema with what Claude refuses moved into descriptions; the input is not modified. */
export function strictSchemaForClaude(schema: unknown): unknown {
  if (!isNode(schema)) return schema; // `true` / `false` schemas: nothing to rewrite
  const out: Schema = {};
  const moved: string[] = [];

  for (const defsKey of ['$defs', 'definitions'] as const) {
    const defs = mapNodes(schema[defsKey]);
    if (defs !== undefined) out[defsKey] = defs;
  }
  if (typeof schema.$ref === 'string') out.$ref = schema.$ref;
  if (Array.isArray(schema.enum) && schema.enum.every(isPlainValue)) out.enum = schema.enum;
  else if (schema.enum !== undefined) moved.push(`enum: ${JSON.stringify(schema.enum)}`);
  if (schema.const !== undefined && isPlainValue(schema.const)) out.const = schema.const;
  else if (schema.const !== undefined) moved.push(`const: ${JSON.stringify(schema.const)}`);
  // Values listed: they are the constraint (Claude refuses an enum value its `type` does not name).
  if (schema.type !== undefined && out.enum === undefined && !('const' in out)) out.type = schema.type;
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (variants !== undefined) out.anyOf = variants.map(strictSchemaForClaude);
  if (Array.isArray(schema.allOf)) out.allOf = schema.allOf.map(strictSchemaForClaude);
  if (typeof schema.title === 'string') out.title = schema.title;

  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type];
  if (types.includes('object') || isNode(schema.properties)) {
    out.properties = mapNodes(schema.properties) ?? {};
    if (Array.isArray(schema.required)) out.required = schema.required;
    // Required by Claude; a map schema (additionalProperties: {...}) is told in the description.
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) moved.push(`additionalProperties: ${JSON.stringify(schema.additionalProperties)}`);
    out.additionalProperties = false;
  }
  if (schema.items !== undefined) {
    if (isNode(schema.items) || typeof schema.items === 'boolean') out.items = strictSchemaForClaude(schema.items);
    else moved.push(`items: ${JSON.stringify(schema.items)}`);
  }
  if (schema.minItems === 0 || schema.minItems === 1) out.minItems = schema.minItems;
  else if (schema.minItems !== undefined) moved.push(`minItems: ${JSON.stringify(schema.minItems)}`);
  if (typeof schema.format === 'string' && CLAUDE_STRING_FORMATS.has(schema.format)) out.format = schema.format;
  else if (schema.format !== undefined) moved.push(`format: ${JSON.stringify(schema.format)}`);

  for (const [key, value] of Object.entries(schema)) {
    if (!HANDLED.has(key) && !isSafeIntegerBound(key, value)) moved.push(`${key}: ${JSON.stringify(value)}`);
  }
  const description = typeof schema.description === 'string' ? schema.description : '';
  if (moved.length > 0) out.description = `${description === '' ? '' : `${description}\n\n`}{${moved.join(', ')}}`;
  else if (description !== '') out.description = description;
  return schema.nullable === true ? orNull(out) : out;
}

/**
 * OpenAPI's `nullable: true` (zod v3 through the OpenAI SDK's helpers writes it): null allowed
 * too, said the way JSON Schema does, which is what Claude reads.
 */
function orNull(node: Schema): Schema {
  if (Array.isArray(node.enum)) {
    if (!node.enum.includes(null)) node.enum = [...node.enum, null];
    return node;
  }
  return { anyOf: [node, { type: 'null' }] };
}
