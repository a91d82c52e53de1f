import { readFileSync } from 'node:fs';
import { printLine } from '../output.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export function runVersion(): number {
  printLine(`gatewayd ${packageVersion()} (node ${process.version})`);
  return 0;
}
