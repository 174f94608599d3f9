// Collects the queues one publish reaches, each once, without allocating a Set per message: every
// destination remembers the number of the last routing pass that added it. Pass numbers come from
// one counter for all route sets, so a route set made while another is in use (dead-lettering during
// an enqueue) never mistakes the other's marks for its own.
import type { Exchange } from './exchange.js';
import type { Queue } from './queue.js';

let passes = 0;

export class RouteSet {
  readonly queues: Queue[] = [];
  private queuePass = 0;
  private exchangePass = 0;

  /** Starts a new routing pass; the queues array is emptied and reused. */
  begin(): void {
    this.queuePass = ++passes;
    this.exchangePass = ++passes;
    this.queues.length = 0;
  }

  /** Routing by another key of the same message (CC/BCC): exchanges may be entered again, queues still count once. */
  nextKey(): void {
    this.exchangePass = ++passes;
  }

  addQueue(q: Queue): void {
    if (q.routePass === this.queuePass) return;
    q.routePass = this.queuePass;
    this.queues.push(q);
  }

  /** True the first time an exchange is entered for this key, so exchange-to-exchange cycles end. */
  enterExchange(e: Exchange): boolean {
    if (e.routePass === this.exchangePass) return false;
    e.routePass = this.exchangePass;
    return true;
  }
}

/** What became of a routed message (flags). */
export const enum Routed {
  /** Enqueued in memory only (or nowhere). */
  Plain = 0,
  /** Written to storage: a confirm waits for the disk. */
  Stored = 1,
  /** A queue refused it (x-overflow reject-publish): the publisher gets basic.nack. */
  Refused = 2,
}
