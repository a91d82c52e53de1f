/** The streamed tool-argument checker: valid objects pass whole; any broken text closes into an object. */
import t from 'tap';
import { JsonObjectPrefix, toolInputOf } from '../../src/protocol/json-object-prefix.js';

const VALID = [
  '{}',
  ' { } ',
  '{"city":"Paris"}',
  '{"a":[1,-2.5e+3,0,0.25,1E9,true,false,null,{"b":[]}],"s":"x\\"y\\\\z\\u00e9\\n","e":{}}',
  '{\n  "path": "/tmp/a b",\n  "lines": [ "one", "two" ],\n  "n": -0\n}',
  '{"emoji":"😀","nested":{"deep":{"deeper":[[[]]]}}}',
];

/** What is passed on of `text` (pushed in pieces of `size`) and its closing. */
function repaired(text: string, size: number): { text: string; complete: boolean } {
  const prefix = new JsonObjectPrefix();
  let accepted = '';
  for (let i = 0; i < text.length; i += size) {
    accepted += prefix.push(text.slice(i, i + size));
  }
  return { text: accepted + prefix.closing(), complete: prefix.complete };
}

t.test('valid objects are accepted whole, in pieces of any size, and need no closing', async (t) => {
  for (const text of VALID) {
    for (const size of [1, 2, 3, 7, text.length]) {
      const result = repaired(text, size);
      t.equal(result.text, text, `${text} in pieces of ${size}`);
      t.ok(result.complete);
    }
  }
});

t.test('every prefix of a valid object closes into an object', async (t) => {
  for (const text of VALID) {
    for (let cut = 0; cut <= text.length; cut++) {
      const closed = repaired(text.slice(0, cut), 1).text;
      let value: unknown;
      t.doesNotThrow(() => (value = JSON.parse(closed)), `${JSON.stringify(text.slice(0, cut))} -> ${closed}`);
      t.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'an object');
    }
  }
});

t.test('broken arguments keep what was valid, closed', async (t) => {
  t.same(toolInputOf('{"city": Paris}'), { city: null }, 'an unquoted string');
  t.same(toolInputOf('{"city": "Paris"'), { city: 'Paris' }, 'cut before the brace');
  t.same(toolInputOf('{"a":1}}'), { a: 1 }, 'trailing text after the object');
  t.same(toolInputOf('{"a":1,}'), { a: 1 }, 'a trailing comma: held back until something follows it, so nothing is made up for it');
  t.same(toolInputOf('{"a":[1, 2, ]}'), { a: [1, 2] }, 'in an array too');
  t.same(toolInputOf('{"a":1, "b'), { a: 1, b: null }, 'a comma followed by a key is passed on');
  t.same(toolInputOf('{"a":tru'), { a: true });
  t.same(toolInputOf('{"a":1.'), { a: 1.0 });
  t.same(toolInputOf('{"a":"\\u00'), { a: '\u0000' });
  t.same(toolInputOf('{"a'), { a: null }, 'inside a key');
  t.same(toolInputOf('[1,2]'), {}, 'not an object');
  t.same(toolInputOf('null'), {});
  t.same(toolInputOf(''), {});
  t.same(toolInputOf('{"ok":{"x":[1,2]}}'), { ok: { x: [1, 2] } }, 'valid arguments as parsed');
  t.same(toolInputOf('{"a":"line\nbreak"}'), { a: 'line' }, 'a raw control character ends the valid part');
});

t.test('random corruptions of valid objects always close into an object', async (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const noise = ['}', ']', '{', '[', ',', ':', '"', '\\', 'x', '1', '-', 'e', '.', ' ', 'n', '\n', 'u'];
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const base = VALID[i % VALID.length] as string;
    const at = Math.floor(random() * (base.length + 1));
    const text = base.slice(0, at) + (noise[Math.floor(random() * noise.length)] as string) + base.slice(at);
    const closed = repaired(text, 1 + Math.floor(random() * 5)).text;
    try {
      const value: unknown = JSON.parse(closed);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) failures++;
    } catch {
      failures++;
      if (failures < 5) t.fail(`${JSON.stringify(text)} closed as ${JSON.stringify(closed)}`);
    }
  }
  t.equal(failures, 0, '3000 corrupted objects');
});
