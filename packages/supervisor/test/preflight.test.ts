/** The operator warnings start prints (and logs) about an open gateway. */
import t from 'tap';
import { loadConfigText } from '@gatewayd/shared';
import { startupWarnings } from '../src/supervisor/preflight.js';

const configWith = (lines: string) =>
  loadConfigText(
    `
${lines}
models: []
`,
    '/t.yaml',
    {},
  ).config;

const ANY_ORIGIN = /cors\.origins allows every origin/;
const BEYOND_LOOPBACK = /is not loopback and auth\.keys is empty/;

t.test('an open gateway that any web page may call, with real provider keys behind it, is warned about', async (t) => {
  const real = 'providers: [{ name: oa, type: openai, api_keys: [sk-x-0123456789] }]';
  t.ok(startupWarnings(configWith(`${real}\ncors: { origins: ["*"] }`)).some((w) => ANY_ORIGIN.test(w)));
  t.ok(startupWarnings(configWith(`${real}\ncors: { origins: ["*"] }\nauth: { mode: client }`)).some((w) => ANY_ORIGIN.test(w)), 'client mode serves keyless calls too');
  const quiet = [
    [`${real}\ncors: { origins: ["https://app.example"] }`, 'listed origins'],
    [`${real}\ncors: { origins: ["*"] }\nauth: { keys: [{ name: a, key: gw-key-0123456789 }] }`, 'gateway keys'],
    [`providers: [{ name: local, type: mock }]\ncors: { origins: ["*"] }`, 'only the mock provider (the sample config)'],
  ] as const;
  for (const [config, why] of quiet) t.notOk(startupWarnings(configWith(config)).some((w) => ANY_ORIGIN.test(w)), why);
});

t.test('an open gateway beyond loopback is warned about', async (t) => {
  t.ok(startupWarnings(configWith('server: { host: 0.0.0.0 }\nproviders: []')).some((w) => BEYOND_LOOPBACK.test(w)));
  t.notOk(startupWarnings(configWith('server: { host: 127.0.0.1 }\nproviders: []')).some((w) => BEYOND_LOOPBACK.test(w)));
});
