// add_vhost and delete_vhost.
import type { Command } from './command.js';
import { explainNotFound, notFound, vhostPath } from './lookups.js';

export const VHOST_COMMANDS: readonly Command[] = [
  {
    name: 'add_vhost',
    synopsis: 'VHOST',
    summary: 'create a virtual host (nothing happens if it exists)',
    arity: [1, 1],
    options: [],
    async run({ client, args: [vhost], out }) {
      out.info(`Adding vhost '${vhost}' ...`);
      await client.put(vhostPath(vhost!));
    },
  },
  {
    name: 'delete_vhost',
    synopsis: 'VHOST',
    summary: 'delete a virtual host with everything in it',
    arity: [1, 1],
    options: [],
    async run({ client, args: [vhost], out }) {
      out.info(`Deleting vhost '${vhost}' ...`);
      await explainNotFound(client.delete(vhostPath(vhost!)), () => notFound(`vhost '${vhost}' not found`));
    },
  },
];
