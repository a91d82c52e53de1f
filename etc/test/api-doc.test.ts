/**
 * docs/api.md, docs/routing.md and docs/translation.md against the code: every route the worker
 * registers (its own route table, built the way the data server builds it) has a row in api.md and
 * api.md documents no other route; every GW_ERR_* code the pages name exists, with the status of the
 * error table; every config key path they name is a documented key of docs/configuration.md; links,
 * anchors and repository paths resolve; the mock and CORS details match the constants of the code.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERRORS } from '../../packages/shared/src/errors.js';
import { loadConfigText } from '../../packages/shared/src/config/load.js';
import { DEFAULT_ALLOW_HEADERS } from '../../packages/worker/src/auth/cors.js';
import { addApiRoutes } from '../../packages/worker/src/endpoints/index.js';
import type { RouteTable } from '../../packages/worker/src/http/router.js';
import { createGatewayDeps } from '../../packages/worker/src/http/server.js';
import { createWorkerLogger } from '../../packages/worker/src/log.js';
import { MOCK_OVERRIDE_LIMITS } from '../../packages/worker/src/providers/mock/options.js';
import { addHealthRoutes } from '../../packages/worker/src/routes/health.js';
import { readRepoFile, repoPath } from './helpers.js';

const PAGES = ['docs/api.md', 'docs/routing.md', 'docs/translation.md'] as const;
const text = Object.fromEntries(PAGES.map((page) => [page, readRepoFile(page)])) as Record<(typeof PAGES)[number], string>;
const api = text['docs/api.md'];

// ---- the worker's route table, as createDataServer builds it ----------------------------------

/** Modules whose builders createDataServer calls; the only places allowed to register routes. */
const ROUTE_BUILDERS = ['routes/health.ts', 'endpoints/index.ts'];

const { config } = loadConfigText(readRepoFile('etc/gatewayd.yaml'), 'etc/gatewayd.yaml', {});
const { logger } = await createWorkerLogger({ logging: { ...config.logging, level: 'silent' }, workerId: 0, generation: 0 });
const routes: RouteTable = new Map();
addHealthRoutes(routes);
addApiRoutes(routes, createGatewayDeps(config, logger));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Rows of api.md's endpoint tables: `| \`GET\`, \`HEAD\` | \`/path\` | ...`; a `{param}` segment is the router's `*`. */
function documentedRoutes(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const m of markdown.matchAll(/^\| ((?:`[A-Z]+`(?:, )?)+) \| `(\/[^`]*)` \|/gm)) {
    rows.set(m[2]!.replace(/\{[^}/]+\}/g, '*'), [...m[1]!.matchAll(/`([A-Z]+)`/g)].map((x) => x[1]!));
  }
  return rows;
}

t.test('the route table is the one the data server serves (sanity)', async (t) => {
  const server = readRepoFile('packages/worker/src/http/server.ts');
  t.match(server, /addHealthRoutes\(routes\)/, 'createDataServer adds the health routes');
  t.match(server, /addApiRoutes\(routes, deps\)/, 'createDataServer adds the API routes');
  const srcDir = repoPath('packages/worker/src');
  const registering = sourceFiles(srcDir)
    .filter((file) => readFileSync(file, 'utf8').includes('routes.set('))
    .map((file) => relative(srcDir, file));
  t.same(registering.sort(), [...ROUTE_BUILDERS].sort(), 'routes are registered only by the builders imported here');
  t.ok(routes.size >= 11, `the table has the data-plane routes (${routes.size})`);
});

t.test('every registered route and method has its row in api.md', async (t) => {
  const documented = documentedRoutes(api);
  for (const [path, handlers] of routes) {
    const methods = Object.keys(handlers).filter((m) => m !== 'options').map((m) => m.toUpperCase()).sort();
    t.same(documented.get(path)?.sort(), methods, `${methods.join(', ')} ${path}`);
    t.ok('options' in handlers, `${path} answers OPTIONS`);
  }
  t.match(api, /`OPTIONS` is answered on every path/, 'the preflight on every route is documented');
});

t.test('api.md documents no route the worker lacks', async (t) => {
  const documented = documentedRoutes(api);
  t.ok(documented.size > 0, 'route rows were found');
  for (const path of documented.keys()) t.ok(routes.has(path), `${path} is registered`);
});

// ---- error codes ----------------------------------------------------------------------------

t.test('every GW_ERR code named in the pages exists', async (t) => {
  for (const page of PAGES) {
    const named = new Set(text[page].match(/GW_ERR_[A-Z_]+/g) ?? []);
    if (page === 'docs/api.md') t.ok(named.size >= 12, `${page} names the codes (${named.size})`);
    for (const code of named) t.ok(code in ERRORS, `${page}: ${code} is in packages/shared/src/errors.ts`);
  }
});

t.test("api.md's status table agrees with the error table and covers the statuses", async (t) => {
  const rows = [...api.matchAll(/^\| (\d{3}) \| `(GW_ERR_[A-Z_]+)` \|/gm)].map((m) => ({ status: Number(m[1]), code: m[2]! }));
  for (const { status, code } of rows) t.equal(ERRORS[code as keyof typeof ERRORS]?.status, status, `${code} is ${status}`);
  const statuses = new Set(rows.map((r) => r.status));
  for (const status of [400, 401, 403, 404, 405, 413, 415, 429, 502, 503, 504]) t.ok(statuses.has(status), `status ${status} has a row`);
  t.match(api, /\(errors\.md\)/, 'links docs/errors.md');
});

// ---- config keys ----------------------------------------------------------------------------

const configDoc = readRepoFile('docs/configuration.md');
const configKeys = new Set([...configDoc.matchAll(/^\| `([a-z_.[\]]+)` \|/gm)].map((m) => m[1]!));
const KEY_PATH = /`((?:server|admin|logging|state|auth|supervisor|providers|models|limits|routing|cache|cors)(?:\[\])?(?:\.[a-z_]+(?:\[\])?)+)`/g;

t.test('every config key path the pages name is documented in configuration.md', async (t) => {
  t.ok(configKeys.size > 50, 'the key tables of configuration.md were read');
  for (const page of PAGES) {
    const named = new Set([...text[page].matchAll(KEY_PATH)].map((m) => m[1]!));
    if (page === 'docs/routing.md') t.ok(named.size >= 15, `${page} names config keys (${named.size})`);
    for (const key of named) t.ok(configKeys.has(key), `${page}: \`${key}\``);
  }
});

