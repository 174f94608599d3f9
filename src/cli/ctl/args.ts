// The command line of `warren ctl`: options may come before or after the command name; the
// connection settings fall back to WARREN_MGMT_* environment variables, then to guest@localhost.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import type { ConnectionSettings } from './http-client.js';
import type { Format, OutputOptions } from './output.js';

const OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  vhost: { type: 'string', short: 'p' },
  format: { type: 'string' },
  formatter: { type: 'string' }, // rabbitmqctl's spelling
  quiet: { type: 'boolean', short: 'q' },
  silent: { type: 'boolean', short: 's' },
  'no-table-headers': { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  help: { type: 'boolean', short: 'h' },
  // options of single commands
  'if-empty': { type: 'boolean' },
  'if-unused': { type: 'boolean' },
  priority: { type: 'string' },
  'apply-to': { type: 'string' },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** Options that only some commands take; the rest apply to every command. */
export type CommandOption = 'vhost' | 'no-table-headers' | 'if-empty' | 'if-unused' | 'priority' | 'apply-to';
export const COMMAND_OPTIONS: readonly CommandOption[] = ['vhost', 'no-table-headers', 'if-empty', 'if-unused', 'priority', 'apply-to'];

export const DEFAULT_URL = 'http://localhost:15672';
export const DEFAULT_TIMEOUT_SECONDS = 60;

export interface ParsedArgs {
  /** The command name, when one was given. */
  command: string | undefined;
  /** Positional arguments after the command name. */
  args: string[];
  /** The options that appeared on the command line. */
  given: ReadonlySet<OptionName>;
  help: boolean;
  vhost: string;
  ifEmpty: boolean;
  ifUnused: boolean;
  priority: string | undefined;
  applyTo: string | undefined;
  output: OutputOptions;
  connection: ConnectionSettings;
}

export function parseCtlArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;

  const format = values.format ?? values.formatter ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid format '${format}': expected table or json`);

  return {
    command,
    args,
    given: new Set(Object.keys(values) as OptionName[]),
    help: values.help ?? false,
    vhost: values.vhost ?? '/',
    ifEmpty: values['if-empty'] ?? false,
    ifUnused: values['if-unused'] ?? false,
    priority: values.priority,
    applyTo: values['apply-to'],
    output: {
      format: format as Format,
      quiet: (values.quiet ?? false) || (values.silent ?? false),
      headers: !(values['no-table-headers'] ?? false) && !(values.silent ?? false),
    },
    connection: connectionSettings(values, env),
  };
}

/**
 * Precedence: --user/--password, then credentials written in the URL, then the environment,
 * then guest/guest.
 */
function connectionSettings(
  values: { url?: string; user?: string; password?: string; timeout?: string },
  env: NodeJS.ProcessEnv,
): ConnectionSettings {
  const text = values.url ?? (env.WARREN_MGMT_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid management URL '${text}': expected e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid management URL '${text}': the management API speaks http or https, not ${url.protocol.replace(':', '')}`);
  }
  const user = values.user ?? (url.username ? decodeURIComponent(url.username) : undefined) ?? env.WARREN_MGMT_USER ?? 'guest';
  const password = values.password ?? (url.password ? decodeURIComponent(url.password) : undefined) ?? env.WARREN_MGMT_PASSWORD ?? 'guest';
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';

  const timeoutText = values.timeout ?? String(DEFAULT_TIMEOUT_SECONDS);
  const timeout = Number(timeoutText);
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw new UsageError(`invalid timeout '${timeoutText}': expected a number of seconds`);

  return { baseUrl: url.href.replace(/\/+$/, ''), user, password, timeoutMs: Math.round(timeout * 1000) };
}
