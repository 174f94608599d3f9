// Embedding API: start a Warren broker inside this process, e.g. for a test suite.
//   const broker = await startBroker({ port: 0 });  // any free port
//   ... connect to broker.url ...
//   await broker.close();
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Listener, ManagementContext } from './management/context.js';
import type { ManagementServer } from './management/server.js';
import type { MetricsServer } from './metrics/server.js';
import { join } from 'node:path';
import { Broker } from './broker/broker.js';
import { DefinitionsError, importDefinitions } from './broker/definitions-import.js';
import type { ConnectionLimits } from './server/connection.js';
import { createLogger, type LogFormat, type LogLevel, type Logger } from './server/logger.js';
import { DEFAULT_ALARMS } from './server/alarms.js';
import { AmqpServer, type TlsListenerOptions } from './server/server.js';
import { DefinitionsStore } from './store/definitions-store.js';
import { MessageStore } from './store/message-store.js';
import { Pager } from './store/pager.js';

export interface StartOptions {
  /** TCP port; 0 picks a free one. Default 5672. */
  port?: number;
  /** Interface to listen on. Default: every interface (IPv6 and IPv4 where the system has both). */
  host?: string;
  /** Where durable definitions and persistent messages are kept (created if missing); without one, nothing outlives the broker. */
  dataDir?: string;
  /**
   * Whether confirms wait for fsync (default true). false trades durability against power loss for
   * speed, like LavinMQ's --no-sync; a crash of the broker process alone still loses nothing written.
   */
  sync?: boolean;
  /** Default 'warn' when embedded. */
  logLevel?: LogLevel;
  /** text (default) or json: one JSON object per line. */
  logFormat?: LogFormat;
  /** Users who may connect only from the loopback interface; default ['guest'], as RabbitMQ's loopback_users. */
  loopbackUsers?: string[];
  logger?: Logger;
  /** Free disk space (bytes) in the data dir below which publishers are blocked; default 50 MB. */
  diskFreeLimit?: number;
  /** Fraction of RAM above which publishers are blocked; default 0.4, as in RabbitMQ. */
  memoryHighWatermark?: number;
  /** Negotiation limits offered to clients (channel_max, frame_max, heartbeat seconds). */
  limits?: Partial<ConnectionLimits>;
  /**
   * Path of a definitions file in RabbitMQ's JSON format (GET /api/definitions, like RabbitMQ's
   * load_definitions): its exchanges, queues, bindings and policies are imported after recovery, before
   * the broker listens. Objects that already exist are kept as they are. If the file cannot be read,
   * parsed or imported, startBroker rejects with a DefinitionsError saying why.
   */
  definitions?: string;
  /**
   * The management HTTP API (RabbitMQ-compatible) and web UI: a port (0 picks a free one) and
   * interface. Off unless given (the `warren server` command turns it on at 15672).
   */
  management?: { port: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer } };
  /**
   * Prometheus metrics under RabbitMQ's names (GET /metrics, /metrics/per-object; docs/metrics.md): a
   * port (0 picks a free one) and interface. Off unless given (`warren server` turns it on at 15692).
   */
  prometheus?: { port: number; host?: string };
  /** An amqps listener (TLS) besides the plain one: certificate, key, and optionally client-certificate checks. */
  tls?: TlsListenerOptions;
  /** Seconds between samples of message rates for the management API; default 5, as RabbitMQ. */
  statsIntervalSeconds?: number;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** amqp://guest:guest@host:port, ready for any AMQP 0-9-1 client. */
  readonly url: string;
  readonly broker: Broker;
  /** The broker's logger (the one given, or the one made from logLevel and logFormat). */
  readonly log: Logger;
  /** Client connections currently open (including ones still in the handshake). */
  readonly connectionCount: number;
  /** Port of the amqps listener, when there is one. */
  readonly tlsPort: number | undefined;
  /** Base URL of the management API and UI (http://host:port), when it was started. */
  readonly managementUrl: string | undefined;
  /** Base URL of the Prometheus listener (http://host:port; metrics under /metrics), when it was started. */
  readonly prometheusUrl: string | undefined;
  /** Changes the resource alarm limits at run time (like rabbitmqctl set_disk_free_limit). */
  setAlarmLimits(limits: { diskFreeLimit?: number; memoryHighWatermark?: number }): void;
  /** Closes every client connection (320 CONNECTION_FORCED) and stops listening. */
  close(): Promise<void>;
}

export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

