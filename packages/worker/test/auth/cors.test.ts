import t from 'tap';
import { Cors, DEFAULT_ALLOW_HEADERS } from '../../src/auth/index.js';
import { OriginPattern } from '../../src/auth/origin-pattern.js';

type Headers = Array<[string, string]> | null;
const header = (headers: Headers, name: string) => headers?.find(([key]) => key === name)?.[1];

const configs = {
  none: [] as string[],
  star: ['*'],
  exact: ['https://app.example.com', 'http://localhost:3000/'],
  wildcard: ['https://*.example.com', 'http://localhost:*'],
};

/** [config, origin, expected allow-origin or null] */
const matrix: Array<[keyof typeof configs, string, string | null]> = [
  ['none', 'https://app.example.com', null],
  ['none', '', null],
  ['star', 'https://anything.test', '*'],
  ['star', 'null', '*'],
  ['star', '', null],
  ['exact', 'https://app.example.com', 'https://app.example.com'],
  ['exact', 'HTTPS://APP.EXAMPLE.COM', 'HTTPS://APP.EXAMPLE.COM'],
  ['exact', 'http://localhost:3000', 'http://localhost:3000'],
  ['exact', 'https://app.example.com:443', 'https://app.example.com:443'],
  ['exact', 'http://app.example.com', null],
  ['exact', 'https://evil.example.com', null],
  ['exact', 'https://app.example.com.evil.test', null],
  ['exact', 'http://localhost:3001', null],
  ['exact', '', null],
  ['wildcard', 'https://app.example.com', 'https://app.example.com'],
  ['wildcard', 'https://a.b.example.com', 'https://a.b.example.com'],
  ['wildcard', 'https://example.com', null],
  ['wildcard', 'http://app.example.com', null],
  ['wildcard', 'https://app.example.com.evil.test', null],
  ['wildcard', 'https://evil.test/.example.com', null],
  ['wildcard', 'https://evilexample.com', null],
  ['wildcard', 'http://localhost', 'http://localhost'],
  ['wildcard', 'http://localhost:5173', 'http://localhost:5173'],
  ['wildcard', 'http://localhost:5173.evil.test', null],
  ['wildcard', 'http://localhost.evil.test', null],
];

t.test('actual responses: allow-origin, vary, expose-headers', async (t) => {
  for (const [config, origin, allowOrigin] of matrix) {
    const cors = new Cors(configs[config]);
    const headers = cors.headersFor(origin);
    const label = `${config} / ${origin || '(no origin)'}`;
    if (allowOrigin === null) {
      // A list of origins makes every answer depend on Origin: Vary, and nothing else.
      t.same(headers, config === 'exact' || config === 'wildcard' ? [['vary', 'origin']] : null, `${label}: no CORS headers`);
      continue;
    }
    t.equal(header(headers, 'access-control-allow-origin'), allowOrigin, `${label}: allow-origin`);
    t.equal(header(headers, 'vary'), allowOrigin === '*' ? undefined : 'origin', `${label}: vary when the origin is echoed`);
    const exposed = header(headers, 'access-control-expose-headers')?.split(', ') ?? [];
    for (const name of ['x-request-id', 'retry-after', 'x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining']) {
      t.ok(exposed.includes(name), `${label}: exposes ${name}`);
    }
    t.equal(header(headers, 'access-control-allow-credentials'), undefined, 'credentials are never allowed');
  }
  t.notOk(new Cors([]).enabled);
  t.ok(new Cors(['https://*.example.com']).enabled);
});

