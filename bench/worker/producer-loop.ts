// Publishes on one connection as fast as the broker takes it (or at a fixed rate), stamping each body
// with the send time. It stops on back-pressure (publish() false → wait for drain) and when the
// confirm window is full (resumed by the confirm that makes room), so nothing queues without bound here.
import type { Publisher } from '../clients/client.js';
import type { ProducerWork } from './messages.js';
import type { Tally } from './tally.js';

/** Messages per event-loop turn: enough to batch socket writes, few enough to let confirms be read. */
const BURST = 64;
const RATE_TICK_MS = 1;
/** A rate-limited producer that fell further behind than this (a stall) skips the missed sends instead of bursting them. */
const MAX_CATCH_UP_MS = 100;

export class ProducerLoop {
  private publisher: Publisher | null = null;
  private readonly body: Buffer;
  private running = false;
  private outstanding = 0;
  private waitingForConfirms = false;
  private keyIndex = 0;
  private sent = 0;
  /** sends a rate-limited producer gave up after falling behind */
  private skipped = 0;
  private startedNs = 0n;

  private readonly routingKeys: string[];

  /**
   * `limit`: publish this many, then stop (counted mode); undefined: until stopped.
   * `routingKeys`: this connection's own keys; undefined: the work's.
   */
  constructor(
    private readonly work: ProducerWork,
    private readonly tally: Tally,
    private readonly limit?: number,
    routingKeys?: string[],
  ) {
    this.body = Buffer.alloc(work.bodySize, 0x61);
    this.routingKeys = routingKeys ?? work.routingKeys;
  }

  attach(publisher: Publisher): void {
    this.publisher = publisher;
  }

  /** For the client's onSettled: frees window space and resumes a loop that was waiting for it. */
  readonly onSettled = (acked: number, nacked: number): void => {
    this.outstanding -= acked + nacked;
    this.tally.confirmed += acked;
    this.tally.nacked += nacked;
    this.tally.lastConfirmNs = process.hrtime.bigint();
    if (this.waitingForConfirms && this.outstanding < this.work.confirmWindow!) {
      this.waitingForConfirms = false;
      this.pump();
    }
  };

  start(): void {
    this.running = true;
    this.startedNs = process.hrtime.bigint();
    this.pump();
  }

  stop(): void {
    this.running = false;
  }

  private readonly pump = (): void => {
    const publisher = this.publisher!;
    const { confirmWindow, ratePerSecond } = this.work;
    const routingKeys = this.routingKeys;
    let burst = 0;
    while (this.running) {
      if (this.limit !== undefined && this.sent >= this.limit) return;
      if (confirmWindow !== undefined && this.outstanding >= confirmWindow) {
        this.waitingForConfirms = true;
        return;
      }
      if (ratePerSecond !== undefined && this.sent >= this.dueByNow(ratePerSecond)) {
        setTimeout(this.pump, RATE_TICK_MS);
        return;
      }
      const now = process.hrtime.bigint();
      this.body.writeBigUInt64LE(now, 0);
      this.tally.lastPublishNs = now;
      const key = routingKeys[this.keyIndex]!;
      this.keyIndex = (this.keyIndex + 1) % routingKeys.length;
      const accepted = publisher.publish(key, this.body);
      this.sent++;
      this.tally.published++;
      if (confirmWindow !== undefined) this.outstanding++;
      if (!accepted) {
        publisher.waitForDrain().then(this.pump, () => {});
        return;
      }
      if (++burst === BURST) {
        setImmediate(this.pump);
        return;
      }
    }
  };

  private dueByNow(ratePerSecond: number): number {
    const due = Math.floor((Number(process.hrtime.bigint() - this.startedNs) * ratePerSecond) / 1e9) - this.skipped;
    const limit = (ratePerSecond * MAX_CATCH_UP_MS) / 1000;
    if (due - this.sent > limit) {
      this.skipped += due - this.sent - limit;
      return this.sent + limit;
    }
    return due;
  }
}
