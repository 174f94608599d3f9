// Runs a declare-rate plan: on one connection, declare the plan's durable queues and bind each to one
// direct exchange, pipelined over a few channels with a bounded number of declare+bind pairs in flight;
// then delete them the same way. The broker's CPU and memory are watched while declaring, and its
// memory read before, after declaring and after deleting. The connection is driven from the bench's
// own process: requests and replies are small, and there is one connection.
import { BrokerMonitor } from './broker-monitor.js';
import { RawPipeline } from './clients/raw/raw-pipeline.js';
import type { DeclareRateMeasurements } from './measurements.js';
import { rssBytes } from './proc-stats.js';
import type { BrokerEndpoint } from './run-context.js';
import type { DeclareRatePlan } from './scenario-types.js';
import { splitCount } from './shares.js';
import { elapsedMs, sleep } from './timing.js';

/** A phase whose replies stop coming for this long fails the run. */
const STALL_LIMIT_MS = 60_000;
/** Before the first reading: a broker the bench just started is still allocating. */
const SETTLE_MS = 1000;

export async function runDeclareRate(plan: DeclareRatePlan, broker: BrokerEndpoint): Promise<DeclareRateMeasurements> {
  const rssMb = (): number | null => (broker.pid === null ? null : rssBytes(broker.pid) / 2 ** 20);
  const queue = (i: number): string => `${plan.queuePrefix}${i}`;
  const pipe = await RawPipeline.open(broker.url, plan.channels);
  let declared = 0;
  let deleted = false;
  try {
    await sleep(SETTLE_MS);
    const rssBeforeMb = rssMb();
    await pipe.declareExchange(plan.exchange, 'direct', plan.durable);

    const monitor = broker.pid === null ? null : new BrokerMonitor(broker.pid);
    monitor?.start();
    const cpuAtStart = process.cpuUsage();
    const declaring = await pipelined(pipe, plan, 2, 'declaring', (channel, i) => {
      pipe.declareQueue(channel, queue(i), plan.durable);
      pipe.bindQueue(channel, queue(i), plan.exchange, `k${i}`);
      declared = i + 1;
    }).finally(() => monitor?.stop());
    const rssAfterDeclareMb = rssMb();
    const usage = monitor?.finish() ?? null;
    const cpu = process.cpuUsage(cpuAtStart);

    const deleting = await pipelined(pipe, plan, 1, 'deleting', (channel, i) => pipe.deleteQueue(channel, queue(i)));
    deleted = true;
    await pipe.deleteExchange(plan.exchange);
    await sleep(SETTLE_MS);
    const rssAfterDeleteMb = rssMb();

    return {
      declaresPerSec: plan.queues / (declaring.ms / 1000),
      rssBeforeMb,
      declareBrokerCpuCores: usage ? usage.cpuSeconds / usage.windowSeconds : null,
      declarePeakRssMb: usage ? usage.peakRssBytes / 2 ** 20 : null,
      rssAfterDeclareMb,
      rssPerQueueKib: rssBeforeMb === null || rssAfterDeclareMb === null ? null : ((rssAfterDeclareMb - rssBeforeMb) * 1024) / plan.queues,
      deleteMs: deleting.ms,
      deletesPerSec: plan.queues / (deleting.ms / 1000),
      rssAfterDeleteMb,
      generatorCpuCores: (cpu.user + cpu.system) / 1e6 / (declaring.ms / 1000),
    };
  } finally {
    await pipe.close();
    if (!deleted && declared > 0) await cleanUp(broker.url, plan, declared);
  }
}

/** How a pipelined phase is spread: `queues` jobs, at most `inFlight` outstanding over `channels` channels. */
export type PipelineShape = Pick<DeclareRatePlan, 'queues' | 'channels' | 'inFlight'>;

/**
 * Issues `plan.queues` jobs of `repliesPerJob` requests each, keeping at most plan.inFlight jobs
 * outstanding (split evenly over the channels; a channel's next job goes out as one of its own
 * completes). Resolves with the time from the first request to the last reply.
 */
export function pipelined(
  pipe: RawPipeline,
  plan: PipelineShape,
  repliesPerJob: number,
  label: string,
  issue: (channel: number, job: number) => void,
): Promise<{ ms: number }> {
  const perChannel = splitCount(plan.inFlight, plan.channels);
  const replies = new Array<number>(plan.channels + 1).fill(0);
  let next = 0;
  let done = 0;
  let lastReplyMs = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  const startedNs = process.hrtime.bigint();
  return new Promise<{ ms: number }>((resolve, reject) => {
    pipe.onFailure = (err) => reject(new Error(`${label}: ${err.message}, after ${done} of ${plan.queues}`));
    pipe.onReply = (channel) => {
      lastReplyMs = Date.now();
      if (++replies[channel]! % repliesPerJob !== 0) return;
      if (++done === plan.queues) resolve({ ms: elapsedMs(startedNs) });
      else if (next < plan.queues) issue(channel, next++);
    };
    watchdog = setInterval(() => {
      if (Date.now() - lastReplyMs > STALL_LIMIT_MS) {
        reject(new Error(`${label}: no reply for ${STALL_LIMIT_MS / 1000} s, after ${done} of ${plan.queues}`));
      }
    }, 1000);
    for (let channel = 1; channel <= plan.channels; channel++) {
      for (let k = 0; k < perChannel[channel - 1]! && next < plan.queues; k++) issue(channel, next++);
    }
  }).finally(() => clearInterval(watchdog));
}

/** After a failed run: delete what may have been declared, on a fresh connection, so the broker is left clean. */
async function cleanUp(url: string, plan: DeclareRatePlan, declared: number): Promise<void> {
  try {
    const pipe = await RawPipeline.open(url, plan.channels);
    try {
      await pipelined(pipe, { ...plan, queues: declared }, 1, 'cleanup', (channel, i) => pipe.deleteQueue(channel, `${plan.queuePrefix}${i}`));
      await pipe.deleteExchange(plan.exchange);
    } finally {
      await pipe.close();
    }
  } catch (err) {
    console.error(`  cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
