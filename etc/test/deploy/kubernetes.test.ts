/**
 * deploy/kubernetes (kustomize): every listed resource exists and parses; names, labels and
 * selectors agree; the configmap's gatewayd.yaml is a valid config (with the secret template's
 * values) whose ports and endpoints the probes and the service use; drain timing and hardening.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { loadConfigText } from '../../../packages/shared/src/config/load.js';
import type { GatewayConfig } from '../../../packages/shared/src/config/schema.js';
import { at, readRepoFile, repoPath, yamlFile, type Doc } from './helpers.js';

const DIR = 'deploy/kubernetes';
const kustomization = yamlFile(`${DIR}/kustomization.yaml`);
const resources = (at(kustomization, 'resources') as string[]).map((file) => ({ file, docs: parseAllDocuments(readRepoFile(`${DIR}/${file}`)).map((d) => d.toJS() as Doc) }));
const all = resources.flatMap((r) => r.docs);
const byKind = (kind: string): Doc[] => all.filter((d) => d['kind'] === kind);
const one = (kind: string): Doc => {
  const found = byKind(kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0]!;
};

const deployment = one('Deployment');
const pod = at(deployment, 'spec.template.spec') as Doc;
const container = (pod['containers'] as Doc[])[0]!;
const secret = one('Secret');
const configMap = one('ConfigMap');

function gatewayConfig(): GatewayConfig {
  const env = at(secret, 'stringData') as Record<string, string>;
  return loadConfigText((at(configMap, 'data') as Record<string, string>)['gatewayd.yaml']!, '/etc/gatewayd/gatewayd.yaml', env).config;
}

t.test('kustomization: every resource exists, parses and has a kind and a name', async (t) => {
  t.equal(kustomization['kind'], 'Kustomization');
  for (const { file, docs } of resources) {
    t.ok(existsSync(repoPath(`${DIR}/${file}`)), `${file} exists`);
    for (const doc of docs) {
      t.ok(doc['apiVersion'] && doc['kind'], `${file}: apiVersion and kind`);
      t.ok(at(doc, 'metadata.name'), `${file}: a name`);
    }
  }
  for (const kind of ['ConfigMap', 'Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) t.equal(byKind(kind).length, 1, `one ${kind}`);
  const images = at(kustomization, 'images') as Doc[];
  t.ok(images.some((i) => i['name'] === container['image']), 'the image is set through kustomize');
});

t.test('labels, selectors and references agree', async (t) => {
  const podLabels = at(deployment, 'spec.template.metadata.labels') as Record<string, string>;
  const selector = at(deployment, 'spec.selector.matchLabels') as Record<string, string>;
  for (const [k, v] of Object.entries(selector)) t.equal(podLabels[k], v, `deployment selector ${k}`);
  const service = one('Service');
  for (const [k, v] of Object.entries(at(service, 'spec.selector') as Record<string, string>)) t.equal(podLabels[k], v, `service selector ${k}`);
  const pdb = one('PodDisruptionBudget');
  for (const [k, v] of Object.entries(at(pdb, 'spec.selector.matchLabels') as Record<string, string>)) t.equal(podLabels[k], v, `pdb selector ${k}`);
  const hpa = one('HorizontalPodAutoscaler');
  t.same(at(hpa, 'spec.scaleTargetRef'), { apiVersion: 'apps/v1', kind: 'Deployment', name: at(deployment, 'metadata.name') });
  t.ok((at(hpa, 'spec.minReplicas') as number) >= 2, 'at least two pods, so a disruption leaves one serving');
  t.ok((at(pdb, 'spec.minAvailable') as number) < (at(hpa, 'spec.minReplicas') as number), 'the PDB lets one pod go at a time');
  const volumes = pod['volumes'] as Doc[];
  t.equal(volumes.find((v) => v['name'] === 'config') && at(volumes.find((v) => v['name'] === 'config'), 'configMap.name'), at(configMap, 'metadata.name'));
  const envFrom = container['envFrom'] as Doc[];
  t.equal(at(envFrom[0], 'secretRef.name'), at(secret, 'metadata.name'));
  const containerPorts = new Map((container['ports'] as Doc[]).map((p) => [p['name'] as string, p['containerPort'] as number]));
  for (const port of at(service, 'spec.ports') as Doc[]) t.ok(containerPorts.has(port['targetPort'] as string), `service port ${String(port['name'])} targets a named container port`);
  const mounts = container['volumeMounts'] as Doc[];
  for (const mount of mounts) t.ok(volumes.some((v) => v['name'] === mount['name']), `volume ${String(mount['name'])} exists`);
});

t.test("the configmap's gatewayd.yaml is valid; probes and ports match it", async (t) => {
  const config = gatewayConfig();
  const ports = new Map((container['ports'] as Doc[]).map((p) => [p['name'] as string, p['containerPort'] as number]));
  t.equal(ports.get('http'), config.server.port, 'the data port');
  t.equal(ports.get('admin'), config.admin.port, 'the admin port');
  t.equal(config.server.host, '0.0.0.0');
  t.equal(config.admin.host, '0.0.0.0');
  t.ok(config.admin.token, 'the admin plane has a token when it listens beyond loopback');
  t.not(config.server.workers, 'auto', 'an explicit worker count (auto sees the node, not the CPU limit)');
  t.equal(at(container, 'livenessProbe.httpGet.path'), '/health/live');
  // /health/ready is 503 on every pod at once while some model's providers are all down: a probe on
  // it would empty the Service for every model whenever a single-provider model's provider fails.
  const singleProvider = config.models.filter((m) => new Set(m.targets.map((target) => target.provider)).size === 1).map((m) => m.name);
  t.ok(singleProvider.length > 0, `the configmap has single-provider models (${singleProvider.join(', ')})`);
  t.equal(at(container, 'readinessProbe.httpGet.path'), '/health/live', 'so readiness does not follow provider health');
  t.equal(at(container, 'startupProbe.httpGet.path'), '/health/live');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) t.equal(ports.get(at(container, `${probe}.httpGet.port`) as string), config.server.port, `${probe} on the data port`);
  // The worker serves those paths (packages/worker/src/routes/health.ts).
  const health = readRepoFile('packages/worker/src/routes/health.ts');
  for (const path of ['/health/live', '/health/ready']) t.match(health, `'${path}'`, `the worker routes ${path}`);
  const args = container['args'] as string[];
  t.equal(args[0], 'start');
  t.equal(args[args.indexOf('--config') + 1], `${at((container['volumeMounts'] as Doc[]).find((m) => m['name'] === 'config'), 'mountPath') as string}/gatewayd.yaml`, 'the config is read from the mounted configmap');
  const pidFile = args[args.indexOf('--pid-file') + 1]!;
  t.ok((container['volumeMounts'] as Doc[]).some((m) => pidFile.startsWith(`${m['mountPath'] as string}/`) && m['readOnly'] !== true), 'the PID file is on a writable volume');
  t.notOk(JSON.stringify(configMap).match(/sk-[A-Za-z0-9]/), 'no key in the configmap');
});

t.test('drain: preStop, then a grace period above preStop + drain_timeout', async (t) => {
  const config = gatewayConfig();
  const preStop = at(container, 'lifecycle.preStop.exec.command') as string[];
  t.equal(preStop[0], 'sleep');
  const sleepSeconds = Number(preStop[1]);
  const grace = pod['terminationGracePeriodSeconds'] as number;
  t.ok(grace > sleepSeconds + config.server.drain_timeout / 1000, `grace ${grace}s > ${sleepSeconds}s + drain_timeout ${config.server.drain_timeout / 1000}s`);
  t.equal(at(deployment, 'spec.strategy.rollingUpdate.maxUnavailable'), 0, 'a rollout never drops below the replica count');
});

t.test('hardening: non-root, read-only root filesystem, no privilege escalation, resources set', async (t) => {
  t.equal(at(pod, 'securityContext.runAsNonRoot'), true);
  t.equal(at(pod, 'securityContext.runAsUser'), 1000);
  t.equal(at(container, 'securityContext.readOnlyRootFilesystem'), true);
  t.equal(at(container, 'securityContext.allowPrivilegeEscalation'), false);
  t.same(at(container, 'securityContext.capabilities.drop'), ['ALL']);
  for (const path of ['resources.requests.cpu', 'resources.requests.memory', 'resources.limits.memory', 'resources.limits.cpu']) t.ok(at(container, path), path);
  t.equal(Number(at(container, 'resources.limits.cpu')), gatewayConfig().server.workers, 'one worker per CPU of the limit');
  const values = Object.values(at(secret, 'stringData') as Record<string, string>);
  t.ok(values.filter((v) => !v.startsWith('redis://')).every((v) => v.startsWith('CHANGE_ME')), 'the secret is a template: placeholders only');
});
