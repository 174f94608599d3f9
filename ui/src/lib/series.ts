// A bounded history of samples taken in the browser, shaped for uPlot (x in seconds, one array per line).

export class Series<K extends string> {
  readonly times: number[] = [];
  readonly values: Record<K, Array<number | null>>;

  constructor(
    readonly keys: readonly K[],
    /** samples kept; at a 5 s refresh, 720 is an hour */
    private readonly capacity = 720,
  ) {
    this.values = Object.fromEntries(keys.map((key) => [key, []])) as unknown as Record<K, Array<number | null>>;
  }

  push(atMs: number, sample: Partial<Record<K, number | undefined>>): void {
    this.times.push(atMs / 1000);
    for (const key of this.keys) this.values[key].push(sample[key] ?? null);
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const key of this.keys) this.values[key].shift();
    }
  }

  get length(): number {
    return this.times.length;
  }

  /** [times, ...one array per requested key], as uPlot takes data. */
  aligned(keys: readonly K[]): [number[], ...Array<Array<number | null>>] {
    return [this.times, ...keys.map((key) => this.values[key])];
  }

  last(key: K): number | null {
    const column = this.values[key];
    return column.length ? column[column.length - 1] ?? null : null;
  }
}
