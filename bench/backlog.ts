// Runs a backlog plan on one broker: producers publish the plan's count into queues nobody consumes
// from (confirms bound what is in flight), the broker's memory is read, then consumers attach and
// drain everything. Producers and consumers are forked before anything is timed; consumers connect
// only when draining starts.
import { runCountedPhase } from './counted-phase.js';
import type { BacklogMeasurements } from './measurements.js';
import type { BrokerEndpoint, RunSettings } from './run-context.js';
import type { BacklogPlan } from './scenario-types.js';
import { withTimeout } from './timing.js';
import { declareTopology, deleteTopology, queueDepths } from './topology.js';
import { forkConsumers, forkProducers, stopWorkers } from './worker-groups.js';

const READY_TIMEOUT_MS = 60_000;

export async function runBacklog(plan: BacklogPlan, broker: BrokerEndpoint, settings: RunSettings): Promise<BacklogMeasurements> {
  await declareTopology(broker.url, plan.topology);
  const count = plan.messageCount;
  const producers = forkProducers(plan.producers, broker.url, settings.client, { messageCount: count });
  const consumers = forkConsumers(plan.consumers, broker.url, settings.client, { connectOnRun: true });
  try {
    const all = [...producers, ...consumers];
    await withTimeout(Promise.all(all.map((w) => w.next('ready'))), READY_TIMEOUT_MS, 'workers were not ready');

    const publishing = await runCountedPhase(producers, count, 'publishing', broker.pid);
    const nacked = publishing.reports.reduce((sum, r) => sum + r.nacked, 0);
    if (nacked > 0) throw new Error(`the broker nacked ${nacked} of ${count} publishes`);
    const queued = (await queueDepths(broker.url, plan.consumers.queues)).reduce((sum, n) => sum + n, 0);
    if (queued !== count) throw new Error(`after publishing, the queues hold ${queued} messages, not ${count}`);

    const draining = await runCountedPhase(consumers, count, 'draining', broker.pid);
    return {
      publishedPerSec: publishing.perSecond,
      publishBrokerCpuCores: publishing.brokerCpuCores,
      publishPeakRssMb: publishing.brokerPeakRssMb,
      rssAfterPublishMb: publishing.brokerRssAtEndMb,
      drainedPerSec: draining.perSecond,
      drainBrokerCpuCores: draining.brokerCpuCores,
      drainPeakRssMb: draining.brokerPeakRssMb,
      rssAfterDrainMb: draining.brokerRssAtEndMb,
      producerCpuCores: publishing.workerCpuCores,
      consumerCpuCores: draining.workerCpuCores,
    };
  } finally {
    await stopWorkers([...producers, ...consumers]);
    await deleteTopology(broker.url, plan.topology).catch((err: Error) => console.error(`  cleanup failed: ${err.message}`));
  }
}
