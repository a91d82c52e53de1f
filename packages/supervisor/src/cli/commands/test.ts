import { ConfigErrors, loadConfigFile, resolveConfigPath, summarizeConfig } from '@gatewayd/shared';
import { configWarnings } from '../../supervisor/preflight.js';
import { printError, printLine } from '../output.js';

/** Validates the config and prints its summary (secrets as SHA-256 fingerprints only). */
export function runTest(args: { config?: string | undefined }): number {
  try {
    const file = resolveConfigPath(args.config);
    const { config, warnings } = loadConfigFile(file);
    // With what the config exposes (an open gateway or admin API), as `start` prints them.
    for (const warning of [...warnings, ...configWarnings(config)]) printLine(`warning: ${warning}`);
    for (const line of summarizeConfig(config, file)) printLine(line);
    printLine(`configuration ${file} is valid`);
    return 0;
  } catch (err) {
    const problems = err instanceof ConfigErrors ? err.errors.map((e) => e.message) : [(err as Error).message];
    for (const problem of problems) printError(`invalid config: ${problem}`);
    return 1;
  }
}
