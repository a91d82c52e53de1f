/**
 * gatewayd configurations for the comparison legs: the `openai` provider pointed at a local
 * upstream, or (until the openai path works) the built-in `mock` provider as a stand-in that
 * exercises the harness. Both serve the model GATEWAY_MODEL.
 */
import { readFileSync, rmSync } from 'node:fs';
import { GATEWAY_MODEL, UPSTREAM_MODEL, chatRequest } from './openai-fixtures.js';
import { startGateway, type Gateway } from './gatewayd.js';

export type GatewayUpstream = { kind: 'openai'; baseUrl: string } | { kind: 'mock'; chunks: number; chunkDelayMs: number };

/** startGateway() fills PORT and ADMIN_PORT; nothing else here may contain those words. */
export function gatewayYaml(workers: number, upstream: GatewayUpstream): string {
  const provider =
    upstream.kind === 'openai'
      ? `{ name: upstream, type: openai, base_url: "${upstream.baseUrl}", api_keys: [sk-bench-upstream] }`
      : `{ name: upstream, type: mock, chunks: ${upstream.chunks}, chunk_delay: ${upstream.chunkDelayMs}, latency: 0 }`;
  return `
server: { host: 127.0.0.1, port: PORT, workers: ${workers}, drain_timeout: 5s }
admin: { host: 127.0.0.1, port: ADMIN_PORT }
logging: { level: warn }
providers:
  - ${provider}
models:
  - { name: ${GATEWAY_MODEL}, targets: [{ provider: upstream, model: ${upstream.kind === 'openai' ? UPSTREAM_MODEL : 'demo'} }] }
`;
}

/** A gatewayd leg with the standard config: see startDisposableGateway. */
export function startGatewayLeg(workers: number, upstream: GatewayUpstream): Promise<Gateway> {
  return startDisposableGateway(gatewayYaml(workers, upstream));
}

/** startGateway() plus removal of its temp dir (config, pid, logs) on stop; KEEP_TMP=1 keeps it for a post-mortem. */
export async function startDisposableGateway(yaml: string): Promise<Gateway> {
  const gateway = await startGateway(yaml);
  return {
    ...gateway,
    stop: async () => {
      await gateway.stop();
      if (process.env.KEEP_TMP !== '1') rmSync(gateway.dir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether gatewayd's openai provider path answers yet: a 1-worker gatewayd in front of the given
 * OpenAI-compatible base URL must return 200 with a chat.completion. `detail` says why not.
 */
export async function gatewaydOpenaiWorks(baseUrl: string): Promise<{ ok: boolean; detail: string }> {
  let gateway: Gateway | undefined;
  try {
    gateway = await startGatewayLeg(1, { kind: 'openai', baseUrl });
    const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chatRequest(GATEWAY_MODEL, false)),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const ok = res.status === 200 && text.includes('"chat.completion"');
    return { ok, detail: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message.slice(0, 500) };
  } finally {
    await gateway?.stop();
  }
}

/** The supervisor's pid from its PID file (workers are its children). */
export function gatewayPid(gateway: Gateway): number {
  return Number(readFileSync(gateway.pidFile, 'utf8').trim());
}
