// The brokers a bench run measures: one started in a child process (Warren, or the null broker),
// or one already running elsewhere, known by URL and (optionally) pid.
import { fileURLToPath } from 'node:url';
import { BrokerChild, type BrokerLaunch } from './broker-child.js';
import type { BrokerKind } from './broker-process.js';
import { compileBroker } from './compile-broker.js';
import type { BrokerEndpoint } from './run-context.js';
import { describeBroker } from './topology.js';

const BROKER_SOURCE = fileURLToPath(new URL('./broker-process.ts', import.meta.url));
const CLI_SOURCE = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface PrepareOptions {
  /** the run uses the management API: a broker the bench starts serves it (BrokerEndpoint.managementUrl) */
  management?: boolean;
}

export interface Target {
  label: string;
  /** a broker ready for the next run */
  prepare(options?: PrepareOptions): Promise<BrokerEndpoint>;
  /** why prepare() gives no managementUrl for this broker, for a scenario that needs one to say why it skips */
  noManagementReason: string;
  /** after a run: a child broker is stopped, so it takes no memory or CPU from the other broker's run */
  release(): Promise<void>;
  /**
   * Only for a persistent broker the bench starts itself: a new broker process on the given data
   * directory, which it leaves in place when it stops (restart scenarios start two in turn).
   */
  launchOnDataDir?(dataDir: string, startTimeoutMs: number): BrokerChild;
  /**
   * Only for Warren started by the bench: how to run its command line (`node <entry> server ...`), for
   * cold-start timing. `underTsx`: compiling failed, so startup times include tsx's loader.
   */
  cliLaunch?(): BrokerLaunch & { underTsx: boolean };
}

let launches: { broker: BrokerLaunch; cli: BrokerLaunch & { underTsx: boolean } } | null = null;

/** Compiled once per bench run; if compiling fails the broker runs under tsx, and its RSS includes tsx's loader. */
function compiledLaunches(): NonNullable<typeof launches> {
  if (launches) return launches;
  try {
    const compiled = compileBroker();
    launches = { broker: { entry: compiled.brokerProcess, execArgv: [] }, cli: { entry: compiled.cli, execArgv: [], underTsx: false } };
  } catch (err) {
    console.error(`  ${err instanceof Error ? err.message : String(err)}; running the broker under tsx (+~35 MB RSS)`);
    const execArgv = ['--import', TSX_LOADER];
    launches = { broker: { entry: BROKER_SOURCE, execArgv }, cli: { entry: CLI_SOURCE, execArgv, underTsx: true } };
  }
  return launches;
}

function brokerLaunch(): BrokerLaunch {
  return compiledLaunches().broker;
}

/**
 * A broker in a child process, started afresh for every run: memory one scenario leaves in a
 * garbage-collected heap would otherwise count against the next, and a crash ends only its own run.
 */
export function childBroker(kind: BrokerKind): Target {
  let child: BrokerChild | null = null;

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    await running?.stop(STOP_TIMEOUT_MS);
  };

  const target: Target = {
    label: kind === 'warren' ? 'Warren' : 'null broker',
    prepare: async (options = {}) => {
      await stop();
      const management = kind === 'warren' && options.management === true;
      child = new BrokerChild(kind, brokerLaunch(), { startTimeoutMs: START_TIMEOUT_MS, management });
      const { url, pid, managementUrl } = await child.listening;
      return managementUrl ? { url, pid, managementUrl } : { url, pid };
    },
    noManagementReason: kind === 'null' ? 'the null broker has no management API' : 'Warren did not report a management URL',
    release: stop,
  };
  if (kind === 'warren') {
    target.launchOnDataDir = (dataDir, startTimeoutMs) => new BrokerChild(kind, brokerLaunch(), { dataDir, startTimeoutMs });
    target.cliLaunch = () => compiledLaunches().cli;
  }
  return target;
}

/**
 * `management`: the base URL of its management API (http://user:pass@host:port; guest/guest when the URL
 * has no credentials), or why there is none.
 */
export async function externalBroker(url: string, pid: number | null, management: { url: string } | { missing: string }): Promise<Target> {
  const endpoint: BrokerEndpoint = 'url' in management ? { url, pid, managementUrl: management.url } : { url, pid };
  return {
    label: await describeBroker(url),
    prepare: async () => endpoint,
    noManagementReason: 'missing' in management ? management.missing : '',
    release: async () => {},
  };
}
