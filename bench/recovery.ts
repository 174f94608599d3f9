// Runs a recovery plan: a broker started by the bench on a data directory of the run's own fills a
// durable queue with persistent messages, is stopped (cleanly, or with SIGKILL), and is started again
// on the same directory. Timed from the new process's spawn: until it listens, and until a passive
// declare shows every message back in the queue; the broker's memory is watched meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerChild, ListeningBroker } from './broker-child.js';
import { BrokerMonitor } from './broker-monitor.js';
import { runCountedPhase } from './counted-phase.js';
import type { RecoveryMeasurements } from './measurements.js';
import { rssBytes } from './proc-stats.js';
import type { RunSettings } from './run-context.js';
import type { RecoveryPlan } from './scenario-types.js';
import { elapsedMs, withTimeout } from './timing.js';
import { declareTopology, queueDepths, waitForDepth } from './topology.js';
import { forkProducers, stopWorkers } from './worker-groups.js';

type Launcher = (dataDir: string, startTimeoutMs: number) => BrokerChild;

const FIRST_START_TIMEOUT_MS = 30_000;
/** Recovering a million messages is the point of the measurement: allow it minutes, not forever. */
const RECOVERY_TIMEOUT_MS = 10 * 60_000;
/** A clean stop that takes longer than this is reported as a failure (the broker is then killed). */
const CLEAN_STOP_TIMEOUT_MS = 120_000;
const FINAL_STOP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 60_000;
/** Startup is short; finer than the monitor's default so the peak is not missed. */
const RECOVERY_RSS_SAMPLE_MS = 20;

export async function runRecovery(plan: RecoveryPlan, launch: Launcher, settings: RunSettings): Promise<RecoveryMeasurements> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-recovery-'));
  let broker: BrokerChild | null = null;
  try {
    broker = launch(dataDir, FIRST_START_TIMEOUT_MS);
    const first = await broker.listening;
    await declareTopology(first.url, plan.topology);
    const publishedPerSec = await fill(plan, first.url, first.pid, settings);
    const rssBeforeStopMb = rssBytes(first.pid) / 2 ** 20;

    let stopMs: number | null = null;
    if (plan.stop === 'clean') {
      const stopFromNs = process.hrtime.bigint();
      const outcome = await broker.stop(CLEAN_STOP_TIMEOUT_MS);
      if (outcome !== 'closed') throw new Error(`the broker did not stop cleanly (${outcome})`);
      stopMs = elapsedMs(stopFromNs);
    } else {
      await broker.kill();
    }

    broker = launch(dataDir, RECOVERY_TIMEOUT_MS);
    const monitor = new BrokerMonitor(broker.pid, RECOVERY_RSS_SAMPLE_MS);
    monitor.start();
    const { second, recoveredNs } = await awaitRecovery(broker, plan).finally(() => monitor.stop());
    const rssAfterRecoveryMb = rssBytes(second.pid) / 2 ** 20;
    const usage = monitor.finish();
    return {
      publishedPerSec,
      rssBeforeStopMb,
      stopMs,
      spawnToListeningMs: elapsedMs(broker.spawnedNs, second.listeningNs),
      spawnToRecoveredMs: elapsedMs(broker.spawnedNs, recoveredNs),
      recoveryPeakRssMb: usage.peakRssBytes / 2 ** 20,
      rssAfterRecoveryMb,
    };
  } finally {
    await broker?.stop(FINAL_STOP_TIMEOUT_MS);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits for the restarted broker to listen, then to hold every message again. */
async function awaitRecovery(broker: BrokerChild, plan: RecoveryPlan): Promise<{ second: ListeningBroker; recoveredNs: bigint }> {
  const second = await broker.listening;
  const remainingMs = RECOVERY_TIMEOUT_MS - elapsedMs(broker.spawnedNs);
  const recoveredNs = await waitForDepth(second.url, plan.queue, plan.messageCount, Math.max(remainingMs, 1000));
  return { second, recoveredNs };
}

/** Publishes the plan's count with confirms and checks the queue holds them all; returns msgs/s. */
async function fill(plan: RecoveryPlan, url: string, pid: number, settings: RunSettings): Promise<number> {
  const producers = forkProducers(plan.producers, url, settings.client, { messageCount: plan.messageCount });
  try {
    await withTimeout(Promise.all(producers.map((w) => w.next('ready'))), READY_TIMEOUT_MS, 'producers were not ready');
    const publishing = await runCountedPhase(producers, plan.messageCount, 'publishing', pid);
    const [queued] = await queueDepths(url, [plan.queue]);
    if (queued !== plan.messageCount) throw new Error(`after publishing, the queue holds ${queued} messages, not ${plan.messageCount}`);
    return publishing.perSecond;
  } finally {
    await stopWorkers(producers);
  }
}
