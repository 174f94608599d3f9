// The topic-1000 scenario's bindings and routing keys, drawn from a seeded generator so every run and
// every broker gets the same ones. Keys have three words, region.kind.id (8 × 10 × 50 = 4,000 keys);
// 1,000 bindings spread over the queues: mostly exact keys, a tenth with `*` (region.*.id, *.kind.id)
// and a tenth with `#` (region.kind.#, #.kind.id). Publishers use a random sequence of keys: most are
// made from a binding (wildcards filled with random words), so they route; the rest are drawn from the
// whole key space, and some of those route nowhere.

const REGIONS = ['eu', 'us', 'ap', 'sa', 'af', 'me', 'oc', 'cn'];
const KINDS = ['order', 'payment', 'refund', 'invoice', 'shipment', 'stock', 'user', 'review', 'alert', 'audit'];
const IDS = Array.from({ length: 50 }, (_, i) => `id${i}`);

export interface TopicLoad {
  /** binding keys, in binding order; binding i goes to queue i % queues */
  bindingKeys: string[];
  /** the publishers' keys, used in turn */
  publishKeys: string[];
  /** share of publishKeys that reach at least one queue */
  routedShare: number;
  /** queues reached per publish, on average (so deliveries ≈ publishes × this) */
  meanQueuesPerPublish: number;
}

export interface TopicLoadShape {
  bindings: number;
  queues: number;
  publishKeys: number;
  /** share of publish keys made from a binding (the rest are uniform over the key space) */
  fromBindings: number;
  seed: number;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function topicLoad(shape: TopicLoadShape): TopicLoad {
  const random = seeded(shape.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const anyKey = (): string => `${pick(REGIONS)}.${pick(KINDS)}.${pick(IDS)}`;

  // Binding i goes to queue i % queues; a (queue, key) pair is bound once, so redraw duplicates.
  const bindingKeys: string[] = [];
  const seen = new Set<string>();
  while (bindingKeys.length < shape.bindings) {
    const roll = random();
    const key =
      roll < 0.05
        ? `${pick(REGIONS)}.*.${pick(IDS)}`
        : roll < 0.1
          ? `*.${pick(KINDS)}.${pick(IDS)}`
          : roll < 0.15
            ? `${pick(REGIONS)}.${pick(KINDS)}.#`
            : roll < 0.2
              ? `#.${pick(KINDS)}.${pick(IDS)}`
              : anyKey();
    const queue = bindingKeys.length % shape.queues;
    if (seen.has(`${queue} ${key}`)) continue;
    seen.add(`${queue} ${key}`);
    bindingKeys.push(key);
  }

  const publishKeys = Array.from({ length: shape.publishKeys }, () => {
    if (random() >= shape.fromBindings) return anyKey();
    return pick(bindingKeys)
      .split('.')
      .map((word, i) => (word === '*' || word === '#' ? pick([REGIONS, KINDS, IDS][i]!) : word))
      .join('.');
  });

  const { routedShare, meanQueuesPerPublish } = routingStats(bindingKeys, shape.queues, publishKeys);
  return { bindingKeys, publishKeys, routedShare, meanQueuesPerPublish };
}

/** Which queues each publish key reaches, by AMQP topic matching (`*` one word, `#` zero or more). */
function routingStats(bindingKeys: string[], queues: number, publishKeys: string[]): { routedShare: number; meanQueuesPerPublish: number } {
  const exact = new Map<string, Set<number>>();
  const patterns: Array<{ regex: RegExp; queue: number }> = [];
  bindingKeys.forEach((key, i) => {
    const queue = i % queues;
    if (!key.includes('*') && !key.includes('#')) {
      let set = exact.get(key);
      if (!set) exact.set(key, (set = new Set()));
      set.add(queue);
      return;
    }
    patterns.push({ regex: topicRegex(key), queue });
  });
  let routed = 0;
  let reached = 0;
  for (const key of publishKeys) {
    const hit = new Set(exact.get(key));
    for (const p of patterns) if (!hit.has(p.queue) && p.regex.test(key)) hit.add(p.queue);
    if (hit.size > 0) routed++;
    reached += hit.size;
  }
  return { routedShare: routed / publishKeys.length, meanQueuesPerPublish: reached / publishKeys.length };
}

function topicRegex(pattern: string): RegExp {
  const words = pattern.split('.');
  let source = '';
  words.forEach((word, i) => {
    const dot = i === 0 ? '' : '\\.';
    if (word === '#') {
      // zero or more words, with the dot that joins them to their neighbours
      source += i === 0 ? '(?:[^.]+(?:\\.[^.]+)*)?' : '(?:\\.[^.]+)*';
      return;
    }
    const piece = word === '*' ? '[^.]+' : word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // after a leading '#' that matched nothing, this word starts the key
    source += i === 1 && words[0] === '#' ? `(?:^|\\.)${piece}` : `${dot}${piece}`;
  });
  return new RegExp(`^${source}$`);
}
