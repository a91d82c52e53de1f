import t, { type Test } from 'tap';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { inspect } from 'node:util';
import type { GatewayConfig } from '@gatewayd/shared';
import { GatewayError } from '@gatewayd/shared/errors';
import { Authenticator, bearerToken, forbiddenModelError, presentedKeys, type AuthMode, type Caller } from '../../src/auth/index.js';

const TEAM_A = 'gw-team-a-0123456789abcdef';
const TEAM_B = 'gw-team-b-fedcba9876543210';
const PROVIDER = 'sk-provider-key-not-a-gateway-key';
const fp = (key: string) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);

function authConfig(mode: AuthMode, withKeys = true): GatewayConfig['auth'] {
  return {
    mode,
    keys: withKeys
      ? [
          { name: 'team-a', key: TEAM_A, limits: { rpm: 600, tpm: 200000, concurrency: 20 } },
          { name: 'team-b', key: TEAM_B, models: ['gpt-*', 'claude-sonnet-4', 'openai/*'] },
        ]
      : [],
  };
}

type Presentation = { label: string; authorization: string; xApiKey: string };
function presentations(key: string): Presentation[] {
  return [
    { label: 'bearer', authorization: `Bearer ${key}`, xApiKey: '' },
    { label: 'lowercase bearer, padded', authorization: `  bearer   ${key}  `, xApiKey: '' },
    { label: 'x-api-key', authorization: '', xApiKey: key },
    { label: 'both headers, same key', authorization: `Bearer ${key}`, xApiKey: key },
  ];
}

function isCaller(value: Caller | GatewayError): value is Caller {
  return !(value instanceof GatewayError);
}

function assertUnauthorized(t: Test, result: Caller | GatewayError, presentedKey?: string): void {
  t.type(result, GatewayError, 'a GatewayError');
  if (!(result instanceof GatewayError)) return;
  t.equal(result.code, 'GW_ERR_UNAUTHORIZED');
  t.equal(result.status, 401);
  t.match(result.headers, { 'www-authenticate': /^Bearer/ });
  if (presentedKey) t.notOk(result.message.includes(presentedKey), 'the message never echoes the key');
}

t.test('credential parsing', async (t) => {
  t.equal(bearerToken('Bearer abc'), 'abc');
  t.equal(bearerToken('BEARER\tabc '), 'abc');
  t.equal(bearerToken('Basic dXNlcjpwYXNz'), '', 'other schemes carry no key');
  t.equal(bearerToken('Bearer'), '', 'scheme without a token');
  t.equal(bearerToken('Bearerabc'), '', 'no separator after the scheme');
  t.equal(bearerToken('abc'), '');
  t.same(presentedKeys('', ''), []);
  t.same(presentedKeys('Bearer   ', '   '), [], 'blank values are absent');
  t.same(presentedKeys('Bearer a', 'a'), ['a'], 'same key in both headers counts once');
  t.same(presentedKeys('Bearer a', 'b'), ['b', 'a'], 'x-api-key first when they differ');
  t.same(presentedKeys('Basic zzz', 'b'), ['b']);
});

