// The brokers a bench run measures: one started in a child process (Warren, or the null broker),
// or one already running elsewhere, known by URL and (optionally) pid.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrokerKind, FromBrokerProcess } from './broker-process.js';
import { compileBrokerProcess } from './compile-broker.js';
import type { BrokerEndpoint } from './steady-flow.js';
import { describeBroker } from './topology.js';

const BROKER_SOURCE = fileURLToPath(new URL('./broker-process.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface Target {
  label: string;
  /** a broker ready for the next run */
  prepare(): Promise<BrokerEndpoint>;
  /** after a run: a child broker is stopped, so it takes no memory or CPU from the other broker's run */
  release(): Promise<void>;
}

/**
 * A broker in a child process, started afresh for every run: memory one scenario leaves in a
 * garbage-collected heap would otherwise count against the next, and a crash ends only its own run.
 */
interface BrokerLaunch {
  entry: string;
  execArgv: string[];
}

let launch: BrokerLaunch | null = null;

/** Compiled once per bench run; if compiling fails the broker runs under tsx, and its RSS includes tsx's loader. */
function brokerLaunch(): BrokerLaunch {
  if (launch) return launch;
  try {
    launch = { entry: compileBrokerProcess(), execArgv: [] };
  } catch (err) {
    console.error(`  ${err instanceof Error ? err.message : String(err)}; running the broker under tsx (+~35 MB RSS)`);
    launch = { entry: BROKER_SOURCE, execArgv: ['--import', TSX_LOADER] };
  }
  return launch;
}

export function childBroker(kind: BrokerKind): Target {
  let child: ChildProcess | null = null;

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.send('close');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const start = async (): Promise<BrokerEndpoint> => {
    const { entry, execArgv } = brokerLaunch();
    const proc = fork(entry, [kind], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = proc;
    const reply = await new Promise<FromBrokerProcess>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} broker did not start in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      proc.once('message', (msg: FromBrokerProcess) => {
        clearTimeout(timer);
        resolve(msg);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${kind} broker process exited (${signal ?? code}) before listening`));
      });
    });
    if (reply.type === 'failed') throw new Error(`${kind} broker failed to start: ${reply.message}`);
    return { url: reply.url, pid: reply.pid };
  };

  return {
    label: kind === 'warren' ? 'Warren' : 'null broker',
    prepare: async () => {
      await stop();
      return start();
    },
    release: stop,
  };
}

export async function externalBroker(url: string, pid: number | null): Promise<Target> {
  const endpoint = { url, pid };
  return {
    label: await describeBroker(url),
    prepare: async () => endpoint,
    release: async () => {},
  };
}
