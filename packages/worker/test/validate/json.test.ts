import t from 'tap';
import { GatewayError } from '@gatewayd/shared/errors';
import { locateJsonError, parseJsonBody } from '../../src/validate/index.js';

t.test('valid JSON parses, whatever its top-level type', async (t) => {
  t.same(parseJsonBody(Buffer.from('{"model":"m","messages":[]}')), { model: 'm', messages: [] });
  t.same(parseJsonBody(Buffer.from('  [1, 2]\n')), [1, 2]);
  t.equal(parseJsonBody(Buffer.from('null')), null, 'null is a JSON value (validators reject it)');
  t.same(parseJsonBody(Buffer.from('\ufeff{"a":1}')), { a: 1 }, 'a UTF-8 BOM is ignored');
  t.same(parseJsonBody(Buffer.from('{"text":"h\\u00e9llo \u00e9 \ud83d\ude00"}')), { text: 'héllo é 😀' });
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  t.ok(Array.isArray(parseJsonBody(Buffer.from(deep))), 'deep nesting does not overflow');
});

t.test('__proto__ keys stay data, nothing is polluted', async (t) => {
  const parsed = parseJsonBody(Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'));
  t.ok(parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, '__proto__'), 'an own property named __proto__');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

/** [label, body, position, line, column, reason pattern] */
const bad: Array<[string, string, number, number, number, RegExp]> = [
  ['missing value', '{"a":}', 5, 1, 6, /unexpected character "}", expected a value/],
  ['unterminated object', '{"a":1', 6, 1, 7, /unexpected end of input, expected ',' or '}'/],
  ['trailing comma in array', '[1,2,]', 5, 1, 6, /unexpected character "]", expected a value/],
  ['trailing comma in object', '{"a":1,}', 7, 1, 8, /expected a property name in double quotes/],
  ['garbage after the value', '{"a":1}x', 7, 1, 8, /after the end of the JSON value/],
  ['two values', '{} {}', 3, 1, 4, /after the end/],
  ['unquoted key', '{a:1}', 1, 1, 2, /expected a property name in double quotes/],
  ['single quotes', "{'a':1}", 1, 1, 2, /expected a property name/],
  ['missing colon', '{"a" 1}', 5, 1, 6, /expected ':' after a property name/],
  ['bare word', '{"a": hello}', 6, 1, 7, /unexpected word "hello".*double quotes/],
  ['truncated literal at the end', 'nul', 3, 1, 4, /unexpected end of input/],
  ['misspelled literal', '{\n  "a": tru\n}', 9, 2, 8, /unexpected word "tru"/],
  ['control character in a string', '{"a":"\u0001"}', 6, 1, 7, /control character/],
  ['raw newline in a string', '{"a":"x\ny"}', 7, 1, 8, /control character/],
  ['bad escape', '{"a":"\\q"}', 6, 1, 7, /invalid escape/],
  ['bad unicode escape', '{"a":"\\u12G4"}', 6, 1, 7, /invalid \\u escape/],
  ['unterminated string', '{"a":"xyz', 5, 1, 6, /unterminated string/],
  ['leading zero', '[01]', 1, 1, 2, /invalid number/],
  ['lonely minus', '[-]', 1, 1, 2, /invalid number/],
  ['fraction without digits', '[1.]', 1, 1, 2, /invalid number/],
  ['NaN', '{"t":NaN}', 5, 1, 6, /unexpected word "NaN"/],
  ['open bracket only', '[', 1, 1, 2, /unexpected end of input/],
  ['mismatched bracket', '[1}', 2, 1, 3, /expected ',' or ']'/],
  ['third line', '{\n"a": 1,\n"b": }', 15, 3, 6, /expected a value/],
];

t.test('malformed JSON: GW_ERR_BAD_JSON with where and what', async (t) => {
  for (const [label, text, position, line, column, reason] of bad) {
    let thrown = false;
    try {
      JSON.parse(text);
    } catch {
      thrown = true;
    }
    t.ok(thrown, `${label}: JSON.parse agrees it is invalid`);
    const result = parseJsonBody(Buffer.from(text));
    t.type(result, GatewayError, label);
    if (!(result instanceof GatewayError)) continue;
    t.equal(result.code, 'GW_ERR_BAD_JSON');
    t.equal(result.status, 400);
    t.match(result.message, reason, `${label}: ${result.message}`);
    t.match(result.message, `line ${line}, column ${column} (position ${position})`, `${label}: located`);
    t.same(locateJsonError(text), { reason: locateJsonError(text).reason, position, line, column });
  }
});

t.test('empty and binary bodies', async (t) => {
  for (const body of [Buffer.alloc(0), Buffer.from('   \n')]) {
    const result = parseJsonBody(body);
    t.type(result, GatewayError);
    if (result instanceof GatewayError) t.match(result.message, /empty/);
  }
  const binary = parseJsonBody(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
  t.type(binary, GatewayError, 'invalid UTF-8 is a JSON error, not a crash');
  const secret = 'sk-live-very-secret-value-that-must-not-be-echoed';
  const echoed = parseJsonBody(Buffer.from(`{"api_key": ${secret}}`));
  t.type(echoed, GatewayError);
  if (echoed instanceof GatewayError) t.notOk(echoed.message.includes(secret), 'long words are truncated, the body is not echoed');
});
