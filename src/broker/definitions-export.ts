// The broker's definitions in RabbitMQ's JSON format (GET /api/definitions, rabbitmqctl
// export_definitions): a file exported here imports into RabbitMQ and back. Like RabbitMQ 3.10, every
// queue but exclusive ones is exported (durable or not), with the exchanges and bindings; amq.* and the
// default exchange are built in and left out, and so are the default exchange's implicit bindings.
import { tableToJson as tableJson, type Json } from '../amqp/field-json.js';
import type { Broker } from './broker.js';
import { policyToJson } from './policies.js';
import type { VHost } from './vhost.js';

/** The RabbitMQ release whose behaviour Warren follows; tools read it from rabbitmq_version. */
export const RABBITMQ_COMPATIBLE_VERSION = '3.10.8';

export function exportDefinitions(broker: Broker, version: string, onlyVhost?: string): { [key: string]: Json } {
  const vhosts = [...broker.vhosts.values()].filter((vh) => onlyVhost === undefined || vh.name === onlyVhost);
  const perVhost = onlyVhost !== undefined;
  const body = {
    queues: vhosts.flatMap((vh) => queues(vh, perVhost)),
    exchanges: vhosts.flatMap((vh) => exchanges(vh, perVhost)),
    bindings: vhosts.flatMap((vh) => bindings(vh, perVhost)),
    // policies keep their vhost even in a single vhost's export, as in RabbitMQ
    policies: vhosts.flatMap((vh) => vh.policies.list().map((p) => policyToJson(p) as unknown as Json)),
  };
  const head = { rabbit_version: RABBITMQ_COMPATIBLE_VERSION, rabbitmq_version: RABBITMQ_COMPATIBLE_VERSION, product_name: 'Warren', product_version: version };
  // A single vhost's export has only these keys, as RabbitMQ writes it.
  if (perVhost) return { rabbit_version: RABBITMQ_COMPATIBLE_VERSION, parameters: [], ...body };
  return {
    ...head,
    users: [...broker.users.values()].map((u) => ({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: u.hashingAlgorithm,
      tags: u.tags,
      limits: {},
    })),
    // RabbitMQ 3.10.8 exports a vhost's name only.
    vhosts: vhosts.map((vh) => ({ name: vh.name })),
    permissions: [...broker.permissions.values()].flatMap((m) =>
      [...m.values()].map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    ),
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    ...body,
  };
}

function withVhost(vh: VHost, perVhost: boolean, o: { [key: string]: Json }): { [key: string]: Json } {
  return perVhost ? o : { ...o, vhost: vh.name };
}

function queues(vh: VHost, perVhost: boolean): Json[] {
  return [...vh.queues.values()]
    .filter((q) => q.exclusiveOwner === 0)
    .map((q) => withVhost(vh, perVhost, { name: q.name, durable: q.durable, auto_delete: q.autoDelete, arguments: tableJson(q.args) }));
}

function exchanges(vh: VHost, perVhost: boolean): Json[] {
  return [...vh.exchanges.values()]
    .filter((x) => x.name !== '' && !x.name.startsWith('amq.'))
    .map((x) =>
      withVhost(vh, perVhost, {
        name: x.name,
        type: x.type,
        durable: x.durable,
        auto_delete: x.autoDelete,
        internal: x.internal,
        arguments: tableJson(x.args),
      }),
    );
}

function bindings(vh: VHost, perVhost: boolean): Json[] {
  const out: Json[] = [];
  for (const x of vh.exchanges.values()) {
    for (const b of x.bindings) {
      if (b.destination.kind === 'queue' && b.destination.exclusiveOwner !== 0) continue;
      out.push(
        withVhost(vh, perVhost, {
          source: b.source.name,
          destination: b.destination.name,
          destination_type: b.destination.kind,
          routing_key: b.routingKey,
          arguments: tableJson(b.args),
        }),
      );
    }
  }
  return out;
}
