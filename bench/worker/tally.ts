// Running totals that a worker's loops add to, and the snapshot taken over the measurement window.
import { LatencyHistogram } from '../histogram.js';
import type { WindowReport } from './messages.js';

export class Tally {
  published = 0;
  confirmed = 0;
  nacked = 0;
  consumed = 0;
  /** idle connections opened */
  opened = 0;
  /** monotonic times of the latest publish, confirm, delivery and connection open: when counted work really ended */
  lastPublishNs = 0n;
  lastConfirmNs = 0n;
  lastConsumeNs = 0n;
  lastOpenNs = 0n;
  readonly latency = new LatencyHistogram();
}

/** Marks the start of the window; `finish()` returns what happened between the two calls. */
export class WindowMeasurement {
  private readonly startedNs = process.hrtime.bigint();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly base: Pick<Tally, 'published' | 'confirmed' | 'nacked' | 'consumed'>;

  constructor(private readonly tally: Tally) {
    const { published, confirmed, nacked, consumed } = tally;
    this.base = { published, confirmed, nacked, consumed };
    tally.latency.reset(); // latency counts only messages consumed inside the window
  }

  finish(recordsLatency: boolean): WindowReport {
    const cpu = process.cpuUsage(this.cpuAtStart);
    const t = this.tally;
    return {
      published: t.published - this.base.published,
      confirmed: t.confirmed - this.base.confirmed,
      nacked: t.nacked - this.base.nacked,
      consumed: t.consumed - this.base.consumed,
      latencyCounts: recordsLatency ? Float64Array.from(t.latency.counts) : null,
      cpuMicros: cpu.user + cpu.system,
      windowNs: Number(process.hrtime.bigint() - this.startedNs),
    };
  }
}
