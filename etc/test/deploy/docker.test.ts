/**
 * Dockerfile, .dockerignore and docker-compose.yml. No container engine here: the files are parsed
 * and cross-checked against the repository (paths, ports, endpoints, the pinned pnpm).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { at, dockerfile, readRepoFile, repoPath, yamlFile, type Doc } from './helpers.js';

const steps = dockerfile(readRepoFile('Dockerfile'));
const lastStage = Math.max(...steps.map((s) => s.stage));
const runtime = steps.filter((s) => s.stage === lastStage);
const defaults = yamlFile('etc/gatewayd.yaml');
const dataPort = at(defaults, 'server.port') as number;
const adminPort = at(defaults, 'admin.port') as number;

t.test('multi-stage on node:20-bookworm-slim, pnpm at the pinned version, build then prod-only deps', async (t) => {
  const from = steps.filter((s) => s.keyword === 'FROM');
  t.ok(from.length >= 2, 'at least two stages');
  const image = steps.find((s) => s.keyword === 'ARG' && s.args.startsWith('NODE_IMAGE='))?.args.split('=')[1];
  t.equal(image, 'node:20-bookworm-slim');
  t.ok(from.every((s) => s.args.startsWith('${NODE_IMAGE}')), 'every stage uses it');
  const pinned = (JSON.parse(readRepoFile('package.json')) as { packageManager: string }).packageManager.split('@')[1];
  t.ok(steps.some((s) => s.keyword === 'ARG' && s.args === `PNPM_VERSION=${pinned}`), `pnpm ${pinned}, as package.json's packageManager`);
  t.ok(steps.some((s) => s.keyword === 'RUN' && s.args.includes('npm install -g pnpm@${PNPM_VERSION}')));
  const runs = steps.filter((s) => s.keyword === 'RUN' && s.stage === 0).map((s) => s.args);
  t.ok(runs.some((r) => r.includes('pnpm install --frozen-lockfile')), 'frozen lockfile install');
  t.ok(runs.some((r) => r.includes('pnpm run build')), 'build');
  t.ok(runs.some((r) => r.includes('--prod')), 'prune to production dependencies');
});

t.test('every COPY source exists and is not excluded by .dockerignore', async (t) => {
  const ignore = readRepoFile('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string): boolean =>
    ignore.some((pattern) => {
      // .dockerignore globs: `**/` any directories, `*` within one path segment.
      const glob = pattern.replace(/[.+^${}()|[\]]/g, '\\$&').replace(/\*\*\//g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(.*/)?');
      const re = new RegExp(`^${glob}(/.*)?$`);
      return re.test(path);
    });
  for (const step of steps.filter((s) => s.keyword === 'COPY' && !s.args.startsWith('--from'))) {
    const parts = step.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const source of parts.slice(0, -1)) {
      t.ok(existsSync(repoPath(source)), `${source} exists`);
      t.notOk(ignored(source), `${source} is in the build context`);
    }
  }
  for (const path of ['node_modules', 'packages/worker/dist', '.git', 'packages/supervisor/test', 'logs']) t.ok(ignored(path), `${path} stays out of the context`);
});

t.test('runtime: non-root, ports, healthcheck on /health/live, SIGTERM, foreground supervisor', async (t) => {
  t.same(runtime.filter((s) => s.keyword === 'USER').map((s) => s.args), ['node']);
  const user = runtime.findIndex((s) => s.keyword === 'USER');
  t.ok(runtime.slice(user).every((s) => s.keyword !== 'RUN' || !s.args.includes('chown')), 'nothing is chowned to root after USER');
  t.same(runtime.find((s) => s.keyword === 'EXPOSE')?.args.split(/\s+/).map(Number), [dataPort, adminPort], 'the default data and admin ports');
  t.equal(runtime.find((s) => s.keyword === 'STOPSIGNAL')?.args, 'SIGTERM');
  const health = runtime.find((s) => s.keyword === 'HEALTHCHECK')?.args ?? '';
  t.match(health, `http://127.0.0.1:${dataPort}/health/live`);
  const entry = JSON.parse(runtime.find((s) => s.keyword === 'ENTRYPOINT')?.args ?? '[]') as string[];
  const cmd = JSON.parse(runtime.find((s) => s.keyword === 'CMD')?.args ?? '[]') as string[];
  t.same(entry, ['node', '/app/packages/supervisor/dist/cli/main.js']);
  t.equal(cmd[0], 'start');
  t.notOk(cmd.includes('--daemon'), 'foreground: the supervisor is the container process');
  t.ok(existsSync(repoPath('packages/supervisor/src/cli/main.ts')), 'the entry point is built from packages/supervisor/src/cli/main.ts');
  const configArg = cmd[cmd.indexOf('--config') + 1];
  t.equal(configArg, '/app/etc/gatewayd.yaml');
  t.ok(runtime.some((s) => s.keyword === 'COPY' && s.args.includes('etc/gatewayd.yaml') && s.args.includes('etc/prices.yaml')), 'the default config and the price table ship in the image');
  const env = runtime.filter((s) => s.keyword === 'ENV').map((s) => s.args).join(' ');
  t.match(env, 'GATEWAYD__SERVER__HOST=0.0.0.0', 'reachable from outside the container');
});

t.test('docker-compose.yml: gateway + redis; prometheus and grafana only in the monitoring profile', async (t) => {
  const compose = yamlFile('docker-compose.yml');
  const services = at(compose, 'services') as Record<string, Doc>;
  t.same(Object.keys(services).sort(), ['gateway', 'grafana', 'prometheus', 'redis']);
  const gateway = services['gateway']!;
  t.equal(gateway['build'], '.');
  t.notOk(gateway['profiles'], 'the gateway always runs');
  t.notOk(services['redis']!['profiles'], 'redis always runs');
  t.same(services['prometheus']!['profiles'], ['monitoring']);
  t.same(services['grafana']!['profiles'], ['monitoring']);
  const env = gateway['environment'] as Record<string, string>;
  t.equal(env['GATEWAYD__STATE__BACKEND'], 'redis');
  t.equal(env['GATEWAYD__STATE__REDIS__URL'], 'redis://redis:6379');
  t.ok((gateway['ports'] as string[]).includes(`${dataPort}:${dataPort}`));
  t.ok((gateway['ports'] as string[]).includes(`127.0.0.1:${adminPort}:${adminPort}`), 'the admin plane only on the host loopback');
  t.ok((at(gateway, 'stop_grace_period') as string).endsWith('s'));
  const grace = Number.parseInt(at(gateway, 'stop_grace_period') as string, 10);
  t.ok(grace > 30, `stop_grace_period ${grace}s is above the default drain_timeout (30s)`);
  t.equal(at(gateway, 'depends_on.redis.condition'), 'service_healthy');
  for (const volume of [...((services['prometheus']!['volumes'] as string[]) ?? []), ...((services['grafana']!['volumes'] as string[]) ?? [])]) {
    const source = volume.split(':')[0]!;
    t.ok(existsSync(repoPath(source)), `${source} exists`);
  }
  const prom = (services['prometheus']!['command'] as string[]).find((c) => c.startsWith('--config.file='));
  t.equal(prom, '--config.file=/etc/prometheus/prometheus.yml');
});
