// A growable ring buffer: O(1) push and shift at both ends, which a plain array's shift() is not
// for a queue holding millions of messages.
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  at(i: number): T {
    return this.items[(this.head + i) & (this.items.length - 1)] as T;
  }

  /** Inserts before the first item for which `before` holds (scanning from the front), else at the back. */
  insertBefore(item: T, before: (existing: T) => boolean): void {
    let i = 0;
    while (i < this.count && !before(this.at(i))) i++;
    if (i === 0) return this.unshift(item);
    if (i === this.count) return this.push(item);
    if (this.count === this.items.length) this.grow();
    const mask = this.items.length - 1;
    for (let j = this.count; j > i; j--) {
      this.items[(this.head + j) & mask] = this.items[(this.head + j - 1) & mask];
    }
    this.items[(this.head + i) & mask] = item;
    this.count++;
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out: T[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    this.clear();
    return out;
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.items = next;
    this.head = 0;
  }
}
