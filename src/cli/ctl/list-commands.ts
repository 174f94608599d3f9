// The list_* commands: fetch a collection, pick the requested columns, print them.
import {
  BINDING_COLUMNS,
  CONNECTION_COLUMNS,
  CONSUMER_COLUMNS,
  EXCHANGE_COLUMNS,
  PERMISSION_COLUMNS,
  POLICY_COLUMNS,
  QUEUE_COLUMNS,
  USER_COLUMNS,
  USER_PERMISSION_COLUMNS,
  VHOST_COLUMNS,
  apiFields,
  checkColumns,
  columnValue,
  type ColumnSet,
  type Row,
} from './columns.js';
import type { Command, CommandContext } from './command.js';
import { CtlError, EXIT } from './errors.js';
import { segment } from './http-client.js';
import { explainNotFound, notFound } from './lookups.js';

interface ListSpec {
  name: string;
  summary: string;
  columns: ColumnSet;
  /** Scoped to -p VHOST. */
  vhost?: boolean;
  /** Takes a USER argument before the columns. */
  user?: boolean;
  path(ctx: CommandContext): string;
  banner(ctx: CommandContext): string;
  /** What a 404 means. */
  missing(ctx: CommandContext): string;
}

function listCommand(spec: ListSpec): Command {
  const fixedArgs = spec.user ? 1 : 0;
  return {
    name: spec.name,
    synopsis: `${spec.vhost ? '[-p VHOST] ' : ''}${spec.user ? 'USER ' : ''}[COLUMN ...]`,
    summary: spec.summary,
    arity: [fixedArgs, Infinity],
    options: spec.vhost ? ['vhost', 'no-table-headers'] : ['no-table-headers'],
    columns: spec.columns,
    async run(ctx) {
      const requested = ctx.args.slice(fixedArgs);
      const columns = requested.length > 0 ? requested : spec.columns.defaults;
      ctx.out.info(spec.banner(ctx));
      const fields = apiFields(spec.columns, columns);
      // ?columns= keeps the answer small on brokers with many objects; a broker that ignores it
      // sends whole objects, which works just as well.
      const query = fields.length > 0 ? `?columns=${fields.map(encodeURIComponent).join(',')}` : '';
      const body = await explainNotFound(ctx.client.get(spec.path(ctx) + query), () => notFound(spec.missing(ctx)));
      const rows = rowsOf(body, spec.name);
      checkColumns(spec.columns, columns, rows, spec.name);
      ctx.out.list(
        columns,
        rows.map((row) => columns.map((column) => columnValue(spec.columns, row, column))),
      );
    },
  };
}

/** The objects of a list answer: a JSON array, or the `items` of a paginated one. */
function rowsOf(body: unknown, command: string): Row[] {
  const items = Array.isArray(body) ? body : (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) throw new CtlError(`${command}: the management API did not answer with a list`, EXIT.SOFTWARE);
  return items.filter((item): item is Row => !!item && typeof item === 'object');
}

const vhostMissing = (ctx: CommandContext): string => `vhost '${ctx.vhost}' not found`;

export const LIST_COMMANDS: readonly Command[] = [
  listCommand({
    name: 'list_queues',
    summary: 'queues of a vhost (default columns: name messages)',
    columns: QUEUE_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/queues/${segment(ctx.vhost)}`,
    banner: (ctx) => `Listing queues in vhost ${ctx.vhost} ...`,
    missing: vhostMissing,
  }),
  listCommand({
    name: 'list_exchanges',
    summary: 'exchanges of a vhost (default columns: name type)',
    columns: EXCHANGE_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/exchanges/${segment(ctx.vhost)}`,
    banner: (ctx) => `Listing exchanges in vhost ${ctx.vhost} ...`,
    missing: vhostMissing,
  }),
  listCommand({
    name: 'list_bindings',
    summary: 'bindings of a vhost',
    columns: BINDING_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/bindings/${segment(ctx.vhost)}`,
    banner: (ctx) => `Listing bindings in vhost ${ctx.vhost} ...`,
    missing: vhostMissing,
  }),
  listCommand({
    name: 'list_connections',
    summary: 'client connections, in every vhost',
    columns: CONNECTION_COLUMNS,
    path: () => '/api/connections',
    banner: () => 'Listing connections ...',
    missing: () => 'the management API has no connection list',
  }),
  listCommand({
    name: 'list_consumers',
    summary: 'consumers of the queues of a vhost',
    columns: CONSUMER_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/consumers/${segment(ctx.vhost)}`,
    banner: (ctx) => `Listing consumers in vhost ${ctx.vhost} ...`,
    missing: vhostMissing,
  }),
  listCommand({
    name: 'list_users',
    summary: 'users (default columns: user tags)',
    columns: USER_COLUMNS,
    path: () => '/api/users',
    banner: () => 'Listing users ...',
    missing: () => 'the management API has no user list',
  }),
  listCommand({
    name: 'list_vhosts',
    summary: 'virtual hosts (default column: name)',
    columns: VHOST_COLUMNS,
    path: () => '/api/vhosts',
    banner: () => 'Listing vhosts ...',
    missing: () => 'the management API has no vhost list',
  }),
  listCommand({
    name: 'list_permissions',
    summary: "users' permissions in a vhost",
    columns: PERMISSION_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/vhosts/${segment(ctx.vhost)}/permissions`,
    banner: (ctx) => `Listing permissions in vhost '${ctx.vhost}' ...`,
    missing: vhostMissing,
  }),
  listCommand({
    name: 'list_user_permissions',
    summary: "a user's permissions in every vhost",
    columns: USER_PERMISSION_COLUMNS,
    user: true,
    path: (ctx) => `/api/users/${segment(ctx.args[0]!)}/permissions`,
    banner: (ctx) => `Listing permissions of user '${ctx.args[0]}' ...`,
    missing: (ctx) => `user '${ctx.args[0]}' not found`,
  }),
  listCommand({
    name: 'list_policies',
    summary: 'policies of a vhost',
    columns: POLICY_COLUMNS,
    vhost: true,
    path: (ctx) => `/api/policies/${segment(ctx.vhost)}`,
    banner: (ctx) => `Listing policies in vhost '${ctx.vhost}' ...`,
    missing: vhostMissing,
  }),
];
