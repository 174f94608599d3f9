// A queue's name as a link, with what makes it stand out: dead-letter queue, growing.
import type { Queue } from '../api/types';
import type { DeadLetterInfo } from '../lib/dead-letter';
import { rate } from '../lib/format';
import { href } from '../lib/router';
import { Badge } from './ui';

export function deadLetterTitle(info: DeadLetterInfo): string {
  return info.byNameOnly
    ? 'Dead-letter queue (by its name)'
    : `Dead-letter queue: receives dead letters from ${info.sources.join(', ')}`;
}

export function QueueNameCell({ queue, deadLetter, growth, showVhost }: { queue: Queue; deadLetter?: DeadLetterInfo; growth: number; showVhost?: boolean }) {
  return (
    <span class="queue-name">
      <a href={href('queues', queue.vhost, queue.name)} class="strong">
        {queue.name}
      </a>
      {showVhost && queue.vhost !== '/' && (
        <span class="vhost-tag" title="virtual host">
          {queue.vhost}
        </span>
      )}
      {deadLetter && (
        <Badge tone="dlq" title={deadLetterTitle(deadLetter)}>
          DLQ
        </Badge>
      )}
      {growth > 0 && (
        <Badge tone="warn" title="The number of messages in this queue keeps rising">
          ↑ {rate(growth)}
        </Badge>
      )}
    </span>
  );
}
