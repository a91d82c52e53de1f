/**
 * Edits of forwarded bodies on their bytes (pipeline/body-edit.ts), with the OpenAI edits: once parsed,
 * the edited body must equal what prepareOpenai*Request + JSON.stringify produce, for any layout
 * of the caller's bytes (whitespace, escaped keys, BOM, braces and quotes inside strings).
 */
import t, { type Test } from 'tap';
import type { ChatCompletionRequest, CompletionRequest } from '@gatewayd/shared';
import { editBody, insertMembers, renameModel, SCAN_MIN_BYTES, spliceMembers, topLevelMembers } from '../../src/pipeline/body-edit.js';
import { openaiNativeEdits, prepareOpenaiChatRequest, prepareOpenaiCompletionRequest } from '../../src/providers/openai/index.js';
import { seededRandom } from './helpers/splits.js';

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

const AWKWARD_STRINGS = ['plain', 'with "quotes" and \\ backslash', '{not: an object}', '[1, 2', 'uni \u00e9\u4e2d\ud83d\ude00', '', 'line\nbreak\ttab', '\\"', '}}]]'];

function randomValue(r: Rand, depth: number): unknown {
  const kind = depth > 3 ? Math.floor(r() * 4) : Math.floor(r() * 6);
  switch (kind) {
    case 0:
      return pick(r, AWKWARD_STRINGS);
    case 1:
      return pick(r, [0, -1.5, 1e21, 42, 3.25e-7]);
    case 2:
      return pick(r, [true, false, null]);
    case 3:
      return pick(r, AWKWARD_STRINGS) + String(Math.floor(r() * 1000));
    case 4:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) out[pick(r, AWKWARD_STRINGS) + String(i)] = randomValue(r, depth + 1);
      return out;
    }
  }
}

/** JSON text with random whitespace between tokens (JSON.stringify's indent, or none, or tabs). */
function serialise(r: Rand, value: unknown): string {
  const indent = pick(r, [undefined, 1, 2, '\t', ' \r\n'.includes('x') ? 0 : undefined]);
  let text = JSON.stringify(value, null, indent as string | number | undefined);
  if (r() < 0.3) text = `\n ${text}\r\n`;
  // Escape a key's letter now and then: JSON.parse decodes `"mod\u0065l"` to "model".
  if (r() < 0.3) text = text.replace('"model"', '"mod\\u0065l"');
  if (r() < 0.1) text = `\ufeff${text}`;
  return text;
}

function randomChat(r: Rand): ChatCompletionRequest {
  const body: Record<string, unknown> = {};
  const fields: Array<[string, () => unknown]> = [
    ['model', () => pick(r, ['gpt-4o-mini', 'bench', 'name "quoted"', 'uni \u00e9'])],
    ['messages', () => [{ role: 'user', content: pick(r, AWKWARD_STRINGS) }, ...(r() < 0.5 ? [{ role: 'assistant', content: [{ type: 'text', text: '}' }] }] : [])]],
    ['stream', () => pick(r, [true, false, null])],
    ['stream_options', () => pick(r, [null, { include_usage: true }, { include_usage: false }, { include_usage: false, other: [1, { x: '}' }] }])],
    ['top_k', () => pick(r, [null, 5])],
    ['max_tokens', () => 64],
    ['metadata', () => randomValue(r, 1)],
    ['tools', () => [{ type: 'function', function: { name: 'f', parameters: randomValue(r, 2) } }]],
  ];
  for (const [name, make] of fields) if (name === 'model' || name === 'messages' || r() < 0.5) body[name] = make();
  // Member order varies too.
  const entries = Object.entries(body).sort(() => r() - 0.5);
  return Object.fromEntries(entries) as unknown as ChatCompletionRequest;
}

function sameAfterParse(t: Test, out: Buffer, expected: unknown, raw: Buffer): void {
  const got: unknown = JSON.parse(out.toString('utf8'));
  if (JSON.stringify(sortKeys(got)) !== JSON.stringify(sortKeys(expected))) t.fail(`mismatch for ${raw.toString()}\n got ${out.toString()}`);
}