t.test('every mode x key presence x key kind', async (t) => {
  for (const mode of ['gateway', 'client', 'hybrid'] as const) {
    const auth = new Authenticator(authConfig(mode));
    t.test(`${mode}: no key`, async (t) => assertUnauthorized(t, auth.authenticate('', '')));
    t.test(`${mode}: non-bearer authorization only`, async (t) => {
      const result = auth.authenticate(`Basic ${TEAM_A}`, '');
      assertUnauthorized(t, result, TEAM_A);
      t.match((result as GatewayError).message, /not "Bearer <key>"/, 'a key sent wrongly is not called missing');
      t.match((auth.authenticate('', '') as GatewayError).message, /^missing API key/);
    });
    for (const p of presentations(TEAM_A)) {
      t.test(`${mode}: gateway key via ${p.label}`, async (t) => {
        const result = auth.authenticate(p.authorization, p.xApiKey);
        if (mode === 'client') {
          assertUnauthorized(t, result, TEAM_A);
          return;
        }
        t.ok(isCaller(result));
        t.same(result, { keyName: 'team-a', keyId: fp(TEAM_A), limits: { rpm: 600, tpm: 200000, concurrency: 20 }, allowedModels: undefined, providerKey: undefined });
        t.notOk(JSON.stringify(result).includes(TEAM_A), 'the caller does not carry the gateway key');
      });
    }
    for (const p of presentations(PROVIDER)) {
      t.test(`${mode}: provider key via ${p.label}`, async (t) => {
        const result = auth.authenticate(p.authorization, p.xApiKey);
        if (mode === 'gateway') {
          assertUnauthorized(t, result, PROVIDER);
          if (result instanceof GatewayError) t.match(result.message, fp(PROVIDER), 'at most the fingerprint is shown');
          return;
        }
        t.same(result, { keyName: null, keyId: null, limits: undefined, allowedModels: undefined, providerKey: PROVIDER });
      });
    }
    t.test(`${mode}: gateway key in one header, provider key in the other`, async (t) => {
      for (const [authorization, xApiKey] of [
        [`Bearer ${TEAM_B}`, PROVIDER],
        [`Bearer ${PROVIDER}`, TEAM_B],
      ] as const) {
        const result = auth.authenticate(authorization, xApiKey);
        if (mode === 'client') {
          assertUnauthorized(t, result, TEAM_B);
          continue;
        }
        t.ok(isCaller(result));
        if (!isCaller(result)) continue;
        t.equal(result.keyName, 'team-b', 'the gateway key wins, in either header');
        t.equal(result.providerKey, undefined, 'the other key is not passed upstream');
      }
    });
    t.test(`${mode}: two different provider keys`, async (t) => {
      const result = auth.authenticate('Bearer sk-from-authorization', 'sk-from-x-api-key');
      if (mode === 'gateway') return assertUnauthorized(t, result);
      t.ok(isCaller(result));
      if (isCaller(result)) t.equal(result.providerKey, 'sk-from-x-api-key', 'x-api-key is preferred');
    });
  }
});

t.test('no auth.keys configured', async (t) => {
  for (const mode of ['client', 'hybrid'] as const) {
    const auth = new Authenticator(authConfig(mode, false));
    t.same(auth.authenticate('', ''), { keyName: null, keyId: null, limits: undefined, allowedModels: undefined, providerKey: undefined }, `${mode}: open without a key`);
    t.same(auth.authenticate(`Bearer ${PROVIDER}`, ''), { keyName: null, keyId: null, limits: undefined, allowedModels: undefined, providerKey: PROVIDER }, `${mode}: a presented key is passed through`);
  }
  const gateway = new Authenticator(authConfig('gateway', false));
  assertUnauthorized(t, gateway.authenticate('', ''));
  assertUnauthorized(t, gateway.authenticate(`Bearer ${PROVIDER}`, ''), PROVIDER);
  // A key whose ${ENV} was unset is '' and must never match an empty presentation.
  const disabled = new Authenticator({ mode: 'hybrid', keys: [{ name: 'unset', key: '' }] });
  t.same(disabled.authenticate('', ''), { keyName: null, keyId: null, limits: undefined, allowedModels: undefined, providerKey: undefined }, 'a disabled key does not count as configured');
  const gatewayDisabled = new Authenticator({ mode: 'gateway', keys: [{ name: 'unset', key: '' }] });
  assertUnauthorized(t, gatewayDisabled.authenticate('Bearer ', ''));
});

t.test('a gateway key is never returned as providerKey, in any mode or header', async (t) => {
  for (const mode of ['gateway', 'client', 'hybrid'] as const) {
    const auth = new Authenticator(authConfig(mode));
    for (const key of [TEAM_A, TEAM_B]) {
      for (const p of [...presentations(key), { label: 'mixed', authorization: `Bearer ${key}`, xApiKey: PROVIDER }]) {
        const result = auth.authenticate(p.authorization, p.xApiKey);
        if (isCaller(result)) t.not(result.providerKey, key, `${mode} ${p.label}`);
        else t.notOk(result.message.includes(key), `${mode} ${p.label}: 401 without the key`);
      }
    }
  }
});

