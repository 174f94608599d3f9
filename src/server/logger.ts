// Levelled logging to stderr, as text for people (the default) or as JSON lines for log shippers
// (one object per line: time, level, msg, and err with its stack). Embedded brokers default to
// warnings only, so a test run is quiet.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'text' | 'json';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export function createLogger(level: LogLevel, format: LogFormat = 'text', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = ORDER[level];
  const line =
    format === 'json'
      ? (lvl: LogLevel, msg: string, err?: unknown) => {
          if (ORDER[lvl] < min) return;
          const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg };
          if (err instanceof Error) entry.err = { type: err.name, message: err.message, stack: err.stack };
          write(`${JSON.stringify(entry)}\n`);
        }
      : (lvl: LogLevel, msg: string, err?: unknown) => {
          if (ORDER[lvl] < min) return;
          const text = err instanceof Error ? `${msg}: ${err.stack ?? err.message}` : msg;
          write(`${new Date().toISOString()} [${lvl}] ${text}\n`);
        };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m, err) => line('error', m, err),
  };
}
