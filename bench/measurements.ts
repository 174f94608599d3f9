// What one run of a scenario on one broker yields, and how each figure is labelled, formatted and
// compared. Each plan kind has its own set of figures; adding a figure here adds it to the progress
// lines, the summary tables and the JSON.

/** Steady flow: rates and latency over a fixed window. */
export interface SteadyFlowMeasurements {
  publishedPerSec: number;
  /** null when the scenario does not use publisher confirms */
  confirmedPerSec: number | null;
  /** deliveries across all consumers (fanout to 10 queues delivers each message 10 times) */
  consumedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** CPU time per second of wall time (1 = one core busy); null when the broker's pid is unknown */
  brokerCpuCores: number | null;
  brokerPeakRssMb: number | null;
  producerCpuCores: number;
  consumerCpuCores: number;
}

/** Backlog: publish a count into an unconsumed queue, then drain it. Broker figures are null without its pid. */
export interface BacklogMeasurements {
  /** confirmed messages over the time from the first publish to the last confirm */
  publishedPerSec: number;
  publishBrokerCpuCores: number | null;
  publishPeakRssMb: number | null;
  /** sampled as the last confirm arrives */
  rssAfterPublishMb: number | null;
  /** from the consumers' basic.consume to the last message */
  drainedPerSec: number;
  drainBrokerCpuCores: number | null;
  drainPeakRssMb: number | null;
  rssAfterDrainMb: number | null;
  /** over the publishing time */
  producerCpuCores: number;
  /** over the draining time */
  consumerCpuCores: number;
}

/** Recovery: restart with a persistent backlog on disk. Times are from the new process's spawn. */
export interface RecoveryMeasurements {
  publishedPerSec: number;
  rssBeforeStopMb: number;
  /** clean stop: from the request to the process's exit; null when it was killed */
  stopMs: number | null;
  spawnToListeningMs: number;
  /** until a passive queue.declare reports every message */
  spawnToRecoveredMs: number;
  recoveryPeakRssMb: number;
  rssAfterRecoveryMb: number;
}

/** Idle connections: what holding them open costs the broker. RSS figures are null without its pid. */
export interface IdleConnectionsMeasurements {
  /** connections over the time from the start signal to the last connection.open-ok (and channel.open-ok) */
  connectionsPerSec: number;
  /** before any connection opens (after the broker settled) */
  rssBeforeMb: number | null;
  /** all connections open and the broker settled */
  rssWithConnectionsMb: number | null;
  /** (with − before) / connections */
  rssPerConnectionKib: number | null;
  /** over the settle time, with every connection open and silent */
  idleBrokerCpuCores: number | null;
  rssAfterCloseMb: number | null;
  /** the connecting processes, over the connecting time */
  generatorCpuCores: number;
}

/** Declare rate: queue.declare + queue.bind pairs, pipelined on one connection; then queue.delete. */
export interface DeclareRateMeasurements {
  declaresPerSec: number;
  rssBeforeMb: number | null;
  declareBrokerCpuCores: number | null;
  declarePeakRssMb: number | null;
  /** as the last bind-ok arrives */
  rssAfterDeclareMb: number | null;
  /** (after declaring − before) / queues */
  rssPerQueueKib: number | null;
  /** from the first queue.delete to the last delete-ok */
  deleteMs: number;
  deletesPerSec: number;
  rssAfterDeleteMb: number | null;
  /** the bench's own process, which drives the one connection, over the declaring time */
  generatorCpuCores: number;
}

/** Cold start of the broker's command line on an empty data dir; times from the spawn. */
export interface StartupMeasurements {
  /** median over the runs */
  startupMs: number;
  startupMinMs: number;
  startupMaxMs: number;
  /** median over the runs, read right after the first connection opened */
  startupRssMb: number;
  /**
   * The floor the machine sets: median time from spawning a bare `node` that listens on a port to
   * its first byte on a connection, measured in turns with the broker's runs.
   */
  nodeFloorMs: number;
  /** median over the runs of (broker's time − the bare node's time in the same turn) */
  startupOverFloorMs: number;
}

/**
 * The GET requests a management-api run times, each under the name of its figures: `path` as sent,
 * `shown` as the table labels it. The regular expression matches the bench's own queue names (run.ts
 * prefixes them with "bench.") that end in 9: a tenth of them.
 */
