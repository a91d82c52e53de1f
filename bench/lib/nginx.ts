/**
 * Runs nginx (Debian's /usr/sbin/nginx) as an unprivileged child with a generated nginx.conf:
 * pid, logs and temp paths live in a temp dir, access_log is off, keep-alive is effectively unbounded
 * (keepalive_requests 1e6) so no leg pays for reconnects the others do not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gatewayd.js';
import { captureOutput, stopChild, waitForPort } from './processes.js';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface Nginx {
  port: number;
  /** The master's pid (workers are its children). */
  pid: number;
  workers: number | 'auto';
  stop(): Promise<void>;
}

export function requireNginx(): void {
  if (spawnSync(NGINX_BIN, ['-v']).error) throw new Error(`nginx is not installed at ${NGINX_BIN}: apt-get install -y nginx`);
}

function confHead(dir: string, workers: number | 'auto'): string {
  return `
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
`;
}

async function launch(conf: (dir: string, port: number) => string, workers: number | 'auto'): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-nginx-'));
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf(dir, port));
  // -e: the error log before the config is read (the default /var/log path is not writable unprivileged).
  const child = spawn(NGINX_BIN, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  try {
    await waitForPort(port, 5000, child);
  } catch (err) {
    await stopChild(child, 'SIGTERM');
    throw new Error(`nginx did not start: ${(err as Error).message}\n${output()}`);
  }
  return {
    port,
    pid: child.pid!,
    workers,
    stop: async () => {
      await stopChild(child, 'SIGTERM'); // fast shutdown: master stops its workers, then exits
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The fastest non-streaming upstream: every request gets `200 body` as application/json. */
export function startNginxReturn200(body: string, workers: number | 'auto' = 1): Promise<Nginx> {
  if (/[$'\\]/.test(body)) throw new Error('the body must not contain $, \' or \\ (nginx return text)');
  return launch(
    (dir, port) => `${confHead(dir, workers)}
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type application/json;
      return 200 '${body}';
    }
  }
}
`,
    workers,
  );
}

/** nginx as a plain reverse proxy with a keep-alive pool to the upstream; buffering off for SSE. */
export function startNginxProxy(upstreamPort: number, options: { workers?: number | 'auto'; buffering?: boolean } = {}): Promise<Nginx> {
  const workers = options.workers ?? 1;
  return launch(
    (dir, port) => `${confHead(dir, workers)}
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering ${options.buffering === false ? 'off' : 'on'};
    }
  }
}
`,
    workers,
  );
}
