import { fileURLToPath } from 'node:url';

/**
 * The one place that knows where the worker's entry point is: packages/worker/dist/main.js, found
 * relative to this compiled file (packages/supervisor/dist/worker-entry.js). The supervisor never
 * imports the worker package; it only forks this file. GATEWAYD_WORKER_ENTRY overrides it (tests,
 * packaged installs with another layout).
 */
export function resolveWorkerEntry(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.GATEWAYD_WORKER_ENTRY;
  if (override) return override;
  return fileURLToPath(new URL('../../worker/dist/main.js', import.meta.url));
}
