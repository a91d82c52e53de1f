/** Launches sse-upstream-main.ts as a child process and waits until it listens. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureOutput, stopChild } from './processes.js';

export interface SseUpstream {
  port: number;
  /** base_url for an OpenAI client or provider: http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  chunks: number;
  delayMs: number;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./sse-upstream-main.ts', import.meta.url));

export async function startSseUpstream(options: { chunks: number; delayMs: number }): Promise<SseUpstream> {
  // tsx's ESM loader by absolute URL, so the child runs TypeScript whatever its cwd.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, MAIN, '0', String(options.chunks), String(options.delayMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sse upstream did not start in 15 s: ${output()}`)), 15_000);
    let seen = '';
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /listening (\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sse upstream exited with ${code}: ${output()}`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  return { port, baseUrl: `http://127.0.0.1:${port}/v1`, chunks: options.chunks, delayMs: options.delayMs, stop: () => stopChild(child) };
}
