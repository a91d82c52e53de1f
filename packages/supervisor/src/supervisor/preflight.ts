import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { GatewayConfig } from '@gatewayd/shared';
import { formatAddress, isLoopbackHost } from './config.js';

/**
 * Binds the data port briefly, without SO_REUSEPORT, so anything already listening there
 * (another gatewayd included, whose workers use SO_REUSEPORT) makes it fail before any fork.
 * Resolves to null when free, else the reason. Port 0 is resolved by pickDataPort first.
 */
export async function checkPortFree(host: string, port: number): Promise<string | null> {
  if (port === 0) return null;
  const probed = await probePort(host, port);
  return typeof probed === 'string' ? probed : null;
}

/**
 * server.port 0: one free port, chosen before any fork, for every worker (and every replacement
 * and reload after it). Each worker binding port 0 itself would get a port of its own, and only
 * one of them would be shown. Not the admin port: that one binds after this check.
 */
export async function pickDataPort(host: string, adminPort: number | null): Promise<number | string> {
  for (;;) {
    const probed = await probePort(host, 0);
    if (typeof probed === 'string' || probed !== adminPort) return probed;
  }
}

/** Binds host:port exclusively and closes it again: the port it got, or why it could not. */
function probePort(host: string, port: number): Promise<number | string> {
  const address = formatAddress(host, port);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(`port ${address} is already in use`);
      else if (err.code === 'EACCES') resolve(`permission denied to listen on ${address}`);
      else if (err.code === 'EADDRNOTAVAIL') resolve(`address ${host} is not available on this host`);
      else resolve(`cannot listen on ${address}: ${err.message}`);
    });
    server.listen({ host, port, exclusive: true }, () => {
      const bound = server.address();
      server.close(() => resolve(typeof bound === 'object' && bound !== null ? bound.port : port));
    });
  });
}

export const TCP_MIGRATE_REQ_WARNING =
  "closing a draining worker's listener resets connections still queued on it; set net.ipv4.tcp_migrate_req=1 (see docs/operations.md)";

/** Operator warnings about the host and the config that do not stop the start. */
export function startupWarnings(config: GatewayConfig): string[] {
  return [...hostWarnings(), ...configWarnings(config)];
}

function hostWarnings(): string[] {
  if (process.platform !== 'linux') return [];
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim() === '0' ? [TCP_MIGRATE_REQ_WARNING] : [];
  } catch {
    return []; // older kernels have no such sysctl; nothing to advise
  }
}

/** The admin API beyond loopback without a token; also logged when a reload moves it there (admin/listener.ts). */
export function adminExposureWarning(admin: GatewayConfig['admin']): string | undefined {
  if (!admin.enabled || isLoopbackHost(admin.host) || admin.token) return undefined;
  return `admin.host ${admin.host} is not loopback and admin.token is not set: anyone who can reach its port ${admin.port} can read stats and the (redacted) config`;
}

/** What the config exposes (an open gateway, an open admin API), which `start` and `test` also print on the terminal. */
export function configWarnings(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  if (!isLoopbackHost(config.server.host) && config.auth.keys.length === 0) {
    warnings.push(`server.host ${config.server.host} is not loopback and auth.keys is empty: anyone who can reach the port can use the gateway`);
  }
  const adminExposed = adminExposureWarning(config.admin);
  if (adminExposed !== undefined) warnings.push(adminExposed);
  // Gateway mode without keys is a config error; client and hybrid mode serve keyless calls.
  const open = config.auth.mode !== 'gateway' && config.auth.keys.length === 0;
  if (open && config.cors.origins.includes('*') && config.providers.some((provider) => provider.type !== 'mock')) {
    warnings.push('cors.origins allows every origin ("*") and auth.keys is empty: any web page opened on a machine that reaches the port can call the gateway with the provider keys; list the origins of your apps, or add gateway keys');
  }
  return warnings;
}
