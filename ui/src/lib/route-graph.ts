// Lays out a vhost's bindings as a left-to-right graph: exchanges in columns by how many exchange-to-exchange
// hops lead to them, each queue one column right of its furthest source, and each column ordered to keep
// lines from crossing.
import type { Binding, Exchange } from '../api/types';

export interface GraphNode {
  id: string;
  kind: 'exchange' | 'queue';
  name: string;
  /** exchange type */
  type?: string;
  rank: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  from: GraphNode;
  to: GraphNode;
  binding: Binding;
  /** true for an exchange-to-exchange binding that leads back to an earlier column (a cycle) */
  backwards: boolean;
}

export interface RouteGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export const NODE_HEIGHT = 30;
const ROW_GAP = 14;
const COLUMN_GAP = 150;
const MARGIN = 16;
const CHAR_WIDTH = 7.1;
const MAX_LABEL = 34;

export const nodeId = (kind: 'exchange' | 'queue', name: string) => `${kind === 'exchange' ? 'x' : 'q'}:${name}`;

export function truncateLabel(name: string): string {
  return name.length > MAX_LABEL ? `${name.slice(0, MAX_LABEL - 1)}…` : name;
}

function nodeWidth(kind: 'exchange' | 'queue', name: string, type?: string): number {
  const text = truncateLabel(name || '(AMQP default)').length * CHAR_WIDTH;
  // Exchanges carry a type tag after the name.
  const tag = kind === 'exchange' && type ? type.length * 6.2 + 18 : 0;
  return Math.round(text + tag + 28);
}

/**
 * The bindings on any route through an exchange: those it reaches (following exchange-to-exchange
 * bindings downstream) and those that lead to it.
 */
export function bindingsThrough(exchange: string, bindings: Binding[]): Binding[] {
  const kept = new Set<Binding>();
  const walk = (start: string, next: (b: Binding, at: string) => string | null) => {
    const seen = new Set<string>();
    const pending = [start];
    while (pending.length) {
      const at = pending.pop()!;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const b of bindings) {
        const onward = next(b, at);
        if (onward === null) continue;
        kept.add(b);
        if (onward !== '') pending.push(onward);
      }
    }
  };
  // Downstream: bindings from `at`; go on through exchanges ('' stops at queues).
  walk(exchange, (b, at) => (b.source === at ? (b.destination_type === 'exchange' ? b.destination : '') : null));
  // Upstream: exchange-to-exchange bindings into `at`.
  walk(exchange, (b, at) => (b.destination_type === 'exchange' && b.destination === at ? b.source : null));
  return bindings.filter((b) => kept.has(b));
}

/**
 * Builds the graph of the given bindings (the default exchange's implicit bindings left out). `keep`
 * limits it to the bindings that touch the matching nodes.
 */
