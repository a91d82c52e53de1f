import { existsSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlRequest, ControlResponse, LoadedConfig } from '@gatewayd/shared';
import { AdminListener } from '../admin/listener.js';
import { printError, stateStartWarning } from '../cli/output.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { createSupervisorLog, type SupervisorLog } from '../log.js';
import { describePidFileFailure, PidFile, resolvePidFileForStart, socketPathFor } from '../pidfile.js';
import { resolveWorkerEntry } from '../worker-entry.js';
import { describeConfigFailure, loadSupervisorConfig, type ConfigOverrides } from './config.js';
import { connectLauncher, DAEMON_OUT_LOG } from './daemon.js';
import { checkPortFree, pickDataPort, startupWarnings } from './preflight.js';
import { EarlyHangup, installExitGuards, installSignalHandlers } from './signals.js';
import { Supervisor } from './supervisor.js';

export interface RunOptions {
  config: string | undefined;
  pidFile: string | undefined;
  overrides: ConfigOverrides;
  logDir: string;
  /** Started by `start --daemon`: log to <logDir>/gatewayd.out.log and report to the launcher. */
  daemonized: boolean;
}

/** Whether stdout and stderr lead to the same file, terminal or socket. */
function stdoutIsStderr(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}

/**
 * The foreground supervisor (also what a daemon runs). Resolves with the process exit code: 1 when
 * the start fails (with the reason on stderr, in the log and to the daemon launcher), 0 after a
 * signalled stop.
 */
export async function runSupervisor(options: RunOptions): Promise<number> {
  const earlyHangup = new EarlyHangup();
  const launcher = options.daemonized ? connectLauncher() : null;
  const failStart = async (reason: string, log?: SupervisorLog): Promise<number> => {
    earlyHangup.dispose();
    log?.logger.error({ reason }, 'start failed');
    log?.flush();
    // The reasons are whole sentences ("gatewayd is already running (...)", "port ... is already in use").
    // Once only where the log line already went (a foreground start's stdout on the same terminal or journal).
    if (log === undefined || options.daemonized || !stdoutIsStderr()) process.stderr.write(`${reason}\n`);
    await launcher?.failed(reason);
    return 1;
  };

  let loaded: LoadedConfig;
  try {
    loaded = loadSupervisorConfig(options.config, options.overrides);
  } catch (err) {
    return failStart(describeConfigFailure(err));
  }
  const { config } = loaded;
  const logFile = options.daemonized ? join(options.logDir, DAEMON_OUT_LOG) : undefined;
  const log = createSupervisorLog({ level: config.logging.level, format: config.logging.format, ...(logFile ? { file: logFile } : {}) });
  const { logger } = log;
  for (const warning of loaded.warnings) logger.warn({ configFile: loaded.file }, warning);

  const exec = resolveWorkerEntry();
  if (!existsSync(exec)) return failStart(`worker entry ${exec} not found (run pnpm build)`, log);

  const pidPath = resolvePidFileForStart(options.pidFile);
  let pidFile: PidFile;
  try {
    pidFile = await PidFile.acquire(
      pidPath,
      (message) => logger.warn(message),
      (err) => logger.error({ err: err.message }, 'pid file lock compromised'),
    );
  } catch (err) {
    return failStart(describePidFileFailure(err, pidPath, options.pidFile !== undefined), log);
  }
  const socketPath = socketPathFor(pidPath);
  let control: ControlServer | null = null;
  let admin: AdminListener | null = null; // issue 5
  // Idempotent: a stop signal during startup runs it from the supervisor's shutdown, and the
  // startup path runs it again for what it opened afterwards.
  const cleanup = async (): Promise<void> => {
    const [openAdmin, openControl] = [admin, control];
    admin = control = null;
    await openAdmin?.close();
    await openControl?.close();
    await pidFile.release();
  };

  if (config.server.port === 0) {
    const picked = await pickDataPort(config.server.host, config.admin.enabled ? config.admin.port : null);
    if (typeof picked === 'string') {
      await cleanup();
      return failStart(picked, log);
    }
    config.server.port = picked;
    logger.info({ port: picked }, `server.port 0: every worker listens on port ${picked}`);
  } else {
    const busy = await checkPortFree(config.server.host, config.server.port);
    if (busy) {
      await cleanup();
      return failStart(busy, log);
    }
  }
  for (const warning of startupWarnings(config)) logger.warn(warning);

  const supervisor = new Supervisor({ loaded, overrides: options.overrides, exec, logFile, log, pidFile: pidPath, cleanup });
  installExitGuards(supervisor, pidFile, socketPath, log);
  installSignalHandlers(supervisor, log);
  try {
    control = await startControlServer(socketPath, (request) => handleControlRequest(supervisor, request, logger), logger);
  } catch (err) {
    await cleanup();
    return failStart(`cannot listen on the control socket ${socketPath}: ${(err as Error).message}`, log);
  }
  // issue 5: the admin plane (metrics, stats, config) listens before any worker is forked; a port
  // already in use fails the start like the data port does. A reload moves it (AdminListener).
  const adminListener = new AdminListener(supervisor, logger, (address) => (supervisor.adminAddress = address));
  admin = adminListener;
  try {
    await adminListener.start(config.admin);
  } catch (err) {
    await cleanup();
    return failStart((err as Error).message, log);
  }
  supervisor.afterReload = (next) => adminListener.apply(next.admin);

  try {
    await supervisor.start();
  } catch (err) {
    if (supervisor.stopping) {
      await supervisor.stopped;
      await cleanup(); // the control socket or admin port may have opened after the stop's cleanup
      await launcher?.failed('stopped by a signal during startup');
      earlyHangup.dispose();
      return 0;
    }
    await supervisor.shutdown('fast', 'startup failed');
    return failStart(`workers failed to start: ${(err as Error).message}`, log);
  }

  const status = await supervisor.status();
  logger.info(
    { generation: status.generation, workers: status.workers.map((w) => w.pid), listen: status.listen.data, admin: status.listen.admin, httpEngine: status.httpEngine, pidFile: pidPath },
    'gatewayd ready',
  );
  if (status.httpEngine === 'fallback') {
    logger.warn('workers run the pure-JS HTTP fallback: the native uWebSockets.js binary did not load');
  }
  // Each worker waited (bounded) for its first connection before it reported ready, and a failed
  // one reported its outage first: whoever starts the gateway hears of it on the terminal, not
  // only in the log. It still starts: the workers reconnect by themselves.
  const stateWarning = stateStartWarning(supervisor.stateHealth());
  const warnings = stateWarning === null ? [] : [stateWarning];
  if (launcher === null) for (const warning of warnings) printError(warning);
  await launcher?.ready(process.pid, warnings);
  earlyHangup.handOver(supervisor, log);
  await supervisor.stopped;
  return 0;
}

async function handleControlRequest(supervisor: Supervisor, request: ControlRequest, logger: SupervisorLog['logger']): Promise<ControlResponse> {
  switch (request.cmd) {
    case 'status':
      return { ok: true, cmd: 'status', status: await supervisor.status() };
    case 'reload': {
      logger.info('gatewayd reload: rolling reload');
      const result = await supervisor.reload();
      return result.ok ? { ok: true, cmd: 'reload', generation: result.generation, workers: result.pids, warnings: result.warnings } : { ok: false, error: result.error, code: result.code };
    }
    case 'stop':
      // After the answer is written: the shutdown closes this very socket.
      setImmediate(() => void supervisor.shutdown(request.mode, 'control request'));
      return { ok: true, cmd: 'stop' };
  }
}

