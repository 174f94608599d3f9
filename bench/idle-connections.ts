// Runs an idle-connections plan: the broker's RSS is read once it has settled, then generator processes
// open the plan's connections (one channel each; counted mode, so the rate is timed from the start
// signal to the last channel.open-ok), the broker settles again with all of them open and silent (its
// CPU is measured meanwhile), its RSS is read, and the connections are closed.
import { BrokerMonitor } from './broker-monitor.js';
import { runCountedPhase } from './counted-phase.js';
import type { IdleConnectionsMeasurements } from './measurements.js';
import { openFilesLimit, rssBytes } from './proc-stats.js';
import type { BrokerEndpoint, RunSettings } from './run-context.js';
import type { IdleConnectionsPlan } from './scenario-types.js';
import { sleep, withTimeout } from './timing.js';
import { forkIdleConnections } from './worker-groups.js';

const READY_TIMEOUT_MS = 60_000;
/** Closing hundreds of connections per process takes a moment; past this the process is killed. */
const CLOSE_GRACE_MS = 20_000;
/** Descriptors a process needs besides its sockets (files, pipes, epoll, ...). */
const SPARE_FDS = 64;

export async function runIdleConnections(
  plan: IdleConnectionsPlan,
  broker: BrokerEndpoint,
  settings: RunSettings,
): Promise<IdleConnectionsMeasurements> {
  checkFileLimits(plan, broker.pid);
  const rssMb = (): number | null => (broker.pid === null ? null : rssBytes(broker.pid) / 2 ** 20);
  const workers = forkIdleConnections(plan.connections, plan.processes, plan.concurrency, broker.url, settings.client);
  let closed = false;
  try {
    await withTimeout(Promise.all(workers.map((w) => w.next('ready'))), READY_TIMEOUT_MS, 'connecting processes were not ready');
    await sleep(plan.settleMs);
    const rssBeforeMb = rssMb();

    const connecting = await runCountedPhase(workers, plan.connections, 'connecting', broker.pid);
    const monitor = broker.pid === null ? null : new BrokerMonitor(broker.pid);
    monitor?.start();
    await sleep(plan.settleMs);
    const usage = monitor?.finish() ?? null;
    const rssWithConnectionsMb = rssMb();

    await Promise.all(workers.map((w) => w.stop(CLOSE_GRACE_MS)));
    closed = true;
    await sleep(plan.settleMs);
    const rssAfterCloseMb = rssMb();

    return {
      connectionsPerSec: connecting.perSecond,
      rssBeforeMb,
      rssWithConnectionsMb,
      rssPerConnectionKib:
        rssBeforeMb === null || rssWithConnectionsMb === null ? null : ((rssWithConnectionsMb - rssBeforeMb) * 1024) / plan.connections,
      idleBrokerCpuCores: usage ? usage.cpuSeconds / usage.windowSeconds : null,
      rssAfterCloseMb,
      generatorCpuCores: connecting.workerCpuCores,
    };
  } finally {
    if (!closed) await Promise.all(workers.map((w) => w.stop(CLOSE_GRACE_MS)));
  }
}

/** A broker (or generator process) that runs out of descriptors fails confusingly mid-run: say so up front. */
function checkFileLimits(plan: IdleConnectionsPlan, brokerPid: number | null): void {
  const perProcess = Math.ceil(plan.connections / plan.processes);
  const own = openFilesLimit('self').soft;
  if (own < perProcess + SPARE_FDS) {
    throw new Error(`the open-files limit (ulimit -n) is ${own}; each generator process needs ${perProcess + SPARE_FDS}: raise it`);
  }
  if (brokerPid === null) return;
  let broker: number;
  try {
    broker = openFilesLimit(brokerPid).soft;
  } catch {
    return; // another user's process: its limits are not readable
  }
  if (broker < plan.connections + SPARE_FDS) {
    throw new Error(
      `the broker's open-files limit is ${broker}, too few for ${plan.connections} connections ` +
        '(the bench starts its own broker with the hard limit, ulimit -Hn; a broker started elsewhere needs a restart with more)',
    );
  }
}
