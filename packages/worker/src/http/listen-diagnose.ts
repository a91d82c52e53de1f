/**
 * uWS reports a failed listen without a reason. To tell the operator why (port in use, address
 * not available, permission), bind the same address once with node:net and report its error code.
 * `exclusive` keeps a cluster worker from routing the probe through the supervisor.
 */
import { createServer } from 'node:net';

export interface ListenFailure {
  code: string;
  reason: string;
}

const EXPLANATIONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not available on this host',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

export function diagnoseListenFailure(host: string, port: number): Promise<ListenFailure> {
  const where = `${host}:${port}`;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'LISTEN_FAILED';
      resolve({ code, reason: `cannot listen on ${where}: ${EXPLANATIONS[code] ?? err.message}` });
    });
    probe.listen({ host, port, exclusive: true }, () => {
      probe.close();
      resolve({ code: 'LISTEN_FAILED', reason: `cannot listen on ${where} (the HTTP engine refused the address)` });
    });
  });
}
