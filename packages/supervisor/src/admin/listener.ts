/**
 * The admin plane's listener across reloads: bound at start from admin.enabled / host / port, and
 * moved by a reload that changes them (opened, closed, or rebound). A move that cannot bind keeps
 * the admin API where it was and says so in the log: the data plane's reload is not undone for it.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '@gatewayd/shared';
import { formatAddress } from '../supervisor/config.js';
import type { AdminHost } from './host.js';
import { startAdminServer, type AdminServer } from './server.js';

type Bind = { host: string; port: number };

const bindOf = (admin: GatewayConfig['admin']): Bind | null => (admin.enabled ? { host: admin.host, port: admin.port } : null);
const sameBind = (a: Bind | null, b: Bind | null): boolean => (a === null || b === null ? a === b : a.host === b.host && a.port === b.port);

export class AdminListener {
  private server: AdminServer | null = null;
  private bind: Bind | null = null;
  /** Moves run one at a time (reloads are serialised already; close() may race one). */
  private queue: Promise<void> = Promise.resolve();
  /** Set by close(): a listener that binds after it is closed at once. */
  private closed = false;

  constructor(
    private readonly host: AdminHost,
    private readonly logger: Logger,
    /** Told the address served now (null: none), for status and the admin views. */
    private readonly onAddress: (address: string | null) => void,
  ) {}

  /** At start: a bind failure is thrown (the start fails, as for the data port). */
  async start(admin: GatewayConfig['admin']): Promise<void> {
    const bind = bindOf(admin);
    if (bind === null) return;
    const server = await startAdminServer(this.host, bind, this.logger);
    if (this.closed) {
      // A stop signal came while it was binding: the supervisor's cleanup already ran.
      await server.close();
      return;
    }
    this.server = server;
    this.bind = bind;
    this.onAddress(server.address);
  }

  /** After a reload: follow admin.enabled / host / port. Never throws. */
  apply(admin: GatewayConfig['admin']): Promise<void> {
    this.queue = this.queue.then(() => this.move(bindOf(admin)));
    return this.queue;
  }

  close(): Promise<void> {
    this.closed = true;
    this.queue = this.queue.then(() => this.stop());
    return this.queue;
  }

  private async move(wanted: Bind | null): Promise<void> {
    if (this.closed || sameBind(wanted, this.bind)) return;
    if (wanted === null) {
      await this.stop();
      this.logger.info('reload: admin.enabled is false, the admin API is closed');
      return;
    }
    const where = formatAddress(wanted.host, wanted.port);
    try {
      const fresh = await this.bindOrSwap(wanted);
      const old = this.server;
      this.server = fresh;
      this.bind = wanted;
      this.onAddress(fresh.address);
      if (old !== null) await old.close();
      this.logger.info({ admin: fresh.address }, 'reload: the admin API moved');
    } catch (err) {
      const stays = this.server === null ? 'it stays closed' : `it stays on ${this.server.address}`;
      this.logger.error({ err: (err as Error).message, admin: where }, `reload: the admin API cannot listen on ${where}; ${stays}`);
    }
  }

  /**
   * A new listener beside the old one; when the old one holds the port (same port, another host),
   * it is closed first and, if the new bind still fails, bound again where it was.
   */
  private async bindOrSwap(wanted: Bind): Promise<AdminServer> {
    try {
      return await startAdminServer(this.host, wanted, this.logger);
    } catch (err) {
      const held = this.server !== null && this.bind !== null && this.bind.port === wanted.port;
      if (!held) throw err;
    }
    const previous = this.bind!;
    await this.stop();
    try {
      return await startAdminServer(this.host, wanted, this.logger);
    } catch (err) {
      this.server = await startAdminServer(this.host, previous, this.logger).catch(() => null);
      this.bind = this.server === null ? null : previous;
      this.onAddress(this.server?.address ?? null);
      throw err;
    }
  }

  private async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.bind = null;
    this.onAddress(null);
    if (server !== null) await server.close();
  }
}
