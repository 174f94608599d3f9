// set_permissions and clear_permissions.
import type { Command } from './command.js';
import { CtlError } from './errors.js';
import { ApiError, type ManagementClient, segment } from './http-client.js';
import { isNotFound, notFound, userPath, vhostPath } from './lookups.js';

const permissionPath = (vhost: string, user: string): string => `/api/permissions/${segment(vhost)}/${segment(user)}`;

/** Which of the two is missing, or undefined when both exist. */
async function missingUserOrVhost(client: ManagementClient, user: string, vhost: string): Promise<CtlError | undefined> {
  if (!(await client.exists(userPath(user)))) return notFound(`user '${user}' not found`);
  if (!(await client.exists(vhostPath(vhost)))) return notFound(`vhost '${vhost}' not found`);
  return undefined;
}

export const PERMISSION_COMMANDS: readonly Command[] = [
  {
    name: 'set_permissions',
    synopsis: '[-p VHOST] USER CONFIGURE WRITE READ',
    summary: 'grant a user access to a vhost; each of the three is a regular expression of resource names',
    arity: [4, 4],
    options: ['vhost'],
    async run({ client, args: [user, configure, write, read], vhost, out }) {
      out.info(`Setting permissions of user '${user}' in vhost '${vhost}' ...`);
      try {
        await client.put(permissionPath(vhost, user!), { configure, write, read });
      } catch (err) {
        // RabbitMQ answers a missing user or vhost with 400 "vhost_or_user_not_found".
        if (isNotFound(err) || (err instanceof ApiError && /not.?found/i.test(err.reason))) {
          throw (await missingUserOrVhost(client, user!, vhost)) ?? err;
        }
        throw err;
      }
    },
  },
  {
    name: 'clear_permissions',
    synopsis: '[-p VHOST] USER',
    summary: "remove a user's permissions in a vhost (nothing happens if it has none)",
    arity: [1, 1],
    options: ['vhost'],
    async run({ client, args: [user], vhost, out }) {
      out.info(`Clearing permissions of user '${user}' in vhost '${vhost}' ...`);
      try {
        await client.delete(permissionPath(vhost, user!));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Like rabbitmqctl: having nothing to clear is not an error; a missing user or vhost is.
        const missing = await missingUserOrVhost(client, user!, vhost);
        if (missing) throw missing;
      }
    },
  },
];
