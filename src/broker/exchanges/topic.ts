// Topic exchange: binding keys are dot-separated words where `*` matches exactly one word and `#`
// zero or more. Bindings live in a trie of words, so a publish walks the key's words once instead of
// testing every binding; results per routing key are cached until the bindings change.
import type { Binding } from '../binding.js';
import type { Router } from '../exchange.js';
import type { Message } from '../message.js';

class Node {
  readonly children = new Map<string, Node>();
  star: Node | undefined = undefined;
  hash: Node | undefined = undefined;
  readonly bindings: Binding[] = [];

  get empty(): boolean {
    return this.bindings.length === 0 && this.children.size === 0 && !this.star && !this.hash;
  }
}

/** RabbitMQ splits "" into no words at all, and any other key at every dot ("a." is "a" and ""). */
const words = (key: string): string[] => (key === '' ? [] : key.split('.'));

const CACHE_LIMIT = 4096;

export class TopicRouter implements Router {
  private readonly root = new Node();
  private readonly cache = new Map<string, Binding[]>();

  add(b: Binding): void {
    let node = this.root;
    for (const w of words(b.routingKey)) {
      let next: Node | undefined;
      if (w === '*') next = node.star ??= new Node();
      else if (w === '#') next = node.hash ??= new Node();
      else {
        next = node.children.get(w);
        if (!next) node.children.set(w, (next = new Node()));
      }
      node = next;
    }
    node.bindings.push(b);
    this.cache.clear();
  }

  remove(b: Binding): void {
    this.removeFrom(this.root, words(b.routingKey), 0, b);
    this.cache.clear();
  }

  /** Removes b and prunes nodes left empty; returns whether node is now empty. */
  private removeFrom(node: Node, ws: string[], i: number, b: Binding): boolean {
    if (i === ws.length) {
      const at = node.bindings.indexOf(b);
      if (at >= 0) node.bindings.splice(at, 1);
      return node.empty;
    }
    const w = ws[i];
    if (w === '*') {
      if (node.star && this.removeFrom(node.star, ws, i + 1, b)) node.star = undefined;
    } else if (w === '#') {
      if (node.hash && this.removeFrom(node.hash, ws, i + 1, b)) node.hash = undefined;
    } else {
      const child = node.children.get(w);
      if (child && this.removeFrom(child, ws, i + 1, b)) node.children.delete(w);
    }
    return node.empty;
  }

  match(_msg: Message, routingKey: string, out: Binding[]): void {
    let hits = this.cache.get(routingKey);
    if (!hits) {
      hits = [];
      collect(this.root, words(routingKey), 0, hits);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(routingKey, hits);
    }
    for (let i = 0; i < hits.length; i++) out.push(hits[i]);
  }
}

/** Matching may reach one binding along several paths (e.g. "#.#"); the exchange de-duplicates queues. */
function collect(node: Node, ws: string[], i: number, out: Binding[]): void {
  if (node.hash) {
    // `#` swallows zero or more words: try every split point.
    for (let j = i; j <= ws.length; j++) collect(node.hash, ws, j, out);
  }
  if (i === ws.length) {
    for (const b of node.bindings) if (!out.includes(b)) out.push(b);
    return;
  }
  const child = node.children.get(ws[i]);
  if (child) collect(child, ws, i + 1, out);
  if (node.star) collect(node.star, ws, i + 1, out);
}
