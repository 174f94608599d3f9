// Drives worker processes in counted mode (publish N, or receive N): tells them to run, adds up their
// progress until the target is reached, and meanwhile watches the broker's CPU and memory. A phase
// that stops making progress, or runs past its limit, fails the run rather than hanging the bench.
import { BrokerMonitor } from './broker-monitor.js';
import { rssBytes } from './proc-stats.js';
import { withTimeout } from './timing.js';
import { sumRate } from './worker-groups.js';
import type { WindowReport, WorkerProgress } from './worker/messages.js';
import type { WorkerHandle } from './worker/worker-handle.js';

/** Long enough for a broker paging or fsyncing under a memory alarm; short enough to give up on a stuck one. */
const STALL_LIMIT_MS = 120_000;
/** No phase of 1M messages should take this long even on the slowest broker measured. */
const PHASE_LIMIT_MS = 30 * 60_000;
const REPORT_TIMEOUT_MS = 15_000;
/** A heavy phase takes minutes: say how far it has got now and then. */
const PROGRESS_LOG_MS = 15_000;

export interface PhaseResult {
  /** the target count over the time from 'run' to the last counted event */
  perSecond: number;
  seconds: number;
  /** each worker's figures from 'run' to 'finish' */
  reports: WindowReport[];
  /** summed over the workers, as a share of one core over their windows */
  workerCpuCores: number;
  brokerCpuCores: number | null;
  brokerPeakRssMb: number | null;
  /** sampled the moment the target was seen reached */
  brokerRssAtEndMb: number | null;
}

export async function runCountedPhase(
  workers: readonly WorkerHandle[],
  target: number,
  label: string,
  brokerPid: number | null,
): Promise<PhaseResult> {
  const monitor = brokerPid === null ? null : new BrokerMonitor(brokerPid);
  monitor?.start();
  const startedNs = process.hrtime.bigint();
  const progress = new Map<WorkerHandle, WorkerProgress>();
  await untilReached(workers, target, label, progress).finally(() => monitor?.stop());
  const brokerRssAtEndMb = brokerPid === null ? null : rssBytes(brokerPid) / 2 ** 20;
  const usage = monitor?.finish() ?? null;

  for (const w of workers) w.send({ type: 'finish' });
  const reports = await withTimeout(
    Promise.all(workers.map((w) => w.next('report').then((m) => m.report))),
    REPORT_TIMEOUT_MS,
    `${label}: workers did not report`,
  );
  const endedNs = [...progress.values()].reduce((latest, p) => (p.lastDoneNs > latest ? p.lastDoneNs : latest), startedNs);
  const seconds = Number(endedNs - startedNs) / 1e9;
  return {
    perSecond: target / seconds,
    seconds,
    reports,
    workerCpuCores: sumRate(reports, (r) => r.cpuMicros / 1e6),
    brokerCpuCores: usage ? usage.cpuSeconds / usage.windowSeconds : null,
    brokerPeakRssMb: usage ? usage.peakRssBytes / 2 ** 20 : null,
    brokerRssAtEndMb,
  };
}

/** Sends 'run' and resolves once the workers' progress adds up to the target. */
function untilReached(
  workers: readonly WorkerHandle[],
  target: number,
  label: string,
  progress: Map<WorkerHandle, WorkerProgress>,
): Promise<void> {
  const startedMs = Date.now();
  let lastGrowthMs = startedMs;
  let lastLogMs = startedMs;
  let watchdog: NodeJS.Timeout | undefined;
  const total = (): number => [...progress.values()].reduce((sum, p) => sum + p.done, 0);
  const reached = new Promise<void>((resolve, reject) => {
    for (const w of workers) {
      w.onProgress = (p) => {
        if (p.done !== (progress.get(w)?.done ?? 0)) lastGrowthMs = Date.now();
        progress.set(w, p);
        if (total() >= target) resolve();
      };
    }
    watchdog = setInterval(() => {
      const now = Date.now();
      const where = `${total().toLocaleString('en-US')} of ${target.toLocaleString('en-US')}`;
      if (now - lastGrowthMs > STALL_LIMIT_MS) reject(new Error(`${label}: no progress for ${STALL_LIMIT_MS / 1000} s, at ${where}`));
      else if (now - startedMs > PHASE_LIMIT_MS) reject(new Error(`${label}: not done in ${PHASE_LIMIT_MS / 60_000} min, at ${where}`));
      else if (now - lastLogMs >= PROGRESS_LOG_MS) {
        lastLogMs = now;
        console.log(`  ${label}: ${where} after ${Math.round((now - startedMs) / 1000)} s`);
      }
    }, 1000);
  });
  for (const w of workers) w.send({ type: 'run' });
  return Promise.race([reached, ...workers.map((w) => w.failed)]).finally(() => clearInterval(watchdog));
}