export const MANAGEMENT_REQUESTS = {
  firstPage: { path: '/api/queues?page=1&page_size=100', shown: 'GET /api/queues?page=1&page_size=100' },
  sortedPage: {
    path: '/api/queues/%2F?page=50&page_size=100&sort=messages&sort_reverse=true',
    shown: 'GET /api/queues/%2F?page=50&page_size=100&sort=messages&sort_reverse=true',
  },
  nameFilter: {
    path: '/api/queues?page=1&page_size=100&name=q12&use_regex=false',
    shown: 'GET /api/queues?page=1&page_size=100&name=q12&use_regex=false',
  },
  regexFilter: {
    path: `/api/queues?page=1&page_size=100&name=${encodeURIComponent('^bench.*9$')}&use_regex=true`,
    shown: 'GET /api/queues?page=1&page_size=100&name=^bench.*9$&use_regex=true',
  },
  overview: { path: '/api/overview', shown: 'GET /api/overview' },
  allQueues: { path: '/api/queues', shown: 'GET /api/queues (all, unpaged)' },
} as const;
export type ManagementFigure = keyof typeof MANAGEMENT_REQUESTS;

/** Management API with many queues. Each request's times: `${name}Ms` the median, `${name}MaxMs` the slowest. */
export type ManagementApiMeasurements = { [F in ManagementFigure as `${F}Ms` | `${F}MaxMs`]: number } & {
  rssBeforeMb: number | null;
  /** from the last publish's round trip until the API lists every queue and message */
  apiCatchUpMs: number;
  /** queues declared, messages in, the API caught up; before the first request */
  rssWithQueuesMb: number | null;
  /** the unpaged GET /api/queues, bytes / 2^20 */
  allQueuesMb: number;
  /** sampled while the requests ran */
  requestsPeakRssMb: number | null;
  requestsBrokerCpuCores: number | null;
};

type Figures = SteadyFlowMeasurements &
  BacklogMeasurements &
  RecoveryMeasurements &
  IdleConnectionsMeasurements &
  DeclareRateMeasurements &
  StartupMeasurements &
  ManagementApiMeasurements;
export type MetricKey = keyof Figures;
/** Any kind's figures; a figure a kind does not have is absent. */
export type Measurements = { [K in MetricKey]?: number | null };

export interface MetricSpec {
  key: MetricKey;
  label: string;
  /** which way is good, for reading the Warren/other ratio */
  better: 'higher' | 'lower';
  format(value: number): string;
}

const count = (v: number): string => Math.round(v).toLocaleString('en-US');
const millis = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cores = (v: number): string => `${Math.round(v * 100)}%`;
const megabytes = (v: number): string => v.toFixed(0);
const kibibytes = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const megabytesFine = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The median and slowest time of one management request. */
function requestTimeMetrics(figure: ManagementFigure): MetricSpec[] {
  const { shown } = MANAGEMENT_REQUESTS[figure];
  return [
    { key: `${figure}Ms`, label: `${shown} ms (median)`, better: 'lower', format: millis },
    { key: `${figure}MaxMs`, label: `${shown} ms (slowest)`, better: 'lower', format: millis },
  ];
}

