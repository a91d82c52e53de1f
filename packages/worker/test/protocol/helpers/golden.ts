/**
 * Golden fixtures: JSON files under ../golden with an `expected` field. Comparison is on the JSON
 * wire form (what a client would receive). GOLDEN_UPDATE=1 rewrites `expected` from the current
 * output; every rewrite must be reviewed by hand before it is kept.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export interface GoldenFile<T = Record<string, unknown>> {
  name: string;
  path: string;
  data: T & { description: string; expected: unknown };
}

export function goldenFiles<T>(subdir: string): Array<GoldenFile<T>> {
  const dir = join(GOLDEN_DIR, subdir);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      return { name: `${subdir}/${f}`, path, data: JSON.parse(readFileSync(path, 'utf8')) as GoldenFile<T>['data'] };
    });
}

/** The value as it goes on the wire (undefined fields vanish, as in JSON.stringify). */
export function wire(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export const updating = process.env.GOLDEN_UPDATE === '1';

export function updateGolden(file: GoldenFile<unknown>, actual: unknown): void {
  const data = { ...file.data, expected: wire(actual) };
  writeFileSync(file.path, JSON.stringify(data, null, 2) + '\n');
}