export function layoutRoutes(exchanges: Exchange[], allBindings: Binding[], keep?: (node: { kind: 'exchange' | 'queue'; name: string }) => boolean): RouteGraph {
  const typeOf = new Map(exchanges.map((x) => [x.name, x.type]));
  let bindings = allBindings.filter((b) => b.source !== '');
  if (keep) {
    bindings = bindings.filter((b) => keep({ kind: 'exchange', name: b.source }) || keep({ kind: b.destination_type, name: b.destination }));
  }

  const nodes = new Map<string, GraphNode>();
  const node = (kind: 'exchange' | 'queue', name: string) => {
    const id = nodeId(kind, name);
    let n = nodes.get(id);
    if (!n) {
      const type = kind === 'exchange' ? typeOf.get(name) : undefined;
      n = { id, kind, name, type, rank: 0, x: 0, y: 0, width: nodeWidth(kind, name, type), height: NODE_HEIGHT };
      nodes.set(id, n);
    }
    return n;
  };
  const links = bindings.map((b) => ({ from: node('exchange', b.source), to: node(b.destination_type, b.destination), binding: b }));

  // Exchange columns: longest chain of exchange-to-exchange bindings, stopped after |nodes| rounds (cycles).
  const exchangeLinks = links.filter((l) => l.to.kind === 'exchange');
  for (let round = 0; round < nodes.size; round++) {
    let changed = false;
    for (const l of exchangeLinks) {
      if (l.to.rank < l.from.rank + 1 && l.from.rank + 1 < nodes.size) {
        l.to.rank = l.from.rank + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  // A queue sits just right of its furthest source, so no edge to it has to cross a column of nodes.
  for (const l of links) if (l.to.kind === 'queue') l.to.rank = Math.max(l.to.rank, l.from.rank + 1);

  // Columns, first by name, then reordered by the mean position of their neighbours (barycentre sweeps).
  const columns: GraphNode[][] = [];
  for (const n of nodes.values()) (columns[n.rank] ??= []).push(n);
  for (let i = 0; i < columns.length; i++) columns[i] = (columns[i] ?? []).sort((a, b) => a.name.localeCompare(b.name));
  const position = new Map<GraphNode, number>();
  const renumber = () => columns.forEach((column) => column.forEach((n, i) => position.set(n, i)));
  renumber();
  const neighbours = (n: GraphNode, upstream: boolean) =>
    links.filter((l) => (upstream ? l.to === n && l.from.rank < n.rank : l.from === n && l.to.rank > n.rank)).map((l) => (upstream ? l.from : l.to));
  const reorder = (column: GraphNode[], upstream: boolean) => {
    const weight = new Map<GraphNode, number>();
    for (const n of column) {
      const around = neighbours(n, upstream);
      weight.set(n, around.length ? around.reduce((sum, m) => sum + position.get(m)!, 0) / around.length : position.get(n)!);
    }
    column.sort((a, b) => weight.get(a)! - weight.get(b)! || a.name.localeCompare(b.name));
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let r = 1; r < columns.length; r++) reorder(columns[r]!, true);
    renumber();
    for (let r = columns.length - 2; r >= 0; r--) reorder(columns[r]!, false);
    renumber();
  }

  // Coordinates: columns as wide as their widest node, left-aligned so arrows meet a straight edge, each
  // centred vertically on the tallest.
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const totalHeight = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP;
  let x = MARGIN;
  for (const column of columns) {
    const width = Math.max(0, ...column.map((n) => n.width));
    const top = MARGIN + (totalHeight - (column.length * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2;
    column.forEach((n, i) => {
      n.x = x;
      n.y = top + i * (NODE_HEIGHT + ROW_GAP);
    });
    if (column.length) x += width + COLUMN_GAP;
  }

  return {
    nodes: [...nodes.values()],
    edges: links.map((l) => ({ ...l, backwards: l.to.rank <= l.from.rank })),
    width: Math.max(0, x - COLUMN_GAP + MARGIN),
    height: Math.max(0, totalHeight + 2 * MARGIN),
  };
}

/** The SVG path of an edge: a horizontal S-curve, or a loop under the nodes for a backwards edge. */
export function edgePath(edge: GraphEdge): string {
  const x1 = edge.from.x + edge.from.width;
  const y1 = edge.from.y + NODE_HEIGHT / 2;
  if (edge.backwards) {
    const x2 = edge.to.x;
    const y2 = edge.to.y + NODE_HEIGHT / 2;
    const dip = Math.max(y1, y2) + NODE_HEIGHT * 1.5;
    return `M${x1},${y1} C${x1 + 60},${dip} ${x2 - 60},${dip} ${x2},${y2}`;
  }
  const x2 = edge.to.x;
  const y2 = edge.to.y + NODE_HEIGHT / 2;
  const bend = Math.max(40, (x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

/** Where an edge's routing-key label goes: past the middle, towards the target, where edges have fanned out. */
export function edgeLabelPoint(edge: GraphEdge): { x: number; y: number } {
  const x1 = edge.from.x + edge.from.width;
  const y1 = edge.from.y + NODE_HEIGHT / 2;
  const x2 = edge.to.x;
  const y2 = edge.to.y + NODE_HEIGHT / 2;
  if (edge.backwards) return { x: (x1 + x2) / 2, y: Math.max(y1, y2) + NODE_HEIGHT * 1.1 };
  const t = 0.7;
  const bend = Math.max(40, (x2 - x1) / 2);
  const mt = 1 - t;
  const x = mt ** 3 * x1 + 3 * mt ** 2 * t * (x1 + bend) + 3 * mt * t ** 2 * (x2 - bend) + t ** 3 * x2;
  const y = mt ** 3 * y1 + 3 * mt ** 2 * t * y1 + 3 * mt * t ** 2 * y2 + t ** 3 * y2;
  return { x, y };
}
