// Minimal levelled logging to stderr. Embedded brokers default to warnings only, so a test run is quiet.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export function createLogger(level: LogLevel): Logger {
  const min = ORDER[level];
  const line = (lvl: LogLevel, msg: string) => {
    if (ORDER[lvl] >= min) process.stderr.write(`${new Date().toISOString()} [${lvl}] ${msg}\n`);
  };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m, err) => line('error', err instanceof Error ? `${m}: ${err.stack ?? err.message}` : m),
  };
}