t.test('routing.md covers every routing.* key', async (t) => {
  const routingKeys = [...configKeys].filter((key) => key.startsWith('routing.'));
  t.ok(routingKeys.length >= 8, 'routing keys found');
  for (const key of routingKeys) t.ok(text['docs/routing.md'].includes(`\`${key}\``), key);
});

// ---- links, anchors, paths ------------------------------------------------------------------

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

t.test('relative links and anchors resolve', async (t) => {
  for (const page of PAGES) {
    for (const m of text[page].matchAll(/\]\(([\w.-]*\.md)?(?:#([\w-]+))?\)/g)) {
      const file = m[1] ?? page.slice('docs/'.length);
      const target = `docs/${file}`;
      t.ok(existsSync(repoPath(target)), `${page}: ${target} exists`);
      if (m[2] !== undefined && existsSync(repoPath(target))) t.ok(anchors(readRepoFile(target)).has(m[2]), `${page}: ${target}#${m[2]}`);
    }
  }
});

t.test('every repository path the pages name exists', async (t) => {
  for (const page of PAGES) {
    for (const m of text[page].matchAll(/(?<![\w/.-])((?:etc|docs|packages)\/[\w./-]*\w)/g)) t.ok(existsSync(repoPath(m[1]!)), `${page}: ${m[1]}`);
  }
});

// ---- details that mirror constants of the code -------------------------------------------------

t.test('mock override headers and bounds match the code', async (t) => {
  const rows: Array<[string, { min: number; max: number }]> = [
    ['x-mock-chunks', MOCK_OVERRIDE_LIMITS.chunks],
    ['x-mock-chunk-delay-ms', MOCK_OVERRIDE_LIMITS.chunkDelayMs],
    ['x-mock-latency-ms', MOCK_OVERRIDE_LIMITS.latencyMs],
  ];
  const source = readRepoFile('packages/worker/src/endpoints/request-headers.ts');
  for (const [header, { min, max }] of rows) {
    t.ok(source.includes(`'${header}'`), `the worker reads ${header}`);
    const row = api.split('\n').find((line) => line.startsWith(`| \`${header}\` |`));
    t.ok(row?.includes(`${min}–${max}`), `${header}: bounds ${min}–${max} (${row ?? 'no row'})`);
  }
});

t.test('the default CORS allow-headers are listed', async (t) => {
  for (const name of DEFAULT_ALLOW_HEADERS.split(', ')) t.ok(api.includes(name), name);
});
