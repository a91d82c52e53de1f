/**
 * Runs Portkey's open-source gateway (`@portkey-ai/gateway`, bench dependency) as a child:
 * `node build/start-server.js --port=N --headless` (default port 8787; --headless drops the UI and
 * its request-log stream). It is pointed at our upstream per request with headers.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './gatewayd.js';
import { captureOutput, stopChild, waitForPort } from './processes.js';

const require = createRequire(import.meta.url);

export interface Portkey {
  port: number;
  pid: number;
  stop(): Promise<void>;
  output(): string;
}

export function portkeyServerPath(): string {
  return join(dirname(require.resolve('@portkey-ai/gateway/package.json')), 'build', 'start-server.js');
}

export async function startPortkey(): Promise<Portkey> {
  const port = await freePort();
  const child = spawn(process.execPath, [portkeyServerPath(), `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const output = captureOutput(child, 20_000);
  try {
    await waitForPort(port, 15_000, child);
  } catch (err) {
    await stopChild(child);
    throw new Error(`portkey did not start: ${(err as Error).message}\n${output()}`);
  }
  return { port, pid: child.pid!, output, stop: () => stopChild(child) };
}

/**
 * Headers routing a request through Portkey to an OpenAI-compatible base URL (127.0.0.1 is in its
 * default TRUSTED_CUSTOM_HOSTS). The bearer token is forwarded upstream as the provider key.
 */
export function portkeyHeaders(upstreamBaseUrl: string): Record<string, string> {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': upstreamBaseUrl,
    authorization: 'Bearer sk-bench-upstream',
  };
}

/** Portkey is a comparison, not the subject: when it cannot start, the scenario goes on without its leg. */
export async function startPortkeyOrSkip(): Promise<Portkey | undefined> {
  try {
    return await startPortkey();
  } catch (err) {
    process.stderr.write(`portkey leg skipped: ${(err as Error).message.slice(0, 500)}\n`);
    return undefined;
  }
}
