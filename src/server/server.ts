// The AMQP listener: accepts TCP connections and hands each to a Connection.
import { createServer, type Server } from 'node:net';
import type { AccessListener, Broker } from '../broker/broker.js';
import { Connection, DEFAULT_LIMITS, serverProperties, type ConnectionContext, type ConnectionLimits } from './connection.js';
import type { Logger } from './logger.js';
import { ResourceAlarms, type AlarmListener, type AlarmSettings } from './alarms.js';

export interface AmqpServerOptions {
  /** Interface to listen on; undefined: every interface. */
  host?: string;
  port: number;
  limits?: Partial<ConnectionLimits>;
  version: string;
  alarms: AlarmSettings;
}

export class AmqpServer implements AlarmListener, AccessListener {
  readonly connections = new Set<Connection>();
  readonly alarms: ResourceAlarms;
  private readonly server: Server;
  private readonly ctx: ConnectionContext;
  private nextId = 1;

  constructor(
    readonly broker: Broker,
    private readonly options: AmqpServerOptions,
    private readonly log: Logger,
  ) {
    this.alarms = new ResourceAlarms(options.alarms, this, log);
    this.ctx = {
      broker,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      log,
      serverProperties: serverProperties(options.version),
      alarms: this.alarms,
      onClosed: (c) => this.connections.delete(c),
    };
    broker.accessListeners.push(this);
    this.server = createServer({ noDelay: true }, (socket) => {
      this.connections.add(new Connection(this.nextId++, socket, this.ctx));
    });
  }

  alarmRaised(reason: string): void {
    for (const c of this.connections) c.blockForAlarm(reason);
  }

  vhostDeleted(name: string): void {
    for (const c of this.connections) if (c.vhost?.name === name) void c.forceClose(`vhost '${name}' is deleted`);
  }

  userDeleted(name: string): void {
    for (const c of this.connections) if (c.username === name) void c.forceClose(`user '${name}' is deleted`);
  }

  alarmCleared(): void {
    for (const c of this.connections) c.alarmCleared();
  }

  listen(): Promise<{ host: string; port: number }> {
    this.alarms.start();
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const listening = (): void => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr && typeof addr === 'object') resolve({ host: addr.address, port: addr.port });
        else reject(new Error('listener has no address'));
      };
      // Without a host Node binds every interface without resolving a name (which compiles a large
      // IPv6 regular expression: milliseconds at start-up).
      if (this.options.host === undefined) this.server.listen(this.options.port, listening);
      else this.server.listen(this.options.port, this.options.host, listening);
    });
  }

  /** Stops accepting, closes every connection with 320 CONNECTION_FORCED, and resolves when all are gone. */
  async close(reason = 'shutdown'): Promise<void> {
    this.alarms.stop();
    const i = this.broker.accessListeners.indexOf(this);
    if (i >= 0) this.broker.accessListeners.splice(i, 1);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.forceClose(`broker forced connection closure with reason '${reason}'`)));
    await closed;
  }
}
