/** docs/operations.md: the signal table of the SPEC, the sections the lead fills, no dangling file references. */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readRepoFile, repoPath } from './helpers.js';

const DOCS = ['docs/operations.md', 'docs/configuration.md', 'docs/errors.md', 'docs/observability.md'];
const ops = readRepoFile('docs/operations.md');

t.test('the signals table covers every signal of the SPEC', async (t) => {
  const table = ops.slice(ops.indexOf('## Signals'), ops.indexOf('\n## ', ops.indexOf('## Signals') + 1));
  for (const [signal, effect] of [['SIGHUP', /reload/i], ['SIGTERM', /drain/i], ['SIGINT', /drain/i], ['SIGQUIT', /fast/i], ['SIGUSR1', /reopen/i], ['SIGUSR2', /not used/i]] as const) {
    const row = table.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${signal}\``));
    t.ok(row, `${signal} has a row`);
    t.match(row ?? '', effect, `${signal}: ${String(effect)}`);
  }
});

t.test('the operational sections are present', async (t) => {
  for (const heading of ['## Install', '## Running', '## Reload', '## Drain', '## Linux: net.ipv4.tcp_migrate_req', '## systemd', '## launchd (macOS)', '## Log rotation (logrotate)', '## Reload under load']) {
    t.ok(ops.split('\n').includes(heading), heading);
  }
});

t.test('every repository file the docs name exists', async (t) => {
  for (const doc of DOCS) {
    const text = readRepoFile(doc);
    // Repo-relative paths only: not preceded by "/" (absolute paths of an installed system).
    const paths = new Set([...text.matchAll(/(?<![\w/.-])((?:systemd|launchd|etc|docs|packages)\/[\w./-]*\w)/g)].map((m) => m[1]!));
    if (doc === 'docs/operations.md') t.ok(paths.size >= 8, `${doc}: the shipped files are referenced`);
    for (const path of paths) t.ok(existsSync(repoPath(path)), `${doc}: ${path}`);
  }
});
