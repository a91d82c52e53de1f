/**
 * auth.mode hybrid through the official SDKs: a gateway key uses the configured provider key (and
 * never travels upstream); any other key is the caller's own provider key, passed through as is,
 * and the upstream's verdict on it reaches the caller. Plus CORS from `cors.origins`.
 */
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fixtures, startGateway } from '../fakes/index.js';
import { anthropicClient, gatewayYaml, GW_KEY, MODELS, openaiClient, rejection, startUpstreams, TEXT, UPSTREAM_KEYS, UPSTREAM_MODELS } from './setup.js';

const ORIGIN = 'https://app.example';
const up = await startUpstreams(t);
const gw = await startGateway(t, gatewayYaml(up, { auth: `{ mode: hybrid, keys: [{ name: conformance, key: "${GW_KEY}" }] }`, extra: `cors: { origins: ["${ORIGIN}"] }` }));

t.test('hybrid: the gateway key uses the configured provider key', async (t) => {
  up.resetAll();
  const res = await openaiClient(gw).chat.completions.create(fixtures.openai.text(MODELS.openai));
  t.equal(res.choices[0]?.message.content, TEXT.openai);
  t.equal(up.openai.requests[0]?.key, UPSTREAM_KEYS.openai);
  t.notOk(JSON.stringify(up.openai.requests[0]?.headers).includes(GW_KEY), 'the gateway key stays at the gateway');
});

t.test('hybrid: another key is the caller’s own provider key, passed through', async (t) => {
  up.resetAll();
  const own = await openaiClient(gw, UPSTREAM_KEYS.openai).chat.completions.create(fixtures.openai.text(MODELS.openai));
  t.equal(own.choices[0]?.message.content, TEXT.openai);
  t.equal(up.openai.requests[0]?.key, UPSTREAM_KEYS.openai, 'the caller key went upstream');

  const ownAnthropic = await anthropicClient(gw, UPSTREAM_KEYS.anthropic).messages.create(fixtures.anthropic.text(MODELS.anthropic));
  t.match(ownAnthropic.content, [{ type: 'text', text: TEXT.anthropic }]);
  t.equal(up.anthropic.requests[0]?.key, UPSTREAM_KEYS.anthropic, 'as x-api-key to Anthropic');

  // Cross-protocol: an OpenAI-style caller's key reaches Gemini in Gemini's header.
  await openaiClient(gw, UPSTREAM_KEYS.gemini).chat.completions.create(fixtures.openai.text(MODELS.gemini));
  t.equal(up.gemini.requests[0]?.key, UPSTREAM_KEYS.gemini, 'as x-goog-api-key to Gemini');
  t.equal(up.gemini.requests[0]?.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini);
});

