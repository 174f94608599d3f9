// Prints results: one line per run as it finishes, then per scenario a Markdown table of each
// broker's median over its rounds and, when two brokers ran, the ratio of the first to the second.
import { METRICS, formatMetric, type MetricKey, type Measurements } from './measurements.js';
import type { PlanKind, PlanParams, Scenario } from './scenario-types.js';

export interface RunRecord {
  scenario: string;
  kind: PlanKind;
  target: string;
  round: number;
  measurements: Measurements | null;
  error?: string;
  /** why the scenario does not apply to this broker (not a failure) */
  skipped?: string;
}

/** Printed under the tables of a --null run. */
export const NULL_BROKER_NOTE =
  'The null broker relays each publish straight to a consumer: no queue, consumer acks ignored and prefetch not enforced, ' +
  'so its consumed rate is an optimistic ceiling. Its fixed-rate latency is the floor the machine and generator set; ' +
  'under saturating load its latency is time spent in TCP buffers (unbounded without prefetch), not a floor for a broker.';

export function progressLine(record: RunRecord): string {
  const head = `${record.scenario} · round ${record.round} · ${record.target}`;
  const m = record.measurements;
  if (record.skipped) return `${head}: skipped, ${record.skipped}`;
  if (!m) return `${head}: FAILED ${record.error ?? ''}`;
  return `${head}: ${record.kind === 'steady-flow' ? steadyFlowParts(m) : labelledParts(m)}`;
}

function steadyFlowParts(m: Measurements): string {
  const get = (key: MetricKey): number | null => m[key] ?? null;
  const rate = (v: number | null): string => (v === null ? '–' : `${Math.round(v).toLocaleString('en-US')}/s`);
  const pct = (v: number | null): string => (v === null ? '–' : `${Math.round(v * 100)}%`);
  const ms = (v: number | null): string => (v === null || Number.isNaN(v) ? '–' : v.toFixed(v < 10 ? 2 : 1));
  const rss = get('brokerPeakRssMb');
  const generator = (get('producerCpuCores') ?? 0) + (get('consumerCpuCores') ?? 0);
  return [
    `pub ${rate(get('publishedPerSec'))}`,
    ...(get('confirmedPerSec') === null ? [] : [`confirmed ${rate(get('confirmedPerSec'))}`]),
    `consumed ${rate(get('consumedPerSec'))}`,
    `p50/p99/p99.9 ${ms(get('p50Ms'))}/${ms(get('p99Ms'))}/${ms(get('p999Ms'))} ms`,
    `broker CPU ${pct(get('brokerCpuCores'))} RSS ${rss === null ? '–' : `${rss.toFixed(0)} MB`}`,
    `generator CPU ${pct(generator)} (producers ${pct(get('producerCpuCores'))}, consumers ${pct(get('consumerCpuCores'))})`,
  ].join(' · ');
}

/** Every figure the run has, as "label value". */
function labelledParts(m: Measurements): string {
  return METRICS.filter((spec) => m[spec.key] !== undefined)
    .map((spec) => `${spec.label} ${formatMetric(spec, m[spec.key])}`)
    .join(' · ');
}

export function summaryTables(scenarios: Scenario[], targets: string[], records: RunRecord[], params: PlanParams): string {
  const out: string[] = [];
  for (const scenario of scenarios) {
    out.push(`### ${scenario.name}${scenario.heavy ? ' (heavy)' : ''}`, '', scenario.summary, '');
    if (scenario.usesBacklogCount) out.push(`Messages: ${params.backlogCount.toLocaleString('en-US')} (--backlog-count).`, '');
    const runsOf = (t: string): RunRecord[] => records.filter((r) => r.scenario === scenario.name && r.target === t);
    const medians = targets.map((t) => medianMeasurements(runsOf(t)));
    const ratioHeader = targets.length === 2 ? [`${targets[0]} / ${targets[1]}`] : [];
    const header = ['', ...targets.map((t) => `${t} (${roundsNote(runsOf(t))})`), ...ratioHeader];
    out.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const spec of METRICS) {
      const values = medians.map((m) => (m ? (m[spec.key] ?? null) : null));
      if (values.every((v) => v === null || Number.isNaN(v))) continue;
      const cells = [spec.label, ...values.map((v) => formatMetric(spec, v))];
      if (targets.length === 2) cells.push(ratioCell(values[0] ?? null, values[1] ?? null));
      out.push(`| ${cells.join(' | ')} |`);
    }
    for (const t of targets) {
      const skipped = runsOf(t).find((r) => r.skipped);
      if (skipped) out.push('', `Not run on ${t}: ${skipped.skipped}.`);
    }
    out.push('');
  }
  if (targets.length === 2) {
    out.push('Ratios: for rates above 1 means the first broker did better; for latency, times, CPU and RSS below 1 does.', '');
  }
  out.push('CPU is CPU time per second of wall time (100% = one core busy). Generator CPU near 100% per process means the generator, not the broker, may be the limit.');
  return out.join('\n');
}

function roundsNote(runs: RunRecord[]): string {
  const skipped = runs.filter((r) => r.skipped).length;
  if (runs.length > 0 && skipped === runs.length) return 'skipped';
  const ok = runs.filter((r) => r.measurements).length;
  const failed = runs.length - skipped - ok;
  const base = ok === 1 ? '1 run' : `median of ${ok}`;
  return failed === 0 ? base : `${base}, ${failed} failed`;
}

function ratioCell(a: number | null, b: number | null): string {
  if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/** Median of each figure separately over the successful runs; null when none succeeded. */
function medianMeasurements(runs: RunRecord[]): Measurements | null {
  const ok = runs.map((r) => r.measurements).filter((m): m is Measurements => m !== null);
  if (ok.length === 0) return null;
  const result: Measurements = {};
  for (const spec of METRICS) {
    if (ok.every((m) => m[spec.key] === undefined)) continue;
    const values = ok.map((m) => m[spec.key]).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
    result[spec.key] = values.length ? median(values) : null;
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