t.test('chat: the scanner applies every edit exactly as prepared, over seeded random bodies', async (t) => {
  const r = seededRandom(20261123);
  let edited = 0;
  let unchanged = 0;
  for (let i = 0; i < 1000; i++) {
    const raw = Buffer.from(serialise(r, randomChat(r)));
    const parsed = JSON.parse(raw.toString('utf8').replace(/^\ufeff/, '')) as ChatCompletionRequest;
    const model = r() < 0.5 ? parsed.model : pick(r, ['gpt-4o-mini', 'other "model"', 'uni \u00e9']);
    const extensions = r() < 0.5;
    const callerWantsUsage = parsed.stream === true && parsed.stream_options?.include_usage === true;
    const edits = openaiNativeEdits(parsed, model, callerWantsUsage, !extensions);
    const expected = prepareOpenaiChatRequest(parsed, { model, allowExtensions: extensions }).body;
    if (edits === null) {
      // Nothing to change: the caller's bytes go up as they are, and must already be the prepared body.
      unchanged++;
      sameAfterParse(t, Buffer.from(raw.toString('utf8').replace(/^\ufeff/, '')), expected, raw);
      continue;
    }
    const out = spliceMembers(raw, edits);
    if (out === null) {
      t.fail(`no splice for ${raw.toString()}`);
      continue;
    }
    edited++;
    sameAfterParse(t, out, expected, raw);
  }
  t.equal(edited + unchanged, 1000, 'every body edited or left as it is');
  t.ok(edited > 500, `${edited} bodies edited`);
});

t.test('chat: pure additions are inserted without a scan, equal to the prepared body', async (t) => {
  const r = seededRandom(7);
  let inserted = 0;
  for (let i = 0; i < 2000; i++) {
    const raw = Buffer.from(serialise(r, randomChat(r)));
    const parsed = JSON.parse(raw.toString('utf8').replace(/^\ufeff/, '')) as ChatCompletionRequest;
    const edits = openaiNativeEdits(parsed, parsed.model, false, false);
    if (edits === null || edits.replace.size > 0 || edits.drop.size > 0 || edits.add.size === 0) continue;
    const out = insertMembers(raw, edits.add);
    if (out === null) {
      t.fail(`not inserted: ${raw.toString()}`);
      continue;
    }
    inserted++;
    sameAfterParse(t, out, prepareOpenaiChatRequest(parsed, { model: parsed.model, allowExtensions: true }).body, raw);
  }
  t.ok(inserted > 80, `${inserted} bodies took the insertion path`);
});

t.test('editBody: insertion at any size, the scanner only on large bodies', async (t) => {
  const small = { model: 'a', stream: true, messages: [{ role: 'user', content: 'hi' }] } as unknown as ChatCompletionRequest;
  const large = { ...small, messages: [{ role: 'user', content: 'x'.repeat(SCAN_MIN_BYTES) }] } as unknown as ChatCompletionRequest;
  for (const body of [small, large]) {
    const raw = Buffer.from(JSON.stringify(body));
    const added = editBody(raw, openaiNativeEdits(body, 'a', false, false)!);
    t.not(added, null, `stream_options inserted (${raw.length} B)`);
    const renamed = editBody(raw, openaiNativeEdits(body, 'b', false, false)!);
    if (raw.length < SCAN_MIN_BYTES) t.equal(renamed, null, 'a small body is re-serialised for a rename');
    else sameAfterParse(t, renamed!, prepareOpenaiChatRequest(body, { model: 'b' }).body, raw);
  }
});

t.test('renameModel: an Anthropic body with a long history keeps everything but the model', async (t) => {
  const body = {
    system: [{ type: 'text', text: 'be "brief" {}', cache_control: { type: 'ephemeral' } }],
    messages: Array.from({ length: 60 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text: `turn ${i} \\" ${'y'.repeat(400)}` }] })),
    model: 'claude-alias',
    max_tokens: 1024,
    stream: true,
  };
  const raw = Buffer.from(JSON.stringify(body, null, 1));
  t.ok(raw.length >= SCAN_MIN_BYTES, 'large enough for the byte edit');
  const out = renameModel(raw, 'claude-sonnet-4-20250514');
  t.not(out, null);
  t.strictSame(JSON.parse(out!.toString()), { ...body, model: 'claude-sonnet-4-20250514' });
  t.equal(renameModel(Buffer.from(JSON.stringify({ ...body, messages: [] })), 'x'), null, 'a small one is re-serialised');
});

