/** Shared helpers of the state tests: a capturing logger, configs, polling. */
import pino, { type Logger } from 'pino';
import { loadConfigText, type GatewayConfig } from '@gatewayd/shared';

export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export function stateConfig(state: string): GatewayConfig {
  return loadConfigText(`state: ${state}\ncache: { enabled: true, max_entries: 100 }\n`, '/test/gatewayd.yaml', {}).config;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function transitions(lines: Array<Record<string, unknown>>): string[] {
  return lines.map((l) => String(l.msg)).filter((m) => m.startsWith('state backend'));
}
