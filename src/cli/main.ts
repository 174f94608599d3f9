#!/usr/bin/env node
// The `warren` command. `warren server` runs the broker in the foreground.
import { parseArgs } from 'node:util';
import { DefinitionsError, VERSION, startBroker } from '../index.js';
import type { LogLevel } from '../server/logger.js';
import { runCtl } from './ctl/index.js';

const HELP = `warren ${VERSION} — an AMQP 0-9-1 message broker compatible with RabbitMQ clients

Usage:
  warren server [options]     run the broker
  warren ctl COMMAND [args]   manage a running broker through its management HTTP API, like
                              rabbitmqctl (list_queues, add_user, set_policy, ...);
                              "warren ctl help" lists the commands
  warren --version            print the version
  warren --help               this help

Server options (each also read from the environment variable shown):
  --port <n>        AMQP port (WARREN_PORT, default 5672)
  --host <addr>     interface to listen on (WARREN_HOST, default all interfaces)
  --data-dir <dir>  directory for durable state, created if missing (WARREN_DATA_DIR, default ./data)
  --log-level <l>   debug | info | warn | error (WARREN_LOG_LEVEL, default info)
  --no-sync         confirm without waiting for fsync (WARREN_NO_SYNC=1); faster, but a power
                    loss can lose confirmed messages (a crash of the broker alone cannot)
  --disk-free-limit <bytes>
                    block publishers while free disk in the data dir is below this
                    (WARREN_DISK_FREE_LIMIT, default 50000000)
  --vm-memory-high-watermark <fraction>
                    block publishers while the broker uses more than this share of RAM
                    (WARREN_VM_MEMORY_HIGH_WATERMARK, default 0.4)
  --management-port <n>
                    port of the management HTTP API and web UI (WARREN_MANAGEMENT_PORT,
                    default 15672)
  --management-host <addr>
                    interface for it (WARREN_MANAGEMENT_HOST, default: as --host)
  --no-management   no management listener (WARREN_NO_MANAGEMENT=1)
  --prometheus-port <n>
                    port of the Prometheus metrics, RabbitMQ's names at /metrics and
                    /metrics/per-object (WARREN_PROMETHEUS_PORT, default 15692)
  --no-prometheus   no Prometheus listener (WARREN_NO_PROMETHEUS=1)
  --definitions <file>
                    at start, import the exchanges, queues, bindings and policies of a
                    definitions file in RabbitMQ's JSON format (GET /api/definitions);
                    existing objects are kept (WARREN_DEFINITIONS)
`;

function fail(msg: string): never {
  process.stderr.write(`warren: ${msg}\n\n${HELP}`);
  process.exit(2);
}

async function server(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'no-sync': { type: 'boolean' },
        'disk-free-limit': { type: 'string' },
        'vm-memory-high-watermark': { type: 'string' },
        definitions: { type: 'string' },
        'management-port': { type: 'string' },
        'management-host': { type: 'string' },
        'no-management': { type: 'boolean' },
        'prometheus-port': { type: 'string' },
        'no-prometheus': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const portText = values.port ?? env.WARREN_PORT ?? '5672';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port '${portText}': expected 0-65535`);
  const logLevel = (values['log-level'] ?? env.WARREN_LOG_LEVEL ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) fail(`invalid log level '${logLevel}'`);
  const host = values.host ?? env.WARREN_HOST;
  const dataDir = values['data-dir'] ?? env.WARREN_DATA_DIR ?? 'data';
  const diskText = values['disk-free-limit'] ?? env.WARREN_DISK_FREE_LIMIT;
  const diskFreeLimit = diskText === undefined ? undefined : Number(diskText);
  if (diskFreeLimit !== undefined && !(Number.isFinite(diskFreeLimit) && diskFreeLimit >= 0)) {
    fail(`invalid disk free limit '${diskText}': expected a number of bytes`);
  }
  const memText = values['vm-memory-high-watermark'] ?? env.WARREN_VM_MEMORY_HIGH_WATERMARK;
  const memoryHighWatermark = memText === undefined ? undefined : Number(memText);
  if (memoryHighWatermark !== undefined && !(memoryHighWatermark > 0 && memoryHighWatermark <= 1)) {
    fail(`invalid memory high watermark '${memText}': expected a fraction of RAM between 0 and 1`);
  }

  const definitions = values.definitions ?? (env.WARREN_DEFINITIONS || undefined);
  const noManagement = values['no-management'] ?? env.WARREN_NO_MANAGEMENT === '1';
  const mgmtPortText = values['management-port'] ?? env.WARREN_MANAGEMENT_PORT ?? '15672';
  const mgmtPort = Number(mgmtPortText);
  if (!Number.isInteger(mgmtPort) || mgmtPort < 0 || mgmtPort > 65535) fail(`invalid management port '${mgmtPortText}': expected 0-65535`);
  const management = noManagement ? undefined : { port: mgmtPort, host: values['management-host'] ?? env.WARREN_MANAGEMENT_HOST ?? host };
  const noPrometheus = values['no-prometheus'] ?? env.WARREN_NO_PROMETHEUS === '1';
  const promPortText = values['prometheus-port'] ?? env.WARREN_PROMETHEUS_PORT ?? '15692';
  const promPort = Number(promPortText);
  if (!Number.isInteger(promPort) || promPort < 0 || promPort > 65535) fail(`invalid prometheus port '${promPortText}': expected 0-65535`);
  const prometheus = noPrometheus ? undefined : { port: promPort, host };

  let broker;
  try {
    const sync = !(values['no-sync'] ?? env.WARREN_NO_SYNC === '1');
    broker = await startBroker({ port, host, dataDir, logLevel, sync, diskFreeLimit, memoryHighWatermark, definitions, management, prometheus });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' && prometheus && (e as { listener?: string }).listener === 'prometheus') {
      fail(`prometheus port ${prometheus.port} is already in use; choose another with --prometheus-port, or --no-prometheus`);
    }
    if (e.code === 'EADDRINUSE') {
      const which = (e as { port?: number }).port === port || !management ? `port ${port} is already in use; choose another with --port` : `management port ${management.port} is already in use; choose another with --management-port, or --no-management`;
      fail(which);
    }
    if (err instanceof DefinitionsError) {
      process.stderr.write(`warren: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  process.stderr.write(
    `${new Date().toISOString()} [info] Warren ${VERSION} ready to accept AMQP connections on ${broker.host}:${broker.port} (${broker.url}), data dir ${dataDir}` +
      (broker.managementUrl ? `; management API and UI on ${broker.managementUrl}` : '') +
      (broker.prometheusUrl ? `; Prometheus metrics on ${broker.prometheusUrl}/metrics` : '') +
      '\n',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${new Date().toISOString()} [info] ${signal} received, closing connections\n`);
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'server':
      return server(rest);
    case 'ctl':
      process.exitCode = await runCtl(rest);
      return;
    case '--version':
    case '-v':
      process.stdout.write(`${VERSION}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command '${cmd}'`);
  }
}

main().catch((err) => {
  process.stderr.write(`warren: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