t.test('completions: stream_options inserted, the rest byte for byte', async (t) => {
  const raw = Buffer.from(' { "model" : "a", "prompt": "say }", "stream": true }');
  const body = JSON.parse(raw.toString()) as CompletionRequest;
  const out = insertMembers(raw, openaiNativeEdits(body, 'a', false, false)!.add)!;
  t.strictSame(sortKeys(JSON.parse(out.toString())), sortKeys(prepareOpenaiCompletionRequest(body, { model: 'a' }).body));
  t.equal(out.toString(), '{"stream_options":{"include_usage":true}, "model" : "a", "prompt": "say }", "stream": true }');
});

t.test('not where it should be: null, so the caller re-serialises', async (t) => {
  const rename = { add: new Map<string, string>(), replace: new Map([['model', '"x"']]), drop: new Set<string>() };
  t.equal(spliceMembers(Buffer.from('{"model":"a","model":"b"}'), rename), null, 'a key being edited appears twice');
  t.equal(spliceMembers(Buffer.from('{"model":"a","mod\\u0065l":"b"}'), rename), null, 'also when one spelling is escaped');
  t.equal(spliceMembers(Buffer.from('{"other":"a"}'), rename), null, 'a key to replace is missing');
  t.equal(spliceMembers(Buffer.from('{"model":"a"}'), { ...rename, add: new Map([['model', '1']]) }), null, 'a key to add is there');
  t.equal(spliceMembers(Buffer.from('[1,2]'), rename), null, 'not an object');
  t.equal(spliceMembers(Buffer.from('{"model":"a"'), rename), null, 'truncated');
  t.not(spliceMembers(Buffer.from('{"messages":[],"messages":[1],"model":"a"}'), rename), null, 'duplicates of untouched keys stay as sent');
  t.equal(insertMembers(Buffer.from('[]'), new Map([['x', '1']])), null, 'insert: not an object');
  t.equal(insertMembers(Buffer.from(' { } '), new Map([['x', '1']])), null, 'insert: an empty object');
  t.equal(insertMembers(Buffer.from('\ufeff{"a":1}'), new Map([['x', '1']]))?.toString(), '{"x":1,"a":1}', 'a BOM is not forwarded');
});

t.test('members: edge layouts', async (t) => {
  t.strictSame(topLevelMembers(Buffer.from('{}')), []);
  t.strictSame(topLevelMembers(Buffer.from(' { } ')), []);
  t.strictSame(
    topLevelMembers(Buffer.from('{"a":-1.5e3,"b" : [ "]" ] ,"c":{"d":"\\"}"},"e":true}'))?.map((m) => m.key),
    ['a', 'b', 'c', 'e'],
  );
  const none = new Map<string, string>();
  t.equal(spliceMembers(Buffer.from('{"stream_options":null,"top_k":1}'), { add: none, replace: none, drop: new Set(['stream_options', 'top_k']) })?.toString(), '{}', 'every member dropped');
  t.equal(spliceMembers(Buffer.from('{"a":1,"b":2,"c":3}'), { add: none, replace: none, drop: new Set(['b', 'c']) })?.toString(), '{"a":1}');
  t.equal(spliceMembers(Buffer.from('{"a":1,"b":2}'), { add: new Map([['z', '0']]), replace: new Map([['a', '9']]), drop: new Set(['b']) })?.toString(), '{"z":0,"a":9}');
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

t.test('a small body whose numbers would not survive re-serialising is edited on its bytes', async (t) => {
  const numbers = '"seed":9223372036854775807,"x":-0,"y":1.0,"z":1e400,"w":1E5,"tiny":0.0000001,"big":12345678901234567890,"frac":1234567.123456789012';
  for (const member of numbers.split(',')) {
    const raw = Buffer.from(`{"model":"alias","messages":[{"role":"user","content":"hi"}],${member}}`);
    t.ok(raw.length < SCAN_MIN_BYTES);
    const renamed = renameModel(raw, 'up-model');
    t.equal(renamed?.toString(), `{"model":"up-model","messages":[{"role":"user","content":"hi"}],${member}}`, member);
  }
  // Numbers JSON.stringify gives back as written: the cheaper re-serialisation is kept (null).
  t.equal(renameModel(Buffer.from('{"model":"alias","max_tokens":16,"temperature":0.7,"top_p":1,"seed":42,"n":-3,"p":0.05}'), 'up-model'), null);
});
