/** Shared by the deploy-file tests: YAML and Dockerfile parsing, and the metric-name contract. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { GatewayRegistry } from '../../../packages/supervisor/src/metrics/registry.js';
import { EXTRA_METRIC, SPEC_METRIC_NAMES } from '../../../packages/supervisor/src/metrics/names.js';
import { readRepoFile, repoPath } from '../helpers.js';

export { readRepoFile, repoPath };

export type Doc = Record<string, unknown>;

export function yamlFile(relative: string): Doc {
  return parse(readRepoFile(relative)) as Doc;
}

/** A nested field by path ("spec.template.spec"), or undefined. */
export function at(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The llm_gateway_* metric families an expression uses (histogram series folded into the family). */
export function metricFamilies(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/\bllm_gateway_[a-z0-9_]+/g)) {
    let name = match[0];
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (name.endsWith(suffix) && !registryNames().has(name)) name = name.slice(0, -suffix.length);
    }
    names.add(name);
  }
  return [...names];
}

let names: Set<string> | undefined;
/** Every metric name the supervisor's registry exposes on /metrics. */
export function registryNames(): Set<string> {
  if (!names) {
    const registry = new GatewayRegistry({ activeStreams: () => 0, providerHealth: () => [], workers: () => [], workerStates: () => [], generation: () => 1, stateBackends: () => [] });
    names = new Set(registry.registry.getMetricsAsArray().map((m) => m.name));
  }
  return names;
}

export const SPEC_NAMES = new Set(SPEC_METRIC_NAMES);
export const EXTRA_NAMES = new Set<string>(Object.values(EXTRA_METRIC));

/** The SPEC beside the repository (../shared/SPEC.md, as on the developers' machines and in CI). */
export function specText(): string {
  const file = repoPath('../shared/SPEC.md');
  if (!existsSync(file)) throw new Error(`${file} not found: the SPEC is expected beside the repository`);
  return readFileSync(file, 'utf8');
}

export interface Instruction {
  keyword: string;
  args: string;
  /** The build stage it belongs to (0 = first FROM). */
  stage: number;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
export function dockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  let stage = -1;
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
  });
}
