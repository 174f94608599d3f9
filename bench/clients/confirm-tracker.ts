// Turns a broker's basic.ack / basic.nack (delivery tag + `multiple`) into counts of newly settled
// publishes, with no per-message object: settled tags above the lowest unsettled one are marks in a
// ring, which is safe because the publisher never has more than `window` publishes outstanding.

export class ConfirmTracker {
  private readonly marks: Uint8Array;
  private readonly mask: number;
  /** lowest delivery tag not yet settled */
  private lowest = 1;
  /** delivery tag the next publish gets (tags start at 1 after confirm.select) */
  private next = 1;

  constructor(window: number) {
    let size = 1024;
    while (size < window * 2) size *= 2;
    this.marks = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** settled tags above `lowest` (acked out of order) */
  private markedAboveLowest = 0;

  get outstanding(): number {
    return this.next - this.lowest - this.markedAboveLowest;
  }

  published(): void {
    this.next++;
  }

  /** Returns how many publishes this ack/nack settles (duplicates settle nothing). */
  settle(tag: number, multiple: boolean): number {
    if (tag < this.lowest || tag >= this.next) return 0;
    if (!multiple) {
      const slot = tag & this.mask;
      if (this.marks[slot]) return 0;
      this.marks[slot] = 1;
      this.markedAboveLowest++;
      this.advance();
      return 1;
    }
    let settled = 0;
    for (let t = this.lowest; t <= tag; t++) {
      const slot = t & this.mask;
      if (this.marks[slot]) {
        this.marks[slot] = 0;
        this.markedAboveLowest--;
      } else {
        settled++;
      }
    }
    this.lowest = tag + 1;
    this.advance();
    return settled;
  }

  /** Moves `lowest` past tags already marked settled, clearing their marks for reuse. */
  private advance(): void {
    while (this.lowest < this.next && this.marks[this.lowest & this.mask]) {
      this.marks[this.lowest & this.mask] = 0;
      this.markedAboveLowest--;
      this.lowest++;
    }
  }
}
