/**
 * JSON Schema (OpenAI tool parameters, response_format schemas) -> Gemini's OpenAPI-subset Schema.
 *
 * Gemini rejects requests with keys outside its subset ($schema, additionalProperties, $defs,
 * const, oneOf, ...), so this keeps a whitelist instead of removing a blacklist. Conversions:
 * `type: [T, "null"]` -> `type: T, nullable: true`; `const` -> one-value enum; oneOf -> anyOf;
 * allOf -> its branches merged into one schema;
 * local `$ref`s (`#/$defs/X`, `#/definitions/X`) are inlined up to a fixed depth (recursive schemas
 * end in a bare object, see objectWithoutProperties); formats Gemini does not know are dropped; non-string enums are dropped
 * (Gemini enums are strings; a null among them is `nullable`); empty `properties` maps are dropped
 * (Gemini rejects them); a map's value schema (`additionalProperties`) goes into its description; an array without typed `items` gets string items (Gemini requires them).
 */
import type { GeminiSchema, JsonSchema } from '@gatewayd/shared';
import { isPlainObject } from '../../protocol/content.js';

const KEPT_AS_IS = ['title', 'description', 'nullable', 'pattern', 'example', 'default', 'minimum', 'maximum', 'propertyOrdering'] as const;
const NUMERIC_LIMITS = ['maxItems', 'minItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength'] as const;
const STRING_FORMATS = new Set(['enum', 'date-time']);
const NUMBER_FORMATS = new Set(['int32', 'int64', 'float', 'double']);
const MAX_REF_DEPTH = 8;

export function toGeminiSchema(schema: JsonSchema): GeminiSchema {
  const defs = { ...(isPlainObject(schema.definitions) ? schema.definitions : {}), ...(isPlainObject(schema.$defs) ? schema.$defs : {}) };
  return convert(schema, defs, 0, true);
}

/** True when a tool's parameters declare no properties: Gemini wants `parameters` omitted then. */
export function isEmptyObjectSchema(schema: GeminiSchema): boolean {
  return (schema.type === undefined || schema.type.toLowerCase() === 'object') && (schema.properties === undefined || Object.keys(schema.properties).length === 0) && schema.anyOf === undefined;
}

/**
 * Whether a converted schema holds an object node without properties: a map (`additionalProperties:
 * {...}`, zod's `z.record`), an open object (`properties: {}`), a recursive `$ref` cut at the
 * inlining depth. No Gemini schema stands for one, and a response schema holding one is refused
 * ("properties: should be non-empty for OBJECT type").
 */
export function holdsObjectWithoutProperties(schema: GeminiSchema): boolean {
  if (isEmptyObjectSchema(schema)) return true;
  const children = [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : []), ...(schema.anyOf ?? [])];
  return children.some(holdsObjectWithoutProperties);
}

