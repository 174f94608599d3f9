// Runs a steady-flow plan on one broker: declare the topology, fork the consumer and producer
// processes, let them run through a warm-up into the measurement window, then gather what each
// process saw in that window together with the broker's own CPU and memory.
import { BrokerMonitor } from './broker-monitor.js';
import type { ClientKind } from './clients/client.js';
import { LatencyHistogram } from './histogram.js';
import type { Measurements } from './measurements.js';
import type { ProducerGroup, SteadyFlowPlan } from './scenario-types.js';
import { declareTopology, deleteTopology } from './topology.js';
import type { ConsumerWork, ProducerWork, WindowReport } from './worker/messages.js';
import { WorkerHandle } from './worker/worker-handle.js';

export interface RunSettings {
  client: ClientKind;
  warmupMs: number;
  durationMs: number;
}

export interface BrokerEndpoint {
  url: string;
  pid: number | null;
}

/** How long past the window's end a report may take before the run is abandoned. */
const REPORT_GRACE_MS = 15_000;

export async function runSteadyFlow(plan: SteadyFlowPlan, broker: BrokerEndpoint, settings: RunSettings): Promise<Measurements> {
  await declareTopology(broker.url, plan.topology);
  const producers: WorkerHandle[] = [];
  const consumers: WorkerHandle[] = [];
  try {
    const { producers: pg, consumers: cg } = plan;
    spread(cg.queues, cg.processes).forEach((queues, i) => {
      const worker = new WorkerHandle(`consumer process ${i + 1}`);
      const work: ConsumerWork = { queues, prefetch: cg.prefetch, manualAck: cg.manualAck };
      worker.send({ type: 'init', role: 'consumer', client: settings.client, url: broker.url, work });
      consumers.push(worker);
    });
    spread(Array.from({ length: pg.connections }), pg.processes).forEach((share, i) => {
      const worker = new WorkerHandle(`producer process ${i + 1}`);
      worker.send({ type: 'init', role: 'producer', client: settings.client, url: broker.url, work: producerWork(pg, share.length) });
      producers.push(worker);
    });
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
    await Promise.all([...producers, ...consumers].map((w) => w.stop()));
    await deleteTopology(broker.url, plan.topology).catch((err: Error) => console.error(`  cleanup failed: ${err.message}`));
  }
}

function producerWork(group: ProducerGroup, connections: number): ProducerWork {
  return {
    connections,
    exchange: group.exchange,
    routingKeys: group.routingKeys,
    bodySize: group.bodySize,
    persistent: group.persistent,
    ...(group.confirmWindow === undefined ? {} : { confirmWindow: group.confirmWindow }),
    ...(group.ratePerSecond === undefined ? {} : { ratePerSecond: group.ratePerSecond / group.connections }),
  };
}

/** Splits items into at most `parts` near-equal consecutive shares, dropping empty ones. */
function spread<T>(items: T[], parts: number): T[][] {
  const shares: T[][] = [];
  let from = 0;
  for (let i = 0; i < parts; i++) {
    const to = Math.round(((i + 1) * items.length) / parts);
    if (to > from) shares.push(items.slice(from, to));
    from = to;
  }
  return shares;
}

/** Adds up per-process rates, each over that process's own measured window. */
function sumRate(reports: readonly WindowReport[], amount: (r: WindowReport) => number): number {
  return reports.reduce((sum, r) => sum + amount(r) / (r.windowNs / 1e9), 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
