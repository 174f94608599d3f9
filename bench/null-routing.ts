// The null broker's routing table: exchange types from exchange.declare, queue bindings from queue.bind,
// and which queues a publish reaches. Minimal, but enough for the bench's scenarios: the default
// exchange routes to the queue named by the routing key, direct by exact key, fanout to every bound
// queue, topic by a plain recursive matcher (`*` one word, `#` zero or more). Headers exchanges and
// exchange-to-exchange bindings route nothing. Results are cached per exchange and routing key (and
// forgotten when its bindings change), so even the topic matcher runs once per distinct key.

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';

interface Binding {
  queue: string;
  key: string;
}

interface Exchange {
  type: ExchangeType;
  bindings: Binding[];
  /** routing key → the queues it reaches, deduplicated */
  routes: Map<string, readonly string[]>;
}

/** Enough for every key the bench publishes with (topic-1000 uses 8,192); past it the cache starts over. */
const MAX_CACHED_ROUTES = 65_536;
const NOWHERE: readonly string[] = [];

export class RoutingTable {
  private readonly exchanges = new Map<string, Exchange>();

  constructor() {
    for (const [name, type] of [
      ['amq.direct', 'direct'],
      ['amq.fanout', 'fanout'],
      ['amq.topic', 'topic'],
      ['amq.headers', 'headers'],
      ['amq.match', 'headers'],
    ] as const) {
      this.declareExchange(name, type);
    }
  }

  /** An existing exchange keeps its type and bindings, as a redeclare does. */
  declareExchange(name: string, type: string): void {
    if (name === '' || this.exchanges.has(name)) return;
    const known = type === 'direct' || type === 'fanout' || type === 'topic' || type === 'headers';
    this.exchanges.set(name, { type: known ? type : 'headers', bindings: [], routes: new Map() });
  }

  deleteExchange(name: string): void {
    this.exchanges.delete(name);
  }

  /** A binding to an exchange never declared (or the default exchange) is dropped. */
  bind(queue: string, exchange: string, key: string): void {
    const ex = this.exchanges.get(exchange);
    if (!ex || ex.bindings.some((b) => b.queue === queue && b.key === key)) return;
    ex.bindings.push({ queue, key });
    ex.routes.clear();
  }

  unbind(queue: string, exchange: string, key: string): void {
    const ex = this.exchanges.get(exchange);
    if (!ex) return;
    ex.bindings = ex.bindings.filter((b) => b.queue !== queue || b.key !== key);
    ex.routes.clear();
  }

  deleteQueue(queue: string): void {
    for (const ex of this.exchanges.values()) {
      if (!ex.bindings.some((b) => b.queue === queue)) continue;
      ex.bindings = ex.bindings.filter((b) => b.queue !== queue);
      ex.routes.clear();
    }
  }

  /** The queues a publish to a named exchange reaches (the default exchange is the caller's: it needs no table). */
  route(exchange: string, routingKey: string): readonly string[] {
    const ex = this.exchanges.get(exchange);
    if (!ex) return NOWHERE;
    let queues = ex.routes.get(routingKey);
    if (queues) return queues;
    queues = [...new Set(ex.bindings.filter((b) => matches(ex.type, b.key, routingKey)).map((b) => b.queue))];
    if (ex.routes.size >= MAX_CACHED_ROUTES) ex.routes.clear();
    ex.routes.set(routingKey, queues);
    return queues;
  }
}

function matches(type: ExchangeType, bindingKey: string, routingKey: string): boolean {
  switch (type) {
    case 'direct':
      return bindingKey === routingKey;
    case 'fanout':
      return true;
    case 'topic':
      return topicMatches(words(bindingKey), words(routingKey), 0, 0);
    case 'headers':
      return false;
  }
}

/** As RabbitMQ splits keys: the empty key has no words. */
function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/** `*` matches exactly one word, `#` zero or more; anything else itself. */
export function topicMatches(pattern: string[], key: string[], p: number, k: number): boolean {
  if (p === pattern.length) return k === key.length;
  const part = pattern[p];
  if (part === '#') {
    for (let skip = k; skip <= key.length; skip++) if (topicMatches(pattern, key, p + 1, skip)) return true;
    return false;
  }
  if (k === key.length) return false;
  return (part === '*' || part === key[k]) && topicMatches(pattern, key, p + 1, k + 1);
}
