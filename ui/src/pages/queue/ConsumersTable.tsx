// The consumers of a queue, from the queue's consumer_details.
import type { ConsumerDetail } from '../../api/types';
import { Badge, Empty } from '../../components/ui';
import { href } from '../../lib/router';

export function ConsumersTable({ consumers }: { consumers: ConsumerDetail[] }) {
  if (consumers.length === 0) return <Empty>No consumers.</Empty>;
  return (
    <table class="table table-compact">
      <thead>
        <tr>
          <th>Consumer tag</th>
          <th>Channel</th>
          <th>Ack</th>
          <th class="num">Prefetch</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {consumers.map((c) => (
          <tr>
            <td class="mono" title={c.consumer_tag}>
              {c.consumer_tag}
              {c.exclusive && <Badge>exclusive</Badge>}
            </td>
            <td>
              <a href={href('connections')} title={c.channel_details?.connection_name}>
                {c.channel_details?.name ?? '–'}
              </a>
            </td>
            <td>{c.ack_required === false ? 'auto' : 'manual'}</td>
            <td class="num">{c.prefetch_count ?? 0}</td>
            <td>
              <span class={`state state-${c.active === false ? 'idle' : 'running'}`}>{c.activity_status ?? (c.active === false ? 'waiting' : 'up')}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
