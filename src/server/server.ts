// The AMQP listeners: plain TCP, and optionally TLS (amqps), each accepted socket handed to a Connection.
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer, TlsOptions } from 'node:tls';
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
  /** An amqps listener besides the plain one. */
  tls?: TlsListenerOptions;
}

export interface TlsListenerOptions {
  port: number;
  /** Interface; undefined: as the plain listener. */
  host?: string;
  /** PEM certificate chain and private key of the broker; ca: PEM CAs that client certificates must chain to. */
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  /** Ask clients for a certificate and check it against ca (RabbitMQ's verify_peer). */
  verifyPeer?: boolean;
  /** With verifyPeer: refuse clients that send none (RabbitMQ's fail_if_no_peer_cert). */
  failIfNoPeerCert?: boolean;
}

export class AmqpServer implements AlarmListener, AccessListener {
  readonly connections = new Set<Connection>();
  readonly alarms: ResourceAlarms;
  private readonly server: Server;
  private readonly tlsServer: TlsServer | null = null;
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
    this.server = createServer({ noDelay: true }, this.accept);
    const tls = options.tls;
    if (tls) {
      const tlsOptions: TlsOptions = {
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: tls.verifyPeer ?? false,
        // Without fail-if-no-peer-cert a client may come without a certificate; one it sends must verify.
        rejectUnauthorized: (tls.verifyPeer ?? false) && (tls.failIfNoPeerCert ?? false),
        noDelay: true,
      };
      // node:tls (and node:crypto under it) is loaded only when TLS is configured: ~6 ms of start-up.
      this.tlsServer = process.getBuiltinModule('node:tls').createServer(tlsOptions, (socket) => {
        if (tls.verifyPeer && !tlsOptions.rejectUnauthorized && socket.getPeerCertificate()?.raw && !socket.authorized) {
          log.info(`TLS client ${socket.remoteAddress} refused: ${socket.authorizationError}`);
          socket.destroy();
          return;
        }
        this.accept(socket);
      });
      this.tlsServer.on('tlsClientError', (err, socket) => log.debug(`TLS handshake with ${socket.remoteAddress} failed: ${err.message}`));
    }
  }

  private readonly accept = (socket: Socket): void => {
    this.connections.add(new Connection(this.nextId++, socket, this.ctx));
  };

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

  /** Opens the listeners; tlsPort is set when there is an amqps listener. */
  async listen(): Promise<{ host: string; port: number; tlsPort?: number }> {
    this.alarms.start();
    const plain = await listenOn(this.server, this.options.port, this.options.host);
    if (!this.tlsServer) return plain;
    try {
      const tls = await listenOn(this.tlsServer, this.options.tls!.port, this.options.tls!.host ?? this.options.host);
      return { ...plain, tlsPort: tls.port };
    } catch (err) {
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      throw err;
    }
  }

  /** Stops accepting, closes every connection with 320 CONNECTION_FORCED, and resolves when all are gone. */
  async close(reason = 'shutdown'): Promise<void> {
    this.alarms.stop();
    const i = this.broker.accessListeners.indexOf(this);
    if (i >= 0) this.broker.accessListeners.splice(i, 1);
    const closed = Promise.all(
      [this.server, this.tlsServer].map((srv) => (srv && srv.listening ? new Promise<void>((resolve) => srv.close(() => resolve())) : undefined)),
    );
    await Promise.all([...this.connections].map((c) => c.forceClose(`broker forced connection closure with reason '${reason}'`)));
    await closed;
  }
}

function listenOn(server: Server | TlsServer, port: number, host: string | undefined): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = (): void => {
      server.off('error', reject);
      const addr = server.address();
      if (addr && typeof addr === 'object') resolve({ host: addr.address, port: addr.port });
      else reject(new Error('listener has no address'));
    };
    // Without a host Node binds every interface without resolving a name (which compiles a large
    // IPv6 regular expression: milliseconds at start-up).
    if (host === undefined) server.listen(port, listening);
    else server.listen(port, host, listening);
  });
}
