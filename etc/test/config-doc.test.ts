/**
 * docs/configuration.md lists every key of ConfigSchema (walked through zod 4's definitions, so a
 * new key fails this test until it is documented) and documents no key the schema lacks.
 */
import t from 'tap';
import { ConfigSchema } from '../../packages/shared/src/config/schema.js';
import { parseDuration } from '../../packages/shared/src/config/duration.js';
import { parseSize } from '../../packages/shared/src/config/size.js';
import { readRepoFile } from './helpers.js';

const doc = readRepoFile('docs/configuration.md');

/** Wrappers that change neither the key set nor the shape: look through them. */
const TRANSPARENT = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

/** The parts of a zod 4 schema definition (`schema._zod.def`) this walk reads. */
interface Def {
  type: string;
  innerType?: Schema;
  element?: Schema;
  shape?: Record<string, Schema>;
}
interface Schema {
  _zod: { def: unknown };
}

function defOf(schema: Schema): Def {
  let def = schema._zod.def as Def;
  while (TRANSPARENT.has(def.type) && def.innerType) def = def.innerType._zod.def as Def;
  return def;
}

/** Documented key paths: `a.b` inside mappings, `a[].b` inside list elements. */
function keyPaths(schema: Schema, prefix: string): string[] {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return [path, ...keyPaths(child, path)];
    });
  }
  if (def.type === 'array' && def.element) return keyPaths(def.element, `${prefix}[]`);
  return [];
}

const schemaKeys = keyPaths(ConfigSchema, '');

t.test('the schema walk finds the keys (sanity)', async (t) => {
  for (const key of ['server', 'server.drain_timeout', 'state.redis.url', 'providers[].api_keys', 'models[].targets[].weight', 'auth.keys[].limits.rpm']) {
    t.ok(schemaKeys.includes(key), key);
  }
});

t.test('every top-level and nested key is documented', async (t) => {
  for (const key of schemaKeys) t.ok(doc.includes(`| \`${key}\` |`), `table row for \`${key}\``);
});

t.test('no documented key is unknown to the schema', async (t) => {
  const rows = [...doc.matchAll(/^\| `([a-z0-9_.[\]]+)` \|/gm)].map((m) => m[1]!);
  t.ok(rows.length >= schemaKeys.length, 'the key tables were found');
  t.same(rows.filter((key) => !schemaKeys.includes(key)), [], 'every table key exists in ConfigSchema');
});

t.test('documents interpolation, overrides, durations and sizes', async (t) => {
  t.match(doc, '${VAR}');
  t.match(doc, '${VAR:-default}');
  t.match(doc, 'GATEWAYD__SECTION__KEY');
  t.match(doc, /a numeric segment is an index/);
  t.match(doc, /names the entry with that `name`/);
  t.match(doc, /"30s"/);
  t.match(doc, /"10mb"/);
});

/** One element in each list, with only the required keys, so the element defaults show up. */
const SAMPLE = {
  auth: { keys: [{ name: 'k', key: 'secret' }] },
  providers: [{ name: 'p', type: 'mock' }],
  models: [{ name: 'm', targets: [{ provider: 'p', model: 'x' }] }],
};
const SUPPLIED = new Set(['auth.keys[].name', 'auth.keys[].key', 'providers[].name', 'providers[].type', 'models[].name', 'models[].targets', 'models[].targets[].provider', 'models[].targets[].model']);

/** The parsed value at a documented path (`a[].b` reads element 0). */
function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const segment of path.split('.')) {
    const list = segment.endsWith('[]');
    node = (node as Record<string, unknown> | undefined)?.[list ? segment.slice(0, -2) : segment];
    if (list) node = (node as unknown[] | undefined)?.[0];
  }
  return node;
}

/** Table rows as cells; `\|` inside a cell (in the type column) is not a separator. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const m = /^\| `([a-z0-9_.[\]]+)` \|/.exec(line);
    if (!m) continue;
    rows.set(m[1]!, line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

t.test('the default column agrees with the schema defaults', async (t) => {
  // Top-level sections from an empty file; list elements from SAMPLE's one element each.
  const empty = ConfigSchema.parse({});
  const sample = ConfigSchema.parse(SAMPLE);
  for (const [key, cells] of tableRows(doc)) {
    const expected = valueAt(key.includes('[]') ? sample : empty, key);
    const cell = (cells[2] ?? '').replace(/`/g, '').trim();
    if (SUPPLIED.has(key) || expected === undefined) continue;
    if (typeof expected === 'object' && expected !== null && !Array.isArray(expected) && Object.keys(expected).length > 0) continue; // a section
    const word = cell.split(' ')[0] ?? '';
    let ok: boolean;
    if (typeof expected === 'number') ok = Number(word) === expected || parseDuration(word) === expected || parseSize(word) === expected;
    else if (typeof expected === 'object') ok = word === JSON.stringify(expected);
    else ok = word === String(expected);
    t.ok(ok, `${key}: documented default "${cell}" is ${JSON.stringify(expected)}`);
  }
});