t.test('preflight', async (t) => {
  const requested = 'Authorization, X-Api-Key, content-type, anthropic-version, anthropic-beta, openai-organization, x-stainless-os';
  for (const [config, origin, allowOrigin] of matrix) {
    const cors = new Cors(configs[config]);
    const headers = cors.preflight(origin, 'POST', requested);
    const label = `${config} / ${origin || '(no origin)'}`;
    if (allowOrigin === null) {
      t.equal(headers, null, `${label}: not allowed`);
      continue;
    }
    t.equal(header(headers, 'access-control-allow-origin'), allowOrigin, `${label}: allow-origin`);
    t.equal(header(headers, 'access-control-allow-methods'), 'GET, POST, OPTIONS');
    t.equal(header(headers, 'access-control-allow-headers'), 'authorization, x-api-key, content-type, anthropic-version, anthropic-beta, openai-organization, x-stainless-os', 'requested headers echoed, lowercased');
    t.equal(header(headers, 'access-control-max-age'), '86400');
    const vary = (headers ?? []).filter(([name]) => name === 'vary').map(([, value]) => value).join(', ');
    t.match(vary, /access-control-request-headers/, 'the echoed answer varies with the request headers');
  }
  const cors = new Cors(['*']);
  t.equal(header(cors.preflight('https://x.test', 'POST', ''), 'access-control-allow-headers'), DEFAULT_ALLOW_HEADERS, 'defaults when none requested');
  for (const needed of ['authorization', 'x-api-key', 'content-type', 'anthropic-version', 'anthropic-beta', 'openai-organization']) {
    t.ok(DEFAULT_ALLOW_HEADERS.split(', ').includes(needed), `default allow-headers include ${needed}`);
  }
  t.equal(
    header(cors.preflight('https://x.test', 'POST', 'x-a, X-A, bad header, ok\r\nx: y, ,x-b'), 'access-control-allow-headers'),
    'x-a, x-b',
    'duplicates and invalid names are dropped, nothing odd is reflected',
  );
  const many = Array.from({ length: 200 }, (_, i) => `x-h${i}`).join(',');
  t.equal(header(cors.preflight('https://x.test', 'POST', many), 'access-control-allow-headers')?.split(', ').length, 64, 'echo is bounded');
});

/** The RegExp wildcard origins were matched with before OriginPattern. */
function oldOriginMatch(origin: string, text: string): boolean {
  const escape = (part: string) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  let source = origin;
  let port = '';
  if (source.endsWith(':*')) {
    source = source.slice(0, -2);
    port = '(?::\\d{1,5})?';
  }
  return new RegExp(`^${source.split('*').map(escape).join('[a-z0-9-]+(?:\\.[a-z0-9-]+)*')}${port}$`).test(text);
}

t.test('wildcard origins: the same answers as the RegExp they replaced, on random inputs', async (t) => {
  let seed = 5;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 2 ** 31);
  const pick = (alphabet: string, max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  let allowed = 0;
  let mismatches = 0;
  for (let i = 0; i < 20_000; i++) {
    const pattern = `${pick('a.*-*', 6)}${random() < 0.3 ? ':*' : ''}`;
    if (!pattern.includes('*')) continue;
    const text = pick('ab.-:1*', 9);
    const expected = oldOriginMatch(pattern, text);
    if (expected) allowed++;
    if (new OriginPattern(pattern).test(text) !== expected && mismatches++ < 10) t.fail(`${JSON.stringify(pattern)} on ${JSON.stringify(text)}: the RegExp says ${expected}`);
  }
  t.equal(mismatches, 0, 'no difference');
  t.ok(allowed > 200, `enough allowed cases (${allowed})`);
});

t.test('long Origins: never allowed past 300 characters; several stars answered at once', async (t) => {
  const host = `${'a.'.repeat(140)}example.com`;
  const wildcard = new Cors(['https://*.example.com', 'https://*.*.*.*.example.com']);
  t.ok(wildcard.allowed(`https://${host}`), `${host.length + 8} characters: allowed`);
  t.notOk(wildcard.allowed(`https://a${'.a'.repeat(146)}.example.com`), 'over 300 characters: refused before matching');
  t.notOk(new Cors(['*']).allowed(`https://${'a'.repeat(300)}.test`), 'even with "*"');
  // Before: the RegExp of four stars took 2 s on this 299-character Origin.
  t.notOk(wildcard.allowed(`https://${'a.'.repeat(145)}x`));
  t.notOk(new OriginPattern('https://*.*.*.*.example.com').test(`https://${'a.'.repeat(20_000)}x`), 'linear whatever the length');
});