t.test('a key sent wrongly (a second Bearer, joined keys, quotes, spaces) is a 401 in every mode, never a provider key carrying a gateway key upstream', async (t) => {
  const wrapped = (key: string): Presentation[] => [
    { label: 'Bearer twice', authorization: `Bearer Bearer ${key}`, xApiKey: '' },
    { label: 'Bearer in x-api-key', authorization: '', xApiKey: `Bearer ${key}` },
    { label: 'x-api-key joined by a proxy', authorization: '', xApiKey: `${key}, ${key}` },
    { label: 'authorization joined', authorization: `Bearer ${key},${key}`, xApiKey: '' },
    { label: 'trailing word', authorization: `Bearer ${key} extra`, xApiKey: '' },
    { label: 'quoted', authorization: `Bearer "${key}"`, xApiKey: '' },
    { label: 'a control byte', authorization: '', xApiKey: `${key}\u0001` },
  ];
  for (const mode of ['gateway', 'client', 'hybrid'] as const) {
    for (const withKeys of [true, false]) {
      const auth = new Authenticator(authConfig(mode, withKeys));
      for (const key of [TEAM_A, PROVIDER]) {
        for (const p of wrapped(key)) assertUnauthorized(t, auth.authenticate(p.authorization, p.xApiKey), key);
      }
    }
  }
  const hybrid = new Authenticator(authConfig('hybrid'));
  const plain = hybrid.authenticate('', 'sk-ant-api03-AbC_d-e.f~g+h/i=');
  t.ok(isCaller(plain) && plain.providerKey === 'sk-ant-api03-AbC_d-e.f~g+h/i=', 'a well-formed provider key still passes');
});

t.test('gateway keys are kept only as digests and compared against every key', async (t) => {
  const auth = new Authenticator(authConfig('gateway'));
  const dump = inspect(auth, { depth: 10, showHidden: true });
  t.notOk(dump.includes(TEAM_A) || dump.includes(TEAM_B), 'no plaintext key inside the authenticator');

  const original = crypto.timingSafeEqual;
  let calls = 0;
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls++;
    return original(a, b);
  }) as typeof crypto.timingSafeEqual;
  syncBuiltinESMExports();
  t.teardown(() => {
    crypto.timingSafeEqual = original;
    syncBuiltinESMExports();
  });
  for (const [label, key] of [['first key', TEAM_A], ['last key', TEAM_B], ['no match', PROVIDER]] as const) {
    calls = 0;
    auth.authenticate(`Bearer ${key}`, '');
    t.equal(calls, 2, `${label}: both stored digests compared (no early exit)`);
  }
});

