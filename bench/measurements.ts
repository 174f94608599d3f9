// What one run of a scenario on one broker yields, and how each figure is labelled, formatted and
// compared. Adding a figure here adds it to the progress lines, the summary tables and the JSON.

export interface Measurements {
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

export type MetricKey = keyof Measurements;

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

export const METRICS: MetricSpec[] = [
  { key: 'publishedPerSec', label: 'published msg/s', better: 'higher', format: count },
  { key: 'confirmedPerSec', label: 'confirmed msg/s', better: 'higher', format: count },
  { key: 'consumedPerSec', label: 'consumed msg/s', better: 'higher', format: count },
  { key: 'p50Ms', label: 'latency p50 ms', better: 'lower', format: millis },
  { key: 'p99Ms', label: 'latency p99 ms', better: 'lower', format: millis },
  { key: 'p999Ms', label: 'latency p99.9 ms', better: 'lower', format: millis },
  { key: 'brokerCpuCores', label: 'broker CPU (% of a core)', better: 'lower', format: cores },
  { key: 'brokerPeakRssMb', label: 'broker peak RSS MB', better: 'lower', format: megabytes },
  { key: 'producerCpuCores', label: 'producer procs CPU', better: 'lower', format: cores },
  { key: 'consumerCpuCores', label: 'consumer procs CPU', better: 'lower', format: cores },
];

export function formatMetric(spec: MetricSpec, value: number | null): string {
  return value === null || Number.isNaN(value) ? '–' : spec.format(value);
}
