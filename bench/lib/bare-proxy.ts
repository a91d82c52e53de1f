/** Starts N bare-proxy-main.ts processes on one port (the architecture-floor leg) and waits until all listen. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './gatewayd.js';
import { captureOutput, stopChild } from './processes.js';

const MAIN = fileURLToPath(new URL('./bare-proxy-main.ts', import.meta.url));

export interface BareProxy {
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

function listening(child: ChildProcess): Promise<void> {
  const output = captureOutput(child);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare proxy did not start in 15 s: ${output()}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare proxy exited with ${code}: ${output()}`));
    });
  });
}

export async function startBareProxy(processes: number, upstreamPort: number, upstreamModel: string): Promise<BareProxy> {
  const port = await freePort();
  const tsx = import.meta.resolve('tsx');
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['--import', tsx, MAIN, String(port), String(upstreamPort), upstreamModel], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  try {
    await Promise.all(children.map(listening));
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pids: children.map((child) => child.pid as number), stop };
}
