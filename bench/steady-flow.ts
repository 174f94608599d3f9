// Runs a steady-flow plan on one broker: declare the topology, fork the consumer and producer
// processes, let them run through a warm-up into the measurement window, then gather what each
// process saw in that window together with the broker's own CPU and memory.
import { BrokerMonitor } from './broker-monitor.js';
import { LatencyHistogram } from './histogram.js';
import type { SteadyFlowMeasurements } from './measurements.js';
import type { BrokerEndpoint, RunSettings } from './run-context.js';
import type { SteadyFlowPlan } from './scenario-types.js';
import { sleep, withTimeout } from './timing.js';
import { declareTopology, deleteTopology } from './topology.js';
import { forkConsumers, forkProducers, stopWorkers, sumRate } from './worker-groups.js';

/** How long past the window's end a report may take before the run is abandoned. */
const REPORT_GRACE_MS = 15_000;

export async function runSteadyFlow(plan: SteadyFlowPlan, broker: BrokerEndpoint, settings: RunSettings): Promise<SteadyFlowMeasurements> {
  await declareTopology(broker.url, plan.topology);
  const { producers: pg, consumers: cg } = plan;
  const consumers = forkConsumers(cg, broker.url, settings.client);
  const producers = forkProducers(pg, broker.url, settings.client);
  try {
    const all = [...consumers, ...producers];
    await Promise.all(all.map((w) => w.next('ready')));

    const now = process.hrtime.bigint();
    const measureFromNs = now + BigInt(settings.warmupMs) * 1_000_000n;
    const measureUntilNs = measureFromNs + BigInt(settings.durationMs) * 1_000_000n;
    for (const w of all) w.send({ type: 'start', measureFromNs, measureUntilNs });

    const monitor = broker.pid === null ? null : new BrokerMonitor(broker.pid);
    await sleep(settings.warmupMs);
    monitor?.start();
    const reports = Promise.all(all.map((w) => w.next('report').then((m) => m.report)));
    reports.catch(() => {}); // awaited below; a worker failing mid-window must not be an unhandled rejection
    await Promise.race([sleep(settings.durationMs), reports.then(() => {})]);
    const brokerUsage = monitor?.finish() ?? null;
    const [producerReports, consumerReports] = await withTimeout(
      reports.then((r) => [r.slice(consumers.length), r.slice(0, consumers.length)] as const),
      REPORT_GRACE_MS,
      'workers did not report',
    );

    const latency = new LatencyHistogram();
    for (const r of consumerReports) if (r.latencyCounts) latency.merge(new LatencyHistogram(r.latencyCounts));
    return {
      publishedPerSec: sumRate(producerReports, (r) => r.published),
      confirmedPerSec: pg.confirmWindow ? sumRate(producerReports, (r) => r.confirmed) : null,
      consumedPerSec: sumRate(consumerReports, (r) => r.consumed),
      p50Ms: latency.quantileMicros(0.5) / 1000,
      p99Ms: latency.quantileMicros(0.99) / 1000,
      p999Ms: latency.quantileMicros(0.999) / 1000,
      brokerCpuCores: brokerUsage ? brokerUsage.cpuSeconds / brokerUsage.windowSeconds : null,
      brokerPeakRssMb: brokerUsage ? brokerUsage.peakRssBytes / 2 ** 20 : null,
      producerCpuCores: sumRate(producerReports, (r) => r.cpuMicros / 1e6),
      consumerCpuCores: sumRate(consumerReports, (r) => r.cpuMicros / 1e6),
    };
  } finally {
    await stopWorkers([...producers, ...consumers]);
    await deleteTopology(broker.url, plan.topology).catch((err: Error) => console.error(`  cleanup failed: ${err.message}`));
  }
}
