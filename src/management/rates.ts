// Message rates for the API's *_details fields: every interval the sampler copies the counters it is
// told about; a rate is the change between the last two copies per second. Objects that go away are
// forgotten with them (WeakMap).
//
// History, as RabbitMQ's `?lengths_age=…&msg_rates_age=…` asks for it, is kept for the broker's totals
// from the start and for any other object (a queue) from the first time someone asks for its history,
// until no one has asked for HISTORY_MS: 10 minutes of samples for every one of 10,000 queues would cost
// more memory than the queues themselves.

export type Counters = { readonly [field: string]: number };

interface Sample {
  at: number;
  values: Counters;
}

/** How far back history goes (RabbitMQ's basic retention keeps 605 s at 5 s steps). */
export const HISTORY_MS = 605_000;

/** What a request asks for: `age` seconds back from now, one sample every `incr` seconds. */
export interface HistoryRange {
  age: number;
  incr: number;
}

/** The *_details object of one field: its rate, and its samples when history was asked for and is kept. */
export type Details =
  | { rate: number }
  | { rate: number; samples: Array<{ sample: number; timestamp: number }>; avg_rate: number; avg: number };

/** Samples one request may ask for (age / incr), as RabbitMQ 3.10 allows. */
const MAX_POINTS = 500;

export class RateSampler {
  private readonly previous = new WeakMap<object, Sample>();
  private readonly latest = new WeakMap<object, Sample>();
  /** Objects whose samples are kept, oldest first, with when someone last asked (Infinity: always). */
  private readonly history = new Map<object, { samples: Sample[]; askedAt: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Yields each counted object with a copy of its counters now. */
    private readonly collect: () => Iterable<[object, Counters]>,
    readonly intervalMs: number,
    /** Objects whose history is kept from the start (the broker's totals). */
    alwaysKept: object[] = [],
  ) {
    for (const key of alwaysKept) this.history.set(key, { samples: [], askedAt: Infinity });
  }

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
      const sample = { at, values };
      this.latest.set(key, sample);
      this.history.get(key)?.samples.push(sample);
    }
    for (const [key, kept] of this.history) {
      if (at - kept.askedAt > HISTORY_MS) {
        this.history.delete(key);
        continue;
      }
      // A key no longer collected (a deleted queue) stops growing and ages out like the rest.
      const samples = kept.samples;
      let drop = 0;
      while (drop < samples.length && at - samples[drop]!.at > HISTORY_MS) drop++;
      if (drop > 0) samples.splice(0, drop);
    }
  }

  /** Change per second of a field between the last two samples (0 until there are two). */
  rate(key: object, field: string): number {
    const a = this.previous.get(key);
    const b = this.latest.get(key);
    if (!a || !b || b.at === a.at) return 0;
    return round1(((b.values[field] ?? 0) - (a.values[field] ?? 0)) / ((b.at - a.at) / 1000));
  }

  /**
   * {rate} for a field; with a range, also RabbitMQ's samples (newest first, timestamps on multiples of
   * incr, each the value last sampled at or before it), avg and avg_rate. The first request for a key's
   * history starts keeping it: that answer has what the sampler holds now, at most the latest sample.
   */
  details(key: object, field: string, range?: HistoryRange): Details {
    const rate = this.rate(key, field);
    if (!range) return { rate };
    let kept = this.history.get(key);
    if (!kept) {
      const latest = this.latest.get(key);
      this.history.set(key, (kept = { samples: latest ? [latest] : [], askedAt: Date.now() }));
    } else if (kept.askedAt !== Infinity) {
      kept.askedAt = Date.now();
    }
    const samples: Array<{ sample: number; timestamp: number }> = [];
    const step = range.incr * 1000;
    const newest = Math.floor(Date.now() / step) * step;
    const oldest = newest - range.age * 1000;
    let i = kept.samples.length - 1;
    for (let t = newest; t >= oldest; t -= step) {
      while (i >= 0 && kept.samples[i]!.at > t) i--;
      if (i < 0) break;
      samples.push({ sample: kept.samples[i]!.values[field] ?? 0, timestamp: t });
    }
    let avg = 0;
    let avgRate = 0;
    if (samples.length > 0) {
      avg = samples.reduce((sum, s) => sum + s.sample, 0) / samples.length;
      const first = samples[samples.length - 1]!;
      const last = samples[0]!;
      if (last.timestamp > first.timestamp) avgRate = (last.sample - first.sample) / ((last.timestamp - first.timestamp) / 1000);
    }
    return { rate, samples, avg_rate: round1(avgRate), avg: round1(avg) };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * The ranges a request asks for, from RabbitMQ's query parameters. As RabbitMQ: a range needs both
 * parameters as integers (otherwise it is ignored); age and incr above 0 and at most 500 samples, or the
 * error text for a 400.
 */
export function historyRanges(query: { [key: string]: string | undefined }): { lengths?: HistoryRange; msgRates?: HistoryRange } | string {
  const out: { lengths?: HistoryRange; msgRates?: HistoryRange } = {};
  for (const [prefix, key] of [
    ['lengths', 'lengths'],
    ['msg_rates', 'msgRates'],
  ] as const) {
    const age = integer(query[`${prefix}_age`]);
    const incr = integer(query[`${prefix}_incr`]);
    if (age === null || incr === null) continue;
    if (age <= 0 || incr <= 0 || age / incr > MAX_POINTS) return `Invalid range parameters: age ${age}, incr ${incr}`;
    out[key] = { age, incr };
  }
  return out;
}

function integer(text: string | undefined): number | null {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : null;
}
