// A log-linear latency histogram in microseconds (the idea of HdrHistogram, cut to what the bench needs):
// values below 256 µs are exact, above that each power of two is split into 128 buckets (< 0.8 % error).
// Fixed size, so recording allocates nothing, and histograms from many consumer processes merge by adding counts.

const EXACT = 256;
const SUB_BUCKETS = 128;
const MAX_SHIFT = 24; // 256 µs << 24 ≈ 71 minutes: anything slower is clamped
export const HISTOGRAM_SLOTS = EXACT + MAX_SHIFT * SUB_BUCKETS;

export class LatencyHistogram {
  readonly counts: Float64Array;
  total = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(HISTOGRAM_SLOTS);
    if (counts) for (const c of counts) this.total += c;
  }

  recordMicros(micros: number): void {
    this.counts[slotOf(micros)]!++;
    this.total++;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < HISTOGRAM_SLOTS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The value at quantile q (0..1) in microseconds, or NaN when nothing was recorded. */
  quantileMicros(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_SLOTS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return valueOf(i);
    }
    return valueOf(HISTOGRAM_SLOTS - 1);
  }
}

function slotOf(micros: number): number {
  const v = micros <= 0 ? 0 : Math.floor(micros);
  if (v < EXACT) return v;
  const bits = v >= 2 ** 32 ? 33 : 32 - Math.clz32(v); // bits >= 9 here
  const shift = bits - 8;
  if (shift > MAX_SHIFT) return HISTOGRAM_SLOTS - 1;
  const sub = Math.floor(v / 2 ** shift); // in [128, 255]
  return EXACT + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS);
}

/** The middle of a slot's range, so the reported value is off by at most half a bucket. */
function valueOf(slot: number): number {
  if (slot < EXACT) return slot;
  const shift = Math.floor((slot - EXACT) / SUB_BUCKETS) + 1;
  const sub = ((slot - EXACT) % SUB_BUCKETS) + SUB_BUCKETS;
  return sub * 2 ** shift + 2 ** (shift - 1);
}
