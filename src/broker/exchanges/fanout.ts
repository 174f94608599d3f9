// Fanout exchange: every binding matches, whatever the key.
import type { Binding } from '../binding.js';
import type { Router } from '../exchange.js';
import type { Message } from '../message.js';

export class FanoutRouter implements Router {
  private readonly all: Binding[] = [];

  add(b: Binding): void {
    this.all.push(b);
  }

  remove(b: Binding): void {
    const i = this.all.indexOf(b);
    if (i >= 0) this.all.splice(i, 1);
  }

  match(_msg: Message, _routingKey: string, out: Binding[]): void {
    for (let i = 0; i < this.all.length; i++) out.push(this.all[i]);
  }
}