t.test('allows(): per-key allowlists with globs', async (t) => {
  const auth = new Authenticator(authConfig('hybrid'));
  const teamA = auth.authenticate(`Bearer ${TEAM_A}`, '') as Caller;
  const teamB = auth.authenticate(`Bearer ${TEAM_B}`, '') as Caller;
  const provider = auth.authenticate(`Bearer ${PROVIDER}`, '') as Caller;
  for (const model of ['gpt-4o', 'claude-sonnet-4', 'anything', '']) {
    t.ok(auth.allows(teamA, model), `no allowlist: ${model || '(empty)'} allowed`);
    t.ok(auth.allows(provider, model), `provider key: ${model || '(empty)'} allowed`);
  }
  const table: Array<[string, boolean]> = [
    ['gpt-4o', true],
    ['gpt-4o-mini', true],
    ['gpt-', true],
    ['claude-sonnet-4', true],
    ['claude-sonnet-4-20250514', false],
    ['openai/gpt-4o', true],
    ['openai/nested/model', true],
    ['xgpt-4o', false],
    ['GPT-4o', false],
    ['demo', false],
  ];
  for (const [model, allowed] of table) t.equal(auth.allows(teamB, model), allowed, `team-b ${model}: ${allowed}`);
  const odd: Caller = { ...teamB, allowedModels: ['a.b', 'x?z', 'p(1)*'] };
  t.ok(auth.allows(odd, 'a.b'));
  t.notOk(auth.allows(odd, 'aXb'), 'a dot is literal');
  t.ok(auth.allows(odd, 'xyz'), '? matches one character');
  t.notOk(auth.allows(odd, 'xz'));
  t.ok(auth.allows(odd, 'p(1)-large'), 'regex characters are literal');
  t.notOk(auth.allows({ ...teamB, allowedModels: [] }, 'gpt-4o'), 'an empty allowlist allows nothing');
  // Before: a backtracking RegExp, 3.8 s on this 40 KB name.
  const twoStars: Caller = { ...teamB, allowedModels: ['gpt-*-*-mini'] };
  const dashes = `gpt-${'-'.repeat(40_000)}`;
  t.notOk(auth.allows(twoStars, dashes), 'a long adversarial name is refused at once');
  t.ok(auth.allows(twoStars, `${dashes}-mini`));
  const forbidden = forbiddenModelError(teamB, 'demo');
  t.equal(forbidden.code, 'GW_ERR_FORBIDDEN_MODEL');
  t.equal(forbidden.status, 403);
  t.match(forbidden.message, /key "team-b".*"demo"/);
});

t.test('without a gateway key, a call with an Origin must come from an allowed origin', async (t) => {
  const allowed = (origin: string) => origin === 'https://app.example.com';
  for (const mode of ['hybrid', 'client'] as const) {
    const auth = new Authenticator(authConfig(mode, false), allowed);
    t.ok(isCaller(auth.authenticate('', '', '')), `${mode}: no Origin (an SDK) is served`);
    t.ok(isCaller(auth.authenticate('', '', 'https://app.example.com')), `${mode}: a listed origin is served`);
    const refused = auth.authenticate('', '', 'https://evil.example.net');
    t.type(refused, GatewayError);
    t.equal((refused as GatewayError).code, 'GW_ERR_FORBIDDEN_ORIGIN', `${mode}: an unlisted origin is refused`);
    t.equal((refused as GatewayError).status, 403);
    // A DNS-rebinding page can set any key header: a made-up key must not get it through.
    t.equal((auth.authenticate(`Bearer ${PROVIDER}`, '', 'https://evil.example.net') as GatewayError).code, 'GW_ERR_FORBIDDEN_ORIGIN', `${mode}: nor with a provider key`);
    const own = auth.authenticate(`Bearer ${PROVIDER}`, '', 'https://app.example.com');
    t.ok(isCaller(own) && own.providerKey === PROVIDER, `${mode}: a listed page with its own provider key spends that key`);
  }
  const keyed = new Authenticator(authConfig('hybrid'), allowed);
  assertUnauthorized(t, keyed.authenticate('', '', 'https://evil.example.net'));
  t.equal((keyed.authenticate(`Bearer ${PROVIDER}`, '', 'https://evil.example.net') as GatewayError).code, 'GW_ERR_FORBIDDEN_ORIGIN', 'hybrid with keys: a provider key from an unlisted page');
  const teamA = keyed.authenticate(`Bearer ${TEAM_A}`, '', 'https://evil.example.net');
  t.ok(isCaller(teamA) && teamA.keyName === 'team-a', "a gateway key is its holder's to use from any page");
  const client = new Authenticator(authConfig('client'), allowed);
  t.equal((client.authenticate(`Bearer ${PROVIDER}`, '', 'null') as GatewayError).code, 'GW_ERR_FORBIDDEN_ORIGIN', 'client mode with keys: likewise');
  const long = new Authenticator(authConfig('hybrid', false)).authenticate('', '', `https://${'a'.repeat(5000)}.example`);
  t.ok((long as GatewayError).message.length < 600, 'a huge Origin is clipped in the message');
});