/** `root`: the schema itself (tool parameters, a response schema), whose type may stay implicit. */
function convert(node: unknown, defs: Record<string, unknown>, refDepth: number, root = false): GeminiSchema {
  if (!isPlainObject(node)) return root ? {} : { type: 'string' };
  if (typeof node.$ref === 'string') {
    const target = resolveRef(node.$ref, defs);
    if (!target || refDepth >= MAX_REF_DEPTH) return { type: 'object' };
    const { $ref: _ref, ...rest } = node;
    return convert({ ...target, ...rest }, defs, refDepth + 1, root);
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    const { allOf, ...rest } = node;
    if (allOf.length === 1) return convert({ ...(allOf[0] as object), ...rest }, defs, refDepth, root);
    // Counted as a $ref level: branches may be refs whose targets merge refs again.
    return convert(mergeAllOf(rest, allOf, refDepth < MAX_REF_DEPTH ? defs : {}), defs, refDepth + 1, root);
  }
  const out: Record<string, unknown> = {};
  let type: unknown = node.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length < type.length) out.nullable = true;
    if (nonNull.length > 1) out.anyOf = nonNull.map((t) => ({ type: t }));
    type = nonNull.length === 1 ? nonNull[0] : undefined;
  }
  if (typeof type === 'string' && type !== 'null') out.type = type;
  else if (type === 'null') out.nullable = true;
  for (const key of KEPT_AS_IS) if (node[key] !== undefined) out[key] = node[key];
  for (const key of NUMERIC_LIMITS) if (typeof node[key] === 'number' || typeof node[key] === 'string') out[key] = node[key];

  if (typeof node.format === 'string') {
    const lowerType = typeof out.type === 'string' ? out.type.toLowerCase() : '';
    const allowed = lowerType === 'string' ? STRING_FORMATS : lowerType === 'number' || lowerType === 'integer' ? NUMBER_FORMATS : undefined;
    if (allowed?.has(node.format)) out.format = node.format;
  }
  const enumValues = node.const !== undefined ? [node.const] : node.enum;
  if (Array.isArray(enumValues)) {
    // A null among the values (zod's nullable enums) is Gemini's nullable; the rest stays the enum.
    const values = enumValues.filter((v) => v !== null);
    if (values.length < enumValues.length) out.nullable = true;
    if (values.length > 0 && values.every((v) => typeof v === 'string')) {
      out.enum = values;
      if (out.type === undefined) out.type = 'string';
    } else if (values.length > 0) {
      // Gemini enums are strings only: numbers and booleans keep their type, the values are told.
      out.type ??= typeOfValues(values);
      const told = `One of: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
      out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description} ${told}` : told;
    }
  }
  if (isPlainObject(node.properties)) {
    const props: Record<string, GeminiSchema> = {};
    for (const [name, value] of Object.entries(node.properties)) props[name] = convert(value, defs, refDepth);
    if (Object.keys(props).length > 0) {
      out.properties = props;
      if (Array.isArray(node.required)) {
        const required = node.required.filter((r): r is string => typeof r === 'string' && r in props);
        if (required.length > 0) out.required = required;
      }
    }
  }
  // A map (zod's z.record) has no Gemini form: its value schema is told in the description.
  if (out.properties === undefined && isPlainObject(node.additionalProperties) && Object.keys(node.additionalProperties).length > 0) {
    const told = `{additionalProperties: ${JSON.stringify(node.additionalProperties)}}`;
    out.description = typeof out.description === 'string' && out.description !== '' ? `${out.description}\n\n${told}` : told;
  }
  if (isPlainObject(node.items)) out.items = convert(node.items, defs, refDepth);
  else if (Array.isArray(node.items) && node.items.length > 0) out.items = convert(node.items[0], defs, refDepth);
  // Gemini refuses an array without a typed `items` ("items: missing field"), common in MCP tool
  // schemas: any item type is closest to a string there.
  if (typeof out.type === 'string' && out.type.toLowerCase() === 'array' && (out.items === undefined || Object.keys(out.items as object).length === 0)) out.items = { type: 'string' };
  const variants = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (variants) {
    // A `{type:"null"}` variant is expressed as nullable, the way Gemini wants it.
    const nonNull = variants.filter((v) => !(isPlainObject(v) && v.type === 'null'));
    if (nonNull.length < variants.length) out.nullable = true;
    const converted = nonNull.map((v) => convert(v, defs, refDepth));
    if (converted.length === 1) Object.assign(out, converted[0]);
    else if (converted.length > 1) out.anyOf = converted;
  }
  settleType(out, node, root);
  return out as GeminiSchema;
}

/**
 * Gemini refuses a node without a type ("must be specified when not using one_of, any_of or
 * all_of") and `properties` on a node that is not an object. JSON Schema leaves the type implicit
 * (`{properties: ...}`, `{items: ...}`, zod's `z.any()` as `{}`): it is inferred, and a node that
 * says nothing takes any value, which a string comes closest to.
 */
function settleType(out: Record<string, unknown>, node: Record<string, unknown>, root: boolean): void {
  if (out.type === undefined && out.anyOf === undefined) {
    if (out.properties !== undefined || isPlainObject(node.properties) || Array.isArray(node.required)) out.type = 'object';
    else if (out.items !== undefined) out.type = 'array';
    else if (!root) out.type = 'string';
  }
  if (typeof out.type === 'string' && out.type.toLowerCase() !== 'object') {
    delete out.properties;
    delete out.required;
  }
}

/**
 * Gemini has no allOf: its branches (zod intersections, OpenAPI-derived MCP tools) become one
 * schema. Properties and required names are united, a property in several branches becomes an
 * allOf of its versions (merged in turn); for every other keyword the node's own value wins, then
 * the first branch that has one. A branch that is a local $ref is resolved first.
 */
function mergeAllOf(own: Record<string, unknown>, branches: unknown[], defs: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  const required = new Set<string>();
  for (const given of [own, ...branches]) {
    const branch = isPlainObject(given) && typeof given.$ref === 'string' ? (resolveRef(given.$ref, defs) ?? {}) : given;
    if (!isPlainObject(branch)) continue;
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'properties' && isPlainObject(value)) {
        for (const [name, schema] of Object.entries(value)) properties[name] = name in properties ? { allOf: [properties[name], schema] } : schema;
      } else if (key === 'required' && Array.isArray(value)) {
        for (const name of value) if (typeof name === 'string') required.add(name);
      } else if (!(key in merged)) {
        merged[key] = value;
      }
    }
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
}

function typeOfValues(values: unknown[]): string {
  if (values.every((v) => typeof v === 'boolean')) return 'boolean';
  if (values.every((v) => Number.isInteger(v))) return 'integer';
  if (values.every((v) => typeof v === 'number')) return 'number';
  return 'string';
}

function resolveRef(ref: string, defs: Record<string, unknown>): Record<string, unknown> | undefined {
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const target = defs[decodeURIComponent(match[1] as string).replace(/~1/g, '/').replace(/~0/g, '~')];
  return isPlainObject(target) ? target : undefined;
}
