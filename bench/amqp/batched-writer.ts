// Coalesces many small frames into few socket writes. A per-message socket.write costs more CPU
// than encoding the message, so frames are copied into a slab that is written once per event-loop
// turn (or when full). Back-pressure is the socket's own: callers check `needsDrain` after writing.
import type { Socket } from 'node:net';

const SLAB_SIZE = 64 * 1024;
const SMALL_BATCH = 2048;

export class BatchedWriter {
  private slab = Buffer.allocUnsafe(SLAB_SIZE);
  private used = 0;
  private flushQueued = false;
  private readonly flushSoon = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  constructor(private readonly socket: Socket) {}

  /** Space for `n` bytes; returns the slab and the offset to write at. Call `commit(n)` after filling. */
  reserve(n: number): [Buffer, number] {
    if (this.used + n > this.slab.length) {
      this.flush();
      if (n > this.slab.length) this.slab = Buffer.allocUnsafe(n);
    }
    return [this.slab, this.used];
  }

  commit(n: number): void {
    this.used += n;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // setImmediate runs right after this turn's I/O callbacks: acks written while handling several
      // socket reads in one turn leave in one write, and a producer's burst is flushed before its next burst.
      setImmediate(this.flushSoon);
    }
  }

  write(frame: Buffer): void {
    const [slab, at] = this.reserve(frame.length);
    frame.copy(slab, at);
    this.commit(frame.length);
  }

  flush(): void {
    if (this.used === 0) return;
    // The socket keeps a reference to what it was given: a small batch is copied out (from Node's
    // buffer pool) so the slab can be reused; a big one is handed over and the slab replaced.
    if (this.used <= SMALL_BATCH) {
      this.socket.write(Buffer.from(this.slab.subarray(0, this.used)));
    } else {
      this.socket.write(this.slab.subarray(0, this.used));
      this.slab = Buffer.allocUnsafe(SLAB_SIZE);
    }
    this.used = 0;
  }

  /** true once the socket's buffer is over its high-water mark; wait for the socket's 'drain'. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  waitForDrain(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('drain', resolve));
  }
}
