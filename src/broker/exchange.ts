// An exchange: a name, its declared settings, and a routing strategy per type (exchanges/*.ts).
import { stringOf, type FieldTable } from '../amqp/field-table.js';
import type { Policy } from './policies.js';
import type { Binding } from './binding.js';
import type { Message } from './message.js';
import type { RouteSet } from './route-set.js';

/** The part that differs per exchange type: how bindings are indexed and matched. */
export interface Router {
  /** Validates binding arguments before the binding exists (throws AmqpError). */
  validate?(binding: Binding): void;
  add(binding: Binding): void;
  remove(binding: Binding): void;
  /** Pushes the bindings matching this message into out. */
  match(msg: Message, routingKey: string, out: Binding[]): void;
}

export class Exchange {
  readonly kind = 'exchange' as const;
  /** Every binding with this exchange as source, in creation order. */
  readonly bindings: Binding[] = [];
  /** Bindings with this exchange as destination (exchange-to-exchange). */
  readonly incoming: Binding[] = [];
  routePass = 0;
  /** The policy that applies (for alternate-exchange), if any. */
  policy: Policy | null = null;
  /** Messages published to this exchange, and those of them it routed to some queue (message_stats). */
  publishIn = 0;
  publishOut = 0;

  constructor(
    readonly vhost: string,
    readonly name: string,
    readonly type: string,
    readonly durable: boolean,
    readonly autoDelete: boolean,
    readonly internal: boolean,
    readonly args: FieldTable,
    readonly router: Router,
  ) {}

  /** The alternate exchange: the exchange's own argument wins over a policy, as in RabbitMQ. */
  get alternateExchange(): string | undefined {
    return stringOf(this.args.get('alternate-exchange')) ?? this.policy?.definition['alternate-exchange'];
  }

  addBinding(b: Binding): void {
    this.router.validate?.(b);
    this.bindings.push(b);
    this.router.add(b);
  }

  removeBinding(b: Binding): void {
    const i = this.bindings.indexOf(b);
    if (i >= 0) this.bindings.splice(i, 1);
    this.router.remove(b);
  }

  findBinding(destination: Binding['destination'], routingKey: string, args: FieldTable): Binding | undefined {
    for (const b of this.bindings) if (b.sameAs(destination, routingKey, args)) return b;
    return undefined;
  }

  /** Adds every queue this message reaches, following exchange-to-exchange bindings. */
  route(msg: Message, routingKey: string, out: RouteSet, scratch: Binding[]): void {
    if (!out.enterExchange(this)) return;
    const start = scratch.length;
    this.router.match(msg, routingKey, scratch);
    const end = scratch.length;
    for (let i = start; i < end; i++) {
      const d = scratch[i].destination;
      if (d.kind === 'queue') out.addQueue(d);
      else d.route(msg, routingKey, out, scratch);
    }
    scratch.length = start;
  }
}
