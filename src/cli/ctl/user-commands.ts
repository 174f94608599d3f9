// add_user, delete_user, change_password, set_user_tags.
//
// PUT /api/users/NAME replaces the whole user: it needs `tags`, and a body without `password`
// leaves the user without one. So changing only the password sends the current tags, and changing
// only the tags sends the current password hash.
import type { Command } from './command.js';
import { CtlError, EXIT } from './errors.js';
import type { ManagementClient } from './http-client.js';
import { explainNotFound, notFound, userPath } from './lookups.js';

interface UserRecord {
  name: string;
  password_hash?: string;
  hashing_algorithm?: string;
  /** an array, or a comma-separated string in older RabbitMQ versions */
  tags?: string[] | string;
}

function tagList(tags: UserRecord['tags']): string[] {
  if (Array.isArray(tags)) return tags;
  return (tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
}

function getUser(client: ManagementClient, user: string): Promise<UserRecord> {
  return explainNotFound(client.get<UserRecord>(userPath(user)), () => notFound(`user '${user}' not found`));
}

export const USER_COMMANDS: readonly Command[] = [
  {
    name: 'add_user',
    synopsis: 'USER PASSWORD',
    summary: 'create a user with no tags and no permissions',
    arity: [2, 2],
    options: [],
    async run({ client, args: [user, password], out }) {
      out.info(`Adding user '${user}' ...`);
      // PUT would silently replace an existing user's password; rabbitmqctl refuses instead.
      if (await client.exists(userPath(user!))) throw new CtlError(`user '${user}' already exists`, EXIT.DATA);
      await client.put(userPath(user!), { password, tags: '' });
    },
  },
  {
    name: 'delete_user',
    synopsis: 'USER',
    summary: 'delete a user and its permissions',
    arity: [1, 1],
    options: [],
    async run({ client, args: [user], out }) {
      out.info(`Deleting user '${user}' ...`);
      await explainNotFound(client.delete(userPath(user!)), () => notFound(`user '${user}' not found`));
    },
  },
  {
    name: 'change_password',
    synopsis: 'USER PASSWORD',
    summary: "set a user's password, keeping its tags",
    arity: [2, 2],
    options: [],
    async run({ client, args: [user, password], out }) {
      out.info(`Changing password of user '${user}' ...`);
      const current = await getUser(client, user!);
      await client.put(userPath(user!), { password, tags: tagList(current.tags).join(',') });
    },
  },
  {
    name: 'set_user_tags',
    synopsis: 'USER [TAG ...]',
    summary: "replace a user's tags (administrator, monitoring, policymaker, management, ...); none clears them",
    arity: [1, Infinity],
    options: [],
    async run({ client, args: [user, ...tags], out }) {
      out.info(`Setting tags of user '${user}' to [${tags.join(', ')}] ...`);
      const current = await getUser(client, user!);
      await client.put(userPath(user!), {
        password_hash: current.password_hash ?? '',
        ...(current.hashing_algorithm ? { hashing_algorithm: current.hashing_algorithm } : {}),
        tags: tags.join(','),
      });
    },
  },
];