t.test('hybrid: a credential in the provider config headers or query goes with the gateway key, never with a caller’s own key', async (t) => {
  const OPERATOR = UPSTREAM_KEYS.openai; // the one key the fake accepts
  const SIGNATURE = 'operator-signed-query-credential'; // a credential in the query (a SAS-style sig)
  const FUNCTION_CODE = 'operator-azure-function-code'; // Azure Functions' ?code=
  const APIM_KEY = 'operator-apim-subscription-key'; // an API gateway's own credential header
  const headered = await startGateway(
    t,
    `
logging: { level: warn }
auth: { mode: hybrid, keys: [{ name: conformance, key: "${GW_KEY}" }] }
routing: { retries: 0 }
providers:
  - { name: bearer, type: openai, base_url: "${up.openai.url}", headers: { Authorization: "Bearer ${OPERATOR}" } }
  - { name: azure-like, type: openai, base_url: "${up.openai.url}", query: { api-version: "2024-06-01", sig: "${SIGNATURE}", code: "${FUNCTION_CODE}" }, headers: { api-key: "${OPERATOR}", ocp-apim-subscription-key: "${APIM_KEY}", x-team: platform, x-portkey-provider: openai } }
models:
  - { name: bearer-model, targets: [{ provider: bearer, model: ${UPSTREAM_MODELS.openai} }] }
  - { name: azure-model, targets: [{ provider: azure-like, model: ${UPSTREAM_MODELS.openai} }] }
`,
    { workers: 1 },
  );
  for (const model of ['bearer-model', 'azure-model']) {
    up.resetAll();
    await openaiClient(headered).chat.completions.create(fixtures.openai.text(model));
    t.match(JSON.stringify(up.openai.requests[0]?.headers), OPERATOR, `${model}: the gateway key uses the configured credential`);
    if (model === 'azure-model') {
      t.match(up.openai.requests[0]?.path, `sig=${SIGNATURE}`, `${model}: with the configured query credential`);
      t.match(up.openai.requests[0]?.path, `code=${FUNCTION_CODE}`);
      t.equal(up.openai.requests[0]?.headers['ocp-apim-subscription-key'], APIM_KEY, `${model}: and credential header`);
    }
    up.resetAll();
    const refused = await openaiClient(headered, 'sk-the-callers-own-key').chat.completions.create(fixtures.openai.text(model)).then(
      () => 200,
      (err: { status?: number }) => err.status,
    );
    t.equal(refused, 401, `${model}: the upstream judged the caller's key (and refused it), not the operator's`);
    const sent = JSON.stringify(up.openai.requests[0]?.headers);
    t.equal(up.openai.requests[0]?.key, 'sk-the-callers-own-key', `${model}: the caller's own key went upstream`);
    t.notMatch(sent, OPERATOR, `${model}: the operator's credential did not go with it`);
    t.notMatch(up.openai.requests[0]?.path, SIGNATURE, `${model}: nor the operator's query credential`);
    t.notMatch(up.openai.requests[0]?.path, FUNCTION_CODE);
    t.notMatch(sent, APIM_KEY, `${model}: nor a credential header outside the well-known names`);
    if (model === 'azure-model') {
      t.match(up.openai.requests[0]?.path, 'api-version=2024-06-01', `${model}: the other query parameters did`);
      t.equal(up.openai.requests[0]?.headers['x-team'], 'platform', `${model}: and the other headers`);
      t.equal(up.openai.requests[0]?.headers['x-portkey-provider'], 'openai', `${model}: a name that merely contains "key" is not a credential`);
    }
  }
});

t.test('hybrid: the upstream rejecting the caller’s own key is a 401 for the caller', async (t) => {
  up.resetAll();
  const err = await rejection(openaiClient(gw, 'sk-caller-wrong').chat.completions.create(fixtures.openai.text(MODELS.openai)));
  t.ok(err instanceof OpenAI.AuthenticationError, `AuthenticationError (got ${err.constructor.name}: ${err.message})`);
  t.equal(err.status, 401);
  t.equal(up.openai.requests[0]?.key, 'sk-caller-wrong', 'the caller key was tried upstream');
  t.equal(up.openai.requests.length, 1, 'a rejected caller key is not retried');

  const anthropicErr = await rejection(anthropicClient(gw, 'sk-ant-caller-wrong').messages.create(fixtures.anthropic.text(MODELS.anthropic)));
  t.ok(anthropicErr instanceof Anthropic.AuthenticationError, `AuthenticationError (got ${anthropicErr.constructor.name}: ${anthropicErr.message})`);
  t.equal(anthropicErr.error?.error?.type, 'authentication_error');
});

t.test('hybrid: no key at all is a 401 when gateway keys exist', async (t) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixtures.openai.text(MODELS.mock)) });
  t.equal(res.status, 401);
  t.match(await res.json(), { error: { type: 'authentication_error', code: 'GW_ERR_UNAUTHORIZED' } });
});

t.test('CORS: preflight and response headers for configured origins only', async (t) => {
  const preflight = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  t.ok(preflight.status === 204 || preflight.status === 200, `preflight answered (${preflight.status})`);
  t.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
  t.match(preflight.headers.get('access-control-allow-methods'), /POST/);
  t.match(preflight.headers.get('access-control-allow-headers')?.toLowerCase(), /authorization/);
  t.match(preflight.headers.get('access-control-allow-headers')?.toLowerCase(), /content-type/);

  const other = await fetch(`${gw.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  t.equal(other.headers.get('access-control-allow-origin'), null, 'no CORS grant for another origin');

  const actual = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json', authorization: `Bearer ${GW_KEY}` }, body: JSON.stringify(fixtures.openai.text(MODELS.mock)) });
  t.equal(actual.status, 200);
  t.equal(actual.headers.get('access-control-allow-origin'), ORIGIN, 'the response carries the CORS grant');
  await actual.arrayBuffer();
});