/** In table order; a table shows the rows its scenario's runs have figures for. */
export const METRICS: MetricSpec[] = [
  { key: 'publishedPerSec', label: 'published msg/s', better: 'higher', format: count },
  { key: 'confirmedPerSec', label: 'confirmed msg/s', better: 'higher', format: count },
  { key: 'consumedPerSec', label: 'consumed msg/s', better: 'higher', format: count },
  { key: 'p50Ms', label: 'latency p50 ms', better: 'lower', format: millis },
  { key: 'p99Ms', label: 'latency p99 ms', better: 'lower', format: millis },
  { key: 'p999Ms', label: 'latency p99.9 ms', better: 'lower', format: millis },
  { key: 'brokerCpuCores', label: 'broker CPU (% of a core)', better: 'lower', format: cores },
  { key: 'brokerPeakRssMb', label: 'broker peak RSS MB', better: 'lower', format: megabytes },
  // backlog
  { key: 'publishBrokerCpuCores', label: 'broker CPU publishing', better: 'lower', format: cores },
  { key: 'publishPeakRssMb', label: 'broker peak RSS publishing MB', better: 'lower', format: megabytes },
  { key: 'rssAfterPublishMb', label: 'broker RSS after publishing MB', better: 'lower', format: megabytes },
  { key: 'drainedPerSec', label: 'drained msg/s', better: 'higher', format: count },
  { key: 'drainBrokerCpuCores', label: 'broker CPU draining', better: 'lower', format: cores },
  { key: 'drainPeakRssMb', label: 'broker peak RSS draining MB', better: 'lower', format: megabytes },
  { key: 'rssAfterDrainMb', label: 'broker RSS after draining MB', better: 'lower', format: megabytes },
  // recovery
  { key: 'rssBeforeStopMb', label: 'broker RSS before stop MB', better: 'lower', format: megabytes },
  { key: 'stopMs', label: 'clean stop ms', better: 'lower', format: millis },
  { key: 'spawnToListeningMs', label: 'spawn → listening ms', better: 'lower', format: millis },
  { key: 'spawnToRecoveredMs', label: 'spawn → all messages queued ms', better: 'lower', format: millis },
  { key: 'recoveryPeakRssMb', label: 'broker peak RSS recovering MB', better: 'lower', format: megabytes },
  { key: 'rssAfterRecoveryMb', label: 'broker RSS after recovery MB', better: 'lower', format: megabytes },
  // idle connections (and the RSS before, shared with declare rate)
  { key: 'connectionsPerSec', label: 'connections opened/s', better: 'higher', format: count },
  { key: 'rssBeforeMb', label: 'broker RSS before MB', better: 'lower', format: megabytes },
  { key: 'rssWithConnectionsMb', label: 'broker RSS, connections open MB', better: 'lower', format: megabytes },
  { key: 'rssPerConnectionKib', label: 'broker RSS per connection KiB', better: 'lower', format: kibibytes },
  { key: 'idleBrokerCpuCores', label: 'broker CPU, connections idle', better: 'lower', format: cores },
  { key: 'rssAfterCloseMb', label: 'broker RSS after closing MB', better: 'lower', format: megabytes },
  // declare rate
  { key: 'declaresPerSec', label: 'declare+bind pairs/s', better: 'higher', format: count },
  { key: 'declareBrokerCpuCores', label: 'broker CPU declaring', better: 'lower', format: cores },
  { key: 'declarePeakRssMb', label: 'broker peak RSS declaring MB', better: 'lower', format: megabytes },
  { key: 'rssAfterDeclareMb', label: 'broker RSS after declaring MB', better: 'lower', format: megabytes },
  { key: 'rssPerQueueKib', label: 'broker RSS per queue KiB', better: 'lower', format: kibibytes },
  { key: 'deleteMs', label: 'delete all queues ms', better: 'lower', format: millis },
  { key: 'deletesPerSec', label: 'queue deletes/s', better: 'higher', format: count },
  { key: 'rssAfterDeleteMb', label: 'broker RSS after deleting MB', better: 'lower', format: megabytes },
  // startup
  { key: 'startupMs', label: 'spawn → connection.open-ok ms (median)', better: 'lower', format: millis },
  { key: 'startupMinMs', label: 'spawn → connection.open-ok ms (fastest)', better: 'lower', format: millis },
  { key: 'startupMaxMs', label: 'spawn → connection.open-ok ms (slowest)', better: 'lower', format: millis },
  { key: 'startupRssMb', label: 'broker RSS at first connection MB', better: 'lower', format: megabytes },
  { key: 'nodeFloorMs', label: 'bare node: spawn → listening, first byte ms (median)', better: 'lower', format: millis },
  { key: 'startupOverFloorMs', label: 'broker start beyond bare node ms (median)', better: 'lower', format: millis },
  // management API with many queues (its RSS before is the row above, shared with idle connections and declare rate)
  { key: 'apiCatchUpMs', label: 'API lists every queue and message after ms', better: 'lower', format: millis },
  { key: 'rssWithQueuesMb', label: 'broker RSS with the queues MB', better: 'lower', format: megabytes },
  ...requestTimeMetrics('firstPage'),
  ...requestTimeMetrics('sortedPage'),
  ...requestTimeMetrics('nameFilter'),
  ...requestTimeMetrics('regexFilter'),
  ...requestTimeMetrics('overview'),
  ...requestTimeMetrics('allQueues'),
  { key: 'allQueuesMb', label: 'GET /api/queues (all) response MB', better: 'lower', format: megabytesFine },
  { key: 'requestsBrokerCpuCores', label: 'broker CPU during the requests', better: 'lower', format: cores },
  { key: 'requestsPeakRssMb', label: 'broker peak RSS during the requests MB', better: 'lower', format: megabytes },
  // generator
  { key: 'producerCpuCores', label: 'producer procs CPU', better: 'lower', format: cores },
  { key: 'consumerCpuCores', label: 'consumer procs CPU', better: 'lower', format: cores },
  { key: 'generatorCpuCores', label: 'generator CPU', better: 'lower', format: cores },
];

export function formatMetric(spec: MetricSpec, value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : spec.format(value);
}
