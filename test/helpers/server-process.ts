// `warren server` in a child process (run from source through tsx), for tests that must kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  /** The management API of the server (on a free port). */
  managementUrl: string | undefined;
  child: ChildProcess;
  exited: Promise<unknown>;
}

/** Starts the server on a free loopback port with the given data dir; resolves once it is ready. */
export function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'server', '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      err += s;
      const m = /ready to accept AMQP connections on [^ ]+:(\d+)/.exec(err);
      const mgmt = /management API and UI on (https?:\/\/[^\s;,]+)/.exec(err);
      if (m) resolve({ url: `amqp://guest:guest@127.0.0.1:${m[1]}`, managementUrl: mgmt?.[1], child, exited });
    });
    child.on('exit', (code) => reject(new Error(`warren exited (${code}) before it was ready:\n${err}`)));
  });
}