export async function startBroker(options: StartOptions = {}): Promise<RunningBroker> {
  const log = options.logger ?? createLogger(options.logLevel ?? 'warn', options.logFormat);
  const broker = new Broker({ loopbackUsers: options.loopbackUsers });
  // Without a data directory the broker keeps everything in memory (handy for tests).
  const dataDir = options.dataDir;
  const sync = options.sync ?? true;
  const messages = dataDir ? MessageStore.open({ dir: join(dataDir, 'messages'), sync, log }) : null;
  const pager = dataDir ? new Pager(join(dataDir, 'paging'), messages) : null;
  broker.storage = messages;
  broker.pager = pager;
  for (const vh of broker.vhosts.values()) {
    vh.storage = messages;
    vh.pager = pager;
  }
  const definitions = dataDir ? DefinitionsStore.open(dataDir, broker, log, sync) : null;
  if (messages) {
    const started = performance.now();
    const r = messages.recover(broker);
    if (r.messages > 0) {
      log.info(`recovered ${r.messages} messages in ${r.queues} queues in ${Math.round(performance.now() - started)} ms`);
    }
  }
  if (options.definitions !== undefined) {
    try {
      loadDefinitionsFile(broker, options.definitions, log);
    } catch (err) {
      definitions?.close();
      await messages?.close();
      await pager?.close();
      throw err;
    }
  }
  const server = new AmqpServer(
    broker,
    {
      host: options.host,
      port: options.port ?? 5672,
      limits: options.limits,
      version: VERSION,
      tls: options.tls,
      alarms: {
        dataDir: dataDir ?? null,
        diskFreeLimit: options.diskFreeLimit ?? DEFAULT_ALARMS.diskFreeLimit,
        memoryHighWatermark: options.memoryHighWatermark ?? DEFAULT_ALARMS.memoryHighWatermark,
      },
    },
    log,
  );
  let addr;
  try {
    addr = await server.listen();
  } catch (err) {
    definitions?.close();
    await messages?.close();
    await pager?.close();
    throw err;
  }
  let management: ManagementServer | null = null;
  if (options.management) {
    try {
      management = await startManagementFor(broker, server, options, addr.port, addr.tlsPort, options.management, dataDir ?? null);
    } catch (err) {
      await server.close();
      definitions?.close();
      await messages?.close();
      await pager?.close();
      throw err;
    }
  }
  let prometheus: MetricsServer | null = null;
  if (options.prometheus) {
    try {
      prometheus = await startPrometheusFor(broker, server, options.prometheus);
    } catch (err) {
      await Promise.all([server.close(), management?.close()]);
      definitions?.close();
      await messages?.close();
      await pager?.close();
      throw err;
    }
  }
  const urlHost = addr.host.includes(':') ? (addr.host === '::' ? 'localhost' : `[${addr.host}]`) : addr.host === '0.0.0.0' ? 'localhost' : addr.host;
  let closing: Promise<void> | null = null;
  return {
    host: addr.host,
    port: addr.port,
    url: `amqp://guest:guest@${urlHost}:${addr.port}`,
    broker,
    log,
    managementUrl: management?.url,
    prometheusUrl: prometheus?.url,
    tlsPort: addr.tlsPort,
    get connectionCount() {
      return server.connections.size;
    },
    setAlarmLimits: (limits) => server.alarms.configure(limits),
    close: () =>
      (closing ??= Promise.all([server.close(), management?.close(), prometheus?.close()]).then(async () => {
        // Queue timers (TTL, x-expires) must not touch the stores once they are closed.
        for (const vh of broker.vhosts.values()) for (const q of vh.queues.values()) q.closed();
        definitions?.close();
        await messages?.close();
        await pager?.close();
      })),
  };
}

async function startManagementFor(
  broker: Broker,
  amqp: AmqpServer,
  options: StartOptions,
  amqpPort: number,
  tlsPort: number | undefined,
  listen: NonNullable<StartOptions['management']>,
  dataDir: string | null,
): Promise<ManagementServer> {
  // Loaded only when asked for: the HTTP framework is not needed to serve AMQP.
  const [{ startManagement }, { RateSampler }, { managementCounters }] = await Promise.all([
    import('./management/server.js'),
    import('./management/rates.js'),
    import('./management/counters.js'),
  ]);
  // The broker's totals keep their history from the start, for the overview's charts.
  const rates = new RateSampler(() => managementCounters(broker, amqp), (options.statsIntervalSeconds ?? 5) * 1000, [broker.stats]);
  const listeners: Listener[] = [{ protocol: 'amqp', ip_address: options.host ?? '::', port: amqpPort }];
  if (tlsPort !== undefined) listeners.push({ protocol: 'amqp/ssl', ip_address: options.tls?.host ?? options.host ?? '::', port: tlsPort });
  const ctx: ManagementContext = { broker, amqp, version: VERSION, nodeName: `warren@${hostname()}`, startedAt: Date.now(), rates, listeners, dataDir };
  const uiDir = [new URL('./ui/', import.meta.url), new URL('../dist/ui/', import.meta.url)].map((u) => fileURLToPath(u)).find((d) => existsSync(d));
  const server = await startManagement(ctx, { port: listen.port, host: listen.host, uiDir, tls: listen.tls });
  listeners.push({ protocol: listen.tls ? 'https' : 'http', ip_address: listen.host ?? '::', port: server.port });
  rates.start();
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      rates.stop();
      await server.close();
    },
  };
}

async function startPrometheusFor(broker: Broker, amqp: AmqpServer, listen: { port: number; host?: string }): Promise<MetricsServer> {
  // Loaded only when asked for, like the management API.
  const [{ PrometheusExporter }, { startMetricsServer }] = await Promise.all([import('./metrics/prometheus.js'), import('./metrics/server.js')]);
  const exporter = new PrometheusExporter({ broker, amqp, version: VERSION, nodeName: `warren@${hostname()}` });
  return startMetricsServer(exporter, listen);
}

function loadDefinitionsFile(broker: Broker, path: string, log: Logger): void {
  const fail = (why: string) => new DefinitionsError(`could not load definitions from ${path}: ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail((err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON: ${(err as Error).message}`);
  }
  try {
    const n = importDefinitions(broker, json, log);
    log.info(`imported definitions from ${path}: ${n.exchanges} exchanges, ${n.queues} queues, ${n.bindings} bindings, ${n.policies} policies`);
  } catch (err) {
    throw fail((err as Error).message);
  }
}

export { Broker } from './broker/broker.js';
export { DefinitionsError, importDefinitions, type ImportCounts } from './broker/definitions-import.js';
export { PolicyError, parsePolicy, policyToJson, type Policy } from './broker/policies.js';
export type { LogFormat, LogLevel, Logger } from './server/logger.js';
