// Prints results: one line per run as it finishes, then per scenario a Markdown table of each
// broker's median over its rounds and, when two brokers ran, the ratio of the first to the second.
import { METRICS, formatMetric, type Measurements } from './measurements.js';
import type { Scenario } from './scenario-types.js';

export interface RunRecord {
  scenario: string;
  target: string;
  round: number;
  measurements: Measurements | null;
  error?: string;
}

export function progressLine(record: RunRecord): string {
  const head = `${record.scenario} · round ${record.round} · ${record.target}`;
  const m = record.measurements;
  if (!m) return `${head}: FAILED ${record.error ?? ''}`;
  const rate = (v: number): string => `${Math.round(v).toLocaleString('en-US')}/s`;
  const pct = (v: number | null): string => (v === null ? '–' : `${Math.round(v * 100)}%`);
  const ms = (v: number): string => (Number.isNaN(v) ? '–' : v.toFixed(v < 10 ? 2 : 1));
  const parts = [
    `pub ${rate(m.publishedPerSec)}`,
    ...(m.confirmedPerSec === null ? [] : [`confirmed ${rate(m.confirmedPerSec)}`]),
    `consumed ${rate(m.consumedPerSec)}`,
    `p50/p99/p99.9 ${ms(m.p50Ms)}/${ms(m.p99Ms)}/${ms(m.p999Ms)} ms`,
    `broker CPU ${pct(m.brokerCpuCores)} RSS ${m.brokerPeakRssMb === null ? '–' : `${m.brokerPeakRssMb.toFixed(0)} MB`}`,
    `generator CPU ${pct(m.producerCpuCores + m.consumerCpuCores)} (producers ${pct(m.producerCpuCores)}, consumers ${pct(m.consumerCpuCores)})`,
  ];
  return `${head}: ${parts.join(' · ')}`;
}

export function summaryTables(scenarios: Scenario[], targets: string[], records: RunRecord[]): string {
  const out: string[] = [];
  for (const scenario of scenarios) {
    out.push(`### ${scenario.name}`, '', scenario.summary, '');
    const medians = targets.map((t) => medianMeasurements(records.filter((r) => r.scenario === scenario.name && r.target === t)));
    const ratioHeader = targets.length === 2 ? [`${targets[0]} / ${targets[1]}`] : [];
    const header = ['', ...targets.map((t) => `${t} (${roundsNote(records, scenario.name, t)})`), ...ratioHeader];
    out.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const spec of METRICS) {
      const values = medians.map((m) => (m ? m[spec.key] : null));
      if (values.every((v) => v === null || Number.isNaN(v))) continue;
      const cells = [spec.label, ...values.map((v) => formatMetric(spec, v))];
      if (targets.length === 2) cells.push(ratioCell(values[0] ?? null, values[1] ?? null));
      out.push(`| ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  if (targets.length === 2) {
    out.push('Ratios: for rates above 1 means the first broker did better; for latency, CPU and RSS below 1 does.', '');
  }
  out.push('CPU is CPU time per second of wall time (100% = one core busy). Generator CPU near 100% per process means the generator, not the broker, may be the limit.');
  return out.join('\n');
}

function roundsNote(records: RunRecord[], scenario: string, target: string): string {
  const runs = records.filter((r) => r.scenario === scenario && r.target === target);
  const ok = runs.filter((r) => r.measurements).length;
  const base = ok === 1 ? '1 run' : `median of ${ok}`;
  return ok === runs.length ? base : `${base}, ${runs.length - ok} failed`;
}

function ratioCell(a: number | null, b: number | null): string {
  if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/** Median of each figure separately over the successful runs; null when none succeeded. */
function medianMeasurements(runs: RunRecord[]): Measurements | null {
  const ok = runs.map((r) => r.measurements).filter((m): m is Measurements => m !== null);
  if (ok.length === 0) return null;
  const result = { ...ok[0]! };
  for (const spec of METRICS) {
    const values = ok.map((m) => m[spec.key]).filter((v): v is number => v !== null && !Number.isNaN(v));
    (result as Record<string, number | null>)[spec.key] = values.length ? median(values) : ok[0]![spec.key];
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
