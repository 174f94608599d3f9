// The settings of `warren server`, each available three ways with one name: a flag (--data-dir), an
// environment variable (WARREN_DATA_DIR) and a key in the config file (data-dir = ...). A flag beats
// the environment, which beats the file, which beats the default.
//
// The config file (--config FILE or WARREN_CONFIG) holds one `key = value` per line, as RabbitMQ's
// rabbitmq.conf does; `#` starts a comment; values are taken as written (no quotes needed); switches
// take true or false.
import { readFileSync } from 'node:fs';

export type SettingKind = 'string' | 'port' | 'bytes' | 'fraction' | 'switch' | 'choice';

export interface Setting {
  key: string;
  kind: SettingKind;
  /** shown in --help, with the flag's argument name */
  arg?: string;
  help: string;
  default?: string;
  choices?: readonly string[];
}

export const SETTINGS: readonly Setting[] = [
  { key: 'port', kind: 'port', arg: 'n', help: 'AMQP port', default: '5672' },
  { key: 'host', kind: 'string', arg: 'addr', help: 'interface to listen on (default: all interfaces)' },
  { key: 'data-dir', kind: 'string', arg: 'dir', help: 'directory for durable state, created if missing', default: 'data' },
  { key: 'log-level', kind: 'choice', arg: 'level', help: 'debug | info | warn | error', default: 'info', choices: ['debug', 'info', 'warn', 'error'] },
  { key: 'log-format', kind: 'choice', arg: 'format', help: 'text (for people) | json (one object per line, for log shippers)', default: 'text', choices: ['text', 'json'] },
  { key: 'no-sync', kind: 'switch', help: 'confirm without waiting for fsync; faster, but a power loss can lose confirmed messages (a crash of the broker alone cannot)' },
  { key: 'disk-free-limit', kind: 'bytes', arg: 'bytes', help: 'block publishers while free disk in the data dir is below this', default: '50000000' },
  { key: 'vm-memory-high-watermark', kind: 'fraction', arg: 'fraction', help: 'block publishers while the broker uses more than this share of RAM', default: '0.4' },
  { key: 'definitions', kind: 'string', arg: 'file', help: "at start, import a definitions file in RabbitMQ's JSON format (GET /api/definitions); existing objects are kept" },
  { key: 'management-port', kind: 'port', arg: 'n', help: 'port of the management HTTP API and web UI', default: '15672' },
  { key: 'management-host', kind: 'string', arg: 'addr', help: 'interface for the management listener (default: as host)' },
  { key: 'management-tls', kind: 'switch', help: 'serve the management API and UI over HTTPS, with tls-cert and tls-key' },
  { key: 'no-management', kind: 'switch', help: 'no management listener' },
  { key: 'prometheus-port', kind: 'port', arg: 'n', help: 'port of the Prometheus metrics endpoint (/metrics)', default: '15692' },
  { key: 'no-prometheus', kind: 'switch', help: 'no Prometheus listener' },
  { key: 'tls-port', kind: 'port', arg: 'n', help: 'amqps port, opened when tls-cert and tls-key are given', default: '5671' },
  { key: 'tls-cert', kind: 'string', arg: 'file', help: "PEM certificate (chain) of the broker's TLS listeners" },
  { key: 'tls-key', kind: 'string', arg: 'file', help: 'PEM private key of that certificate' },
  { key: 'tls-ca', kind: 'string', arg: 'file', help: 'PEM CA certificates that client certificates must chain to' },
  { key: 'tls-verify-peer', kind: 'switch', help: 'ask amqps clients for a certificate and check it against tls-ca' },
  { key: 'tls-fail-if-no-peer-cert', kind: 'switch', help: 'with tls-verify-peer: refuse clients that send no certificate' },
  { key: 'loopback-users', kind: 'string', arg: 'names', help: "comma-separated users who may connect only from localhost; 'none' lets every user connect from anywhere", default: 'guest' },
];

export type Settings = Record<string, string | undefined>;

export class SettingsError extends Error {}

export function envName(key: string): string {
  return `WARREN_${key.toUpperCase().replace(/-/g, '_')}`;
}

/** Parses a config file's text; unknown keys and malformed lines are errors naming the line. */
export function parseConfigFile(text: string, path: string): Settings {
  const out: Settings = {};
  const known = new Set(SETTINGS.map((s) => s.key));
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new SettingsError(`${path}:${i + 1}: expected 'key = value', got '${raw.trim()}'`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!known.has(key)) throw new SettingsError(`${path}:${i + 1}: unknown setting '${key}' (see warren server --help)`);
    out[key] = value;
  }
  return out;
}

/**
 * The effective settings: flags (already parsed: key → value, switches as 'true'), then the
 * environment, then the config file, then defaults. Values are checked here, with messages that say
 * which source was wrong.
 */
export function resolveSettings(flags: Settings, env: NodeJS.ProcessEnv): Settings {
  const configPath = flags.config ?? env.WARREN_CONFIG;
  let file: Settings = {};
  if (configPath) {
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (err) {
      throw new SettingsError(`cannot read config file ${configPath}: ${(err as Error).message}`);
    }
    file = parseConfigFile(text, configPath);
  }
  const out: Settings = {};
  for (const s of SETTINGS) {
    const fromEnv = env[envName(s.key)];
    const [value, source] =
      flags[s.key] !== undefined
        ? [flags[s.key], `--${s.key}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, envName(s.key)]
          : file[s.key] !== undefined
            ? [file[s.key], configPath!]
            : [s.default, 'default'];
    out[s.key] = value === undefined ? undefined : check(s, value, source);
  }
  return out;
}

function check(s: Setting, value: string, source: string): string {
  const bad = (expected: string) => new SettingsError(`invalid ${s.key} '${value}' (${source}): expected ${expected}`);
  switch (s.kind) {
    case 'port': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65535) throw bad('a port number 0-65535');
      return value;
    }
    case 'bytes':
      if (!/^\d+$/.test(value)) throw bad('a number of bytes');
      return value;
    case 'fraction': {
      const n = Number(value);
      if (!(n > 0 && n <= 1)) throw bad('a fraction of RAM between 0 and 1');
      return value;
    }
    case 'switch':
      if (['true', '1', 'yes'].includes(value)) return 'true';
      if (['false', '0', 'no'].includes(value)) return 'false';
      throw bad('true or false');
    case 'choice':
      if (!s.choices!.includes(value)) throw bad(s.choices!.join(' | '));
      return value;
    case 'string':
      return value;
  }
}

/** The options part of `warren server --help`, generated from the table. */
export function settingsHelp(): string {
  const lines: string[] = [];
  for (const s of SETTINGS) {
    const flag = `--${s.key}${s.arg ? ` <${s.arg}>` : ''}`;
    const extra = [envName(s.key) + (s.kind === 'switch' ? '=true' : ''), s.default !== undefined ? `default ${s.default}` : undefined].filter(Boolean).join(', ');
    lines.push(`  ${flag}`);
    lines.push(`      ${s.help} (${extra})`);
  }
  return lines.join('\n');
}
