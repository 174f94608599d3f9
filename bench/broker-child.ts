// One broker process started by the bench (see broker-process.ts): spawned, awaited until it
// listens, and stopped cleanly ("close", then SIGKILL if it hangs) or killed outright.
import { fork, type ChildProcess } from 'node:child_process';
import type { BrokerKind, FromBrokerProcess } from './broker-process.js';
import { openFilesLimit } from './proc-stats.js';
import { MANAGEMENT_ENV, type BrokerEndpoint } from './run-context.js';

export interface BrokerLaunch {
  entry: string;
  execArgv: string[];
}

export interface ListeningBroker extends BrokerEndpoint {
  pid: number;
  /** when the broker reported itself listening, on the shared monotonic clock */
  listeningNs: bigint;
}

export type StopOutcome = 'closed' | 'killed' | 'had exited';

export class BrokerChild {
  /** just before the process was spawned */
  readonly spawnedNs: bigint;
  readonly pid: number;
  readonly listening: Promise<ListeningBroker>;
  private readonly proc: ChildProcess;
  private readonly exited: Promise<void>;

  /**
   * `dataDir`: the broker's, kept when it stops; none: a fresh one per process, removed on exit.
   * `management`: Warren also serves its management API (ListeningBroker.managementUrl).
   */
  constructor(kind: BrokerKind, launch: BrokerLaunch, options: { dataDir?: string; startTimeoutMs: number; management?: boolean }) {
    this.spawnedNs = process.hrtime.bigint();
    this.proc = fork(launch.entry, options.dataDir === undefined ? [kind] : [kind, options.dataDir], {
      ...withRaisedFileLimit(launch.execArgv),
      env: { ...process.env, [MANAGEMENT_ENV]: options.management ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.pid = this.proc.pid!;
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.listening = this.awaitListening(kind, options.startTimeoutMs);
    this.listening.catch(() => {}); // a caller that stops the broker before it listens need not await this
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Asks the broker to close its connections and exit; kills it if it has not within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<StopOutcome> {
    if (!this.running) return 'had exited';
    let killed = false;
    this.proc.send('close');
    const timer = setTimeout(() => {
      killed = true;
      this.proc.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return killed ? 'killed' : 'closed';
  }

  /** SIGKILL: the broker gets no chance to flush or close anything. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  private awaitListening(kind: BrokerKind, timeoutMs: number): Promise<ListeningBroker> {
    return new Promise<ListeningBroker>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${kind} broker did not start in ${timeoutMs} ms`));
        this.proc.kill('SIGKILL');
      }, timeoutMs);
      this.proc.once('message', (msg: FromBrokerProcess) => {
        clearTimeout(timer);
        if (msg.type === 'failed') reject(new Error(`${kind} broker failed to start: ${msg.message}`));
        else {
          const management = msg.managementUrl ? { managementUrl: msg.managementUrl } : {};
          resolve({ url: msg.url, pid: msg.pid, listeningNs: BigInt(msg.listeningNs), ...management });
        }
      });
      this.proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${kind} broker process exited (${signal ?? code}) before listening`));
      });
    });
  }
}

/**
 * A broker holding a thousand connections needs as many file descriptors: if this process's soft
 * open-files limit is below its hard one, the broker is started through `sh -c 'ulimit -n HARD; exec node ...'`
 * (exec keeps the pid and the IPC channel fork sets up).
 */
function withRaisedFileLimit(execArgv: string[]): { execArgv: string[]; execPath?: string } {
  let limit: { soft: number; hard: number };
  try {
    limit = openFilesLimit('self');
  } catch {
    return { execArgv };
  }
  if (limit.soft >= limit.hard) return { execArgv };
  const hard = Number.isFinite(limit.hard) ? String(limit.hard) : 'unlimited';
  return { execPath: '/bin/sh', execArgv: ['-c', `ulimit -n ${hard}; exec "$0" "$@"`, process.execPath, ...execArgv] };
}
