// A binding: a rule that a source exchange routes to a destination (queue or exchange) by key/arguments.
import { tablesEqual, type FieldTable } from '../amqp/field-table.js';
import type { Exchange } from './exchange.js';
import type { Queue } from './queue.js';

export type Destination = Queue | Exchange;

export class Binding {
  constructor(
    readonly source: Exchange,
    readonly destination: Destination,
    readonly routingKey: string,
    readonly args: FieldTable,
  ) {}

  /** Bindings are identified by all four parts, arguments included, as in RabbitMQ. */
  sameAs(destination: Destination, routingKey: string, args: FieldTable): boolean {
    return this.destination === destination && this.routingKey === routingKey && tablesEqual(this.args, args);
  }
}
