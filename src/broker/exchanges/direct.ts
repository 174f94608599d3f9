// Direct exchange: a binding matches when its key equals the routing key.
import type { Binding } from '../binding.js';
import type { Router } from '../exchange.js';
import type { Message } from '../message.js';

export class DirectRouter implements Router {
  private readonly byKey = new Map<string, Binding[]>();

  add(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (list) list.push(b);
    else this.byKey.set(b.routingKey, [b]);
  }

  remove(b: Binding): void {
    const list = this.byKey.get(b.routingKey);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(b.routingKey);
  }

  match(_msg: Message, routingKey: string, out: Binding[]): void {
    const list = this.byKey.get(routingKey);
    if (list) for (let i = 0; i < list.length; i++) out.push(list[i]);
  }
}
