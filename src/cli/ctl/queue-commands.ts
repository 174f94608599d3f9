// purge_queue and delete_queue.
import type { Command } from './command.js';
import { CtlError, EXIT } from './errors.js';
import { ApiError, segment } from './http-client.js';
import { explainNotFound, missingInVhost } from './lookups.js';

const queuePath = (vhost: string, name: string): string => `/api/queues/${segment(vhost)}/${segment(name)}`;

export const QUEUE_COMMANDS: readonly Command[] = [
  {
    name: 'purge_queue',
    synopsis: '[-p VHOST] NAME',
    summary: 'remove the ready messages of a queue',
    arity: [1, 1],
    options: ['vhost'],
    async run({ client, args: [name], vhost, out }) {
      out.info(`Purging queue '${name}' in vhost '${vhost}' ...`);
      await explainNotFound(client.delete(`${queuePath(vhost, name!)}/contents`), () =>
        missingInVhost(client, vhost, `queue '${name}' in vhost '${vhost}' not found`),
      );
    },
  },
  {
    name: 'delete_queue',
    synopsis: '[-p VHOST] NAME [--if-empty] [--if-unused]',
    summary: 'delete a queue; --if-empty: only if it has no messages, --if-unused: only if it has no consumers',
    arity: [1, 1],
    options: ['vhost', 'if-empty', 'if-unused'],
    async run({ client, args: [name], vhost, options, out }) {
      const conditions = [options.ifEmpty && 'if-empty=true', options.ifUnused && 'if-unused=true'].filter(Boolean);
      out.info(`Deleting queue '${name}' in vhost '${vhost}' ...`);
      try {
        await explainNotFound(client.delete(queuePath(vhost, name!) + (conditions.length ? `?${conditions.join('&')}` : '')), () =>
          missingInVhost(client, vhost, `queue '${name}' in vhost '${vhost}' not found`),
        );
      } catch (err) {
        // RabbitMQ answers 400 "queue 'q' in vhost '/' not empty" (or "in use") when a condition fails.
        if (err instanceof ApiError && err.status === 400) throw new CtlError(`queue not deleted: ${err.reason}`, EXIT.DATA);
        throw err;
      }
    },
  },
];
