// Watches the broker process over a measurement window: CPU seconds used in the window and the
// highest RSS seen (sampled, since VmHWM would report the peak of the process's whole life).
import { cpuSeconds, rssBytes } from './proc-stats.js';

const RSS_SAMPLE_MS = 200;

export interface BrokerUsage {
  cpuSeconds: number;
  windowSeconds: number;
  peakRssBytes: number;
}

export class BrokerMonitor {
  private cpuAtStart = 0;
  private startedNs = 0n;
  private peakRss = 0;
  private sampler: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly sampleMs = RSS_SAMPLE_MS,
  ) {}

  start(): void {
    this.cpuAtStart = cpuSeconds(this.pid);
    this.startedNs = process.hrtime.bigint();
    this.peakRss = rssBytes(this.pid);
    this.sampler = setInterval(() => this.sampleRss(), this.sampleMs);
  }

  /** Stops sampling without reading anything (a run that failed: the broker may be gone). */
  stop(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
  }

  finish(): BrokerUsage {
    this.stop();
    this.sampleRss();
    return {
      cpuSeconds: cpuSeconds(this.pid) - this.cpuAtStart,
      windowSeconds: Number(process.hrtime.bigint() - this.startedNs) / 1e9,
      peakRssBytes: this.peakRss,
    };
  }

  private sampleRss(): void {
    try {
      this.peakRss = Math.max(this.peakRss, rssBytes(this.pid));
    } catch {
      // the broker died; the run itself reports that
    }
  }
}
