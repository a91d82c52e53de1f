/**
 * The RegExp-free wildcard matchers: the same answers (and, for model globs, the same captured
 * runs) as the RegExps they replaced, on many random short inputs; and long adversarial names,
 * on which those RegExps backtracked for seconds, answered at once.
 */
import t from 'tap';
import { globRuns, wildcardMatches } from '../../src/routing/wildcard.js';
import { seeded } from './fixtures/index.js';

/** The model-glob RegExp the resolver used: each `*` a greedy non-empty run without `*`. */
function oldGlobRuns(glob: string, text: string): string[] | undefined {
  const body = glob
    .split('*')
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('([^*]+)');
  const match = new RegExp(`^${body}$`).exec(text);
  return match ? match.slice(1) : undefined;
}

/** The allowlist RegExp: `*` any run, `?` one character. */
function oldAllowlistMatch(pattern: string, text: string): boolean {
  let source = '^';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's').test(text);
}

function randomString(random: () => number, alphabet: string, maxLength: number): string {
  let out = '';
  const length = Math.floor(random() * (maxLength + 1));
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

t.test('model globs: the same matches and runs as the RegExp, on random inputs', async (t) => {
  const random = seeded(7);
  let matched = 0;
  let mismatches = 0;
  for (let i = 0; i < 20_000; i++) {
    const glob = randomString(random, 'ab/-**', 7);
    if (!glob.includes('*')) continue;
    const text = randomString(random, 'ab/-*\n', 10);
    const expected = oldGlobRuns(glob, text);
    const actual = globRuns(glob.split('*'), text);
    if (expected !== undefined) matched++;
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      if (mismatches++ < 10) t.fail(`${JSON.stringify(glob)} on ${JSON.stringify(text)}: ${JSON.stringify(actual)}, the RegExp ${JSON.stringify(expected)}`);
    }
  }
  t.equal(mismatches, 0, 'no difference');
  t.ok(matched > 500, `enough matching cases (${matched})`);
});

t.test('model globs: earlier runs are as long as possible, as the RegExp captured them', async (t) => {
  t.strictSame(globRuns('*-via-*'.split('*'), 'a-via-b-via-c'), ['a-via-b', 'c']);
  t.strictSame(globRuns('*/*'.split('*'), 'a/b/c'), ['a/b', 'c']);
  t.strictSame(globRuns('a**'.split('*'), 'abcd'), ['bc', 'd'], 'adjacent stars: each takes at least one character');
  t.equal(globRuns('a**'.split('*'), 'ab'), undefined);
  t.equal(globRuns('ab*ba'.split('*'), 'aba'), undefined, 'literals may not overlap');
});

t.test('allowlist globs: the same answers as the RegExp, on random inputs', async (t) => {
  const random = seeded(11);
  let allowed = 0;
  let mismatches = 0;
  for (let i = 0; i < 20_000; i++) {
    const pattern = randomString(random, 'ab/?**', 7);
    const text = randomString(random, 'ab/?*\n', 10);
    const expected = oldAllowlistMatch(pattern, text);
    if (expected) allowed++;
    if (wildcardMatches(pattern, text, true) !== expected && mismatches++ < 10) t.fail(`${JSON.stringify(pattern)} on ${JSON.stringify(text)}: the RegExp says ${expected}`);
  }
  t.equal(mismatches, 0, 'no difference');
  t.ok(allowed > 500, `enough allowed cases (${allowed})`);
  t.ok(wildcardMatches('a?c', 'a?c', false), 'without questionMark, ? is literal');
  t.notOk(wildcardMatches('a?c', 'abc', false));
});

// Before: the RegExps took 1.4 s (`*/*`) and 3.8 s (`gpt-*-*-mini`) on these 40 KB names.
t.test('long adversarial names are answered at once', async (t) => {
  const slashes = `${'a/'.repeat(20_000)}*`;
  t.equal(globRuns('*/*'.split('*'), slashes), undefined, 'a name with a * matches no glob');
  const dashes = `gpt-${'-'.repeat(40_000)}`;
  t.equal(globRuns('gpt-*-*-mini'.split('*'), dashes), undefined);
  t.equal(globRuns('*-*-*-mini'.split('*'), `${dashes}mini`)?.length, 3);
  t.notOk(wildcardMatches('gpt-*-*-mini', dashes, true));
  t.notOk(wildcardMatches('gpt-*-*-mini', `${dashes}x`, true));
  t.ok(wildcardMatches('gpt-*-*-mini', `${dashes}-mini`, true));
  t.notOk(wildcardMatches('*a*a*a*a*b', 'a'.repeat(40_000), true));
});
