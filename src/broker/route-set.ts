// Collects the queues one publish reaches, each once, without allocating a Set per message: every
// destination remembers the number of the last routing pass that added it.
import type { Exchange } from './exchange.js';
import type { Queue } from './queue.js';

export class RouteSet {
  readonly queues: Queue[] = [];
  private pass = 0;

  /** Starts a new routing pass; the queues array is emptied and reused. */
  begin(): void {
    this.pass++;
    this.queues.length = 0;
  }

  addQueue(q: Queue): void {
    if (q.routePass === this.pass) return;
    q.routePass = this.pass;
    this.queues.push(q);
  }

  /** True the first time an exchange is entered in this pass, so exchange-to-exchange cycles end. */
  enterExchange(e: Exchange): boolean {
    if (e.routePass === this.pass) return false;
    e.routePass = this.pass;
    return true;
  }
}
