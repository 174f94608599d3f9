// The routes of a vhost drawn as a graph: exchange → queue and exchange → exchange bindings, labelled with
// their routing keys. Hovering a node brings its routes forward; clicking opens it.
import { useMemo, useState } from 'preact/hooks';
import type { Binding, Exchange } from '../api/types';
import { href, navigate } from '../lib/router';
import { NODE_HEIGHT, bindingsThrough, edgeLabelPoint, edgePath, layoutRoutes, nodeId, truncateLabel, type GraphNode } from '../lib/route-graph';

interface Props {
  vhost: string;
  exchanges: Exchange[];
  bindings: Binding[];
  /** only routes touching nodes whose name contains this */
  filter?: string;
  /** an exchange whose routes alone are shown and emphasised (its own page) */
  focus?: { kind: 'exchange'; name: string };
  isDeadLetterQueue?: (name: string) => boolean;
}

const TYPE_COLORS: Record<string, string> = {
  direct: '#3b6fd8',
  fanout: '#0f8a7e',
  topic: '#8a5cd6',
  headers: '#c2621a',
  'x-consistent-hash': '#b83280',
};

export function RouteGraph({ vhost, exchanges, bindings, filter = '', focus, isDeadLetterQueue }: Props) {
  const [hover, setHover] = useState<string | null>(null);
  const needle = filter.trim().toLowerCase();
  const graph = useMemo(
    () =>
      focus
        ? layoutRoutes(exchanges, bindingsThrough(focus.name, bindings.filter((b) => b.source !== '')))
        : layoutRoutes(exchanges, bindings, needle ? (n) => n.name.toLowerCase().includes(needle) : undefined),
    [exchanges, bindings, needle, focus?.name],
  );

  if (graph.nodes.length === 0) {
    return <div class="empty">{needle || focus ? 'No routes match.' : 'No bindings yet: only the default exchange routes here.'}</div>;
  }

  // Hovering lights up one node's routes; the focused exchange is only outlined, its whole subgraph stays lit.
  const active = hover;
  const focused = focus ? nodeId(focus.kind, focus.name) : null;
  const touches = (id: string) => graph.edges.some((e) => (e.from.id === active && e.to.id === id) || (e.to.id === active && e.from.id === id));
  const open = (n: GraphNode) => navigate(href(n.kind === 'exchange' ? 'exchanges' : 'queues', vhost, n.name));

  return (
    <div class="graph-scroll">
      <svg class="graph" width={graph.width} height={graph.height + NODE_HEIGHT} viewBox={`0 0 ${graph.width} ${graph.height + NODE_HEIGHT}`} role="img" aria-label="Routing graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#9aa3b2" />
          </marker>
          <marker id="arrow-active" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="var(--accent)" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const lit = active !== null && (e.from.id === active || e.to.id === active);
          const dim = active !== null && !lit;
          const label = e.binding.routing_key;
          const point = edgeLabelPoint(e);
          return (
            <g class={`edge${lit ? ' edge-lit' : ''}${dim ? ' edge-dim' : ''}`}>
              <path d={edgePath(e)} marker-end={lit ? 'url(#arrow-active)' : 'url(#arrow)'} />
              {label && (
                <g class="edge-label" transform={`translate(${point.x},${point.y})`}>
                  <title>{label}</title>
                  <rect x={-(Math.min(label.length, 24) * 3.2 + 6)} y={-9} width={Math.min(label.length, 24) * 6.4 + 12} height={18} rx={4} />
                  <text text-anchor="middle" dy="4">
                    {label.length > 24 ? `${label.slice(0, 23)}…` : label}
                  </text>
                </g>
              )}
            </g>
          );
        })}
        {graph.nodes.map((n) => {
          const dlq = n.kind === 'queue' && isDeadLetterQueue?.(n.name);
          const dim = active !== null && n.id !== active && !touches(n.id);
          const color = n.kind === 'exchange' ? TYPE_COLORS[n.type ?? ''] ?? '#5b6577' : dlq ? '#7c3aed' : '#1f2937';
          const label = truncateLabel(n.name || '(AMQP default)');
          return (
            <g
              class={`node node-${n.kind}${dlq ? ' node-dlq' : ''}${n.id === active || n.id === focused ? ' node-active' : ''}${dim ? ' node-dim' : ''}`}
              transform={`translate(${n.x},${n.y})`}
              onMouseEnter={() => setHover(n.id)}
              onMouseLeave={() => setHover(null)}
              onClick={() => open(n)}
              tabIndex={0}
              onKeyDown={(e) => e.key === 'Enter' && open(n)}
              role="link"
              aria-label={`${n.kind} ${n.name}`}
            >
              <title>{`${n.kind === 'exchange' ? `${n.type ?? ''} exchange` : dlq ? 'dead-letter queue' : 'queue'} ${n.name}`}</title>
              <rect width={n.width} height={NODE_HEIGHT} rx={n.kind === 'queue' ? NODE_HEIGHT / 2 : 6} style={{ stroke: color }} />
              {n.kind === 'exchange' && <rect class="node-stripe" width={5} height={NODE_HEIGHT} rx={2} style={{ fill: color }} />}
              <text x={14} y={NODE_HEIGHT / 2 + 4}>
                {label}
              </text>
              {n.kind === 'exchange' && n.type && (
                <text class="node-type" x={n.width - 10} y={NODE_HEIGHT / 2 + 4} text-anchor="end" style={{ fill: color }}>
                  {n.type}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
