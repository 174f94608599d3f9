#!/usr/bin/env node
// The `warren` command. `warren server` runs the broker in the foreground.
import { parseArgs } from 'node:util';
import { DefinitionsError, VERSION, startBroker } from '../index.js';
import { readFileSync } from 'node:fs';
import { createLogger, type LogFormat, type LogLevel } from '../server/logger.js';
import { resolveSettings, SETTINGS, SettingsError, settingsHelp, type Settings } from './settings.js';
import { runCtl } from './ctl/index.js';

const HELP = `warren ${VERSION} — an AMQP 0-9-1 message broker compatible with RabbitMQ clients

Usage:
  warren server [options]     run the broker
  warren ctl COMMAND [args]   manage a running broker through its management HTTP API, like
                              rabbitmqctl (list_queues, add_user, set_policy, ...);
                              "warren ctl help" lists the commands
  warren --version            print the version
  warren --help               this help

Server options: each is also an environment variable and a config-file key of the same name
(--data-dir, WARREN_DATA_DIR, data-dir = ...). Flags win over the environment, which wins over
the config file.
  --config <file>
      read settings from this file: one 'key = value' per line, '#' comments (WARREN_CONFIG)
${settingsHelp()}
`;

function fail(msg: string): never {
  process.stderr.write(`warren: ${msg}\n\n${HELP}`);
  process.exit(2);
}

async function server(argv: string[]): Promise<void> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const st of SETTINGS) options[st.key] = { type: st.kind === 'switch' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const flags: Settings = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) flags[k] = String(v);
  let set: Settings;
  try {
    set = resolveSettings(flags, process.env);
  } catch (err) {
    if (err instanceof SettingsError) fail(err.message);
    throw err;
  }
  const on = (key: string) => set[key] === 'true';
  const num = (key: string) => Number(set[key]);
  let tls: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  try {
    tls = readTlsFiles(set);
  } catch (err) {
    fail((err as Error).message);
  }
  if (on('management-tls') && !tls) fail('management-tls needs tls-cert and tls-key');
  const host = set.host;
  const port = num('port');
  const management = on('no-management') ? undefined : { port: num('management-port'), host: set['management-host'] ?? host, tls: on('management-tls') ? tls : undefined };
  const prometheus = on('no-prometheus') ? undefined : { port: num('prometheus-port'), host };
  const dataDir = set['data-dir']!;

  let broker;
  try {
    broker = await startBroker({
      port,
      host,
      dataDir,
      logLevel: set['log-level'] as LogLevel,
      logFormat: set['log-format'] as LogFormat,
      sync: !on('no-sync'),
      diskFreeLimit: num('disk-free-limit'),
      memoryHighWatermark: num('vm-memory-high-watermark'),
      definitions: set.definitions || undefined,
      management,
      prometheus,
      tls: tls && { ...tls, port: num('tls-port'), host, verifyPeer: on('tls-verify-peer'), failIfNoPeerCert: on('tls-fail-if-no-peer-cert') },
      loopbackUsers: set['loopback-users'] === 'none' ? [] : (set['loopback-users'] ?? '').split(',').map((u) => u.trim()).filter((u) => u !== ''),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { listener?: string; port?: number };
    if (e.code === 'EADDRINUSE') {
      if (prometheus && e.listener === 'prometheus') fail(`prometheus port ${prometheus.port} is already in use; choose another with --prometheus-port, or --no-prometheus`);
      if (e.port === port || !management) fail(`port ${port} is already in use; choose another with --port`);
      if (tls && e.port === num('tls-port')) fail(`TLS port ${e.port} is already in use; choose another with --tls-port`);
      fail(`management port ${management.port} is already in use; choose another with --management-port, or --no-management`);
    }
    if (err instanceof DefinitionsError) {
      process.stderr.write(`warren: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const listening = [
    `AMQP connections on ${broker.host}:${broker.port} (${broker.url})`,
    broker.tlsPort !== undefined ? `amqps on port ${broker.tlsPort}` : undefined,
    broker.managementUrl ? `management API and UI on ${broker.managementUrl}` : undefined,
    broker.prometheusUrl ? `Prometheus metrics on ${broker.prometheusUrl}/metrics` : undefined,
  ].filter(Boolean);
  // Start and stop are announced whatever the log level: scripts and tests wait for the ready line.
  const announce = createLogger('info', set['log-format'] as LogFormat);
  announce.info(`Warren ${VERSION} ready to accept ${listening.join('; ')}, data dir ${dataDir}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    announce.info(`${signal} received, closing connections`);
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

/** The TLS files named by tls-cert, tls-key and tls-ca, read now so a bad path is reported at start. */
function readTlsFiles(set: Settings): { cert: Buffer; key: Buffer; ca?: Buffer } | undefined {
  const certPath = set['tls-cert'];
  const keyPath = set['tls-key'];
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) throw new Error('TLS needs both tls-cert and tls-key');
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const caPath = set['tls-ca'];
  return { cert: read('tls-cert', certPath), key: read('tls-key', keyPath), ca: caPath ? read('tls-ca', caPath) : undefined };
}
