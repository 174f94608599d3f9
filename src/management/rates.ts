// Message rates for the API's *_details.rate fields: every interval the sampler copies the counters
// it is told about; a rate is the change between the last two copies per second. Objects that go
// away are forgotten with them (WeakMap).

export type Counters = { readonly [field: string]: number };

interface Sample {
  at: number;
  values: Counters;
}

export class RateSampler {
  private readonly previous = new WeakMap<object, Sample>();
  private readonly latest = new WeakMap<object, Sample>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Yields each counted object with a copy of its counters now. */
    private readonly collect: () => Iterable<[object, Counters]>,
    readonly intervalMs: number,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    const at = Date.now();
    for (const [key, values] of this.collect()) {
      const last = this.latest.get(key);
      if (last) this.previous.set(key, last);
      this.latest.set(key, { at, values });
    }
  }

  /** Change per second of a field between the last two samples (0 until there are two). */
  rate(key: object, field: string): number {
    const a = this.previous.get(key);
    const b = this.latest.get(key);
    if (!a || !b || b.at === a.at) return 0;
    const r = ((b.values[field] ?? 0) - (a.values[field] ?? 0)) / ((b.at - a.at) / 1000);
    return Math.round(r * 10) / 10;
  }
}
