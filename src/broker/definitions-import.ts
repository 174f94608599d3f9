// Loading a definitions file in RabbitMQ's JSON format (as `GET /api/definitions` or
// `rabbitmqctl export_definitions` write it): exchanges, queues, bindings and policies.
// Users, permissions and parameters belong to the management side and are ignored here.
//
// As RabbitMQ does on import, an object that already exists is left as it is (no equivalence check),
// objects named amq.* are skipped with a warning, and a binding whose source or destination is missing
// is skipped (RabbitMQ drops it silently; Warren logs a warning). The whole file is checked before any
// of it is applied, so malformed input changes nothing.
import type { Field, FieldTable } from '../amqp/field-table.js';
import type { Logger } from '../server/logger.js';
import type { Broker } from './broker.js';
import { AmqpError } from './errors.js';
import { parsePolicy, PolicyError, erlangTerm, type Policy } from './policies.js';
import type { VHost } from './vhost.js';

/** A definitions file that cannot be imported; the message names the offending object. */
export class DefinitionsError extends Error {
  override name = 'DefinitionsError';
}

export interface ImportCounts {
  exchanges: number;
  queues: number;
  bindings: number;
  policies: number;
}

interface ExchangeDef {
  what: string;
  vh: VHost;
  name: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

interface QueueDef {
  what: string;
  vh: VHost;
  name: string;
  durable: boolean;
  autoDelete: boolean;
  args: FieldTable;
}

interface BindingDef {
  what: string;
  vh: VHost;
  source: string;
  destination: string;
  toQueue: boolean;
  key: string;
  args: FieldTable;
}

type Obj = { [key: string]: unknown };

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sections of a RabbitMQ export that Warren's broker model does not take from a definitions file. */
const IGNORED = new Set(['users', 'permissions', 'topic_permissions', 'parameters', 'global_parameters']);

/**
 * Imports a parsed definitions document into the broker. Objects may only name vhosts the broker has
 * (objects without a vhost, as in a per-vhost export, go to '/'). Returns how many of each kind the
 * file held and the broker now has (already existing ones included; skipped ones not).
 */
export function importDefinitions(broker: Broker, json: unknown, log?: Logger): ImportCounts {
  if (!isObject(json)) {
    throw new DefinitionsError(`definitions must be a JSON object as RabbitMQ's GET /api/definitions exports, not ${describe(json)}`);
  }
  for (const key of Object.keys(json)) {
    if (IGNORED.has(key)) log?.debug(`definitions: ignoring '${key}'`);
  }

  const vhostOf = (o: Obj, what: () => string): VHost => {
    const name = o.vhost ?? '/';
    if (typeof name !== 'string') throw new DefinitionsError(`${what()}: vhost must be a string, not ${describe(name)}`);
    const vh = broker.vhosts.get(name);
    if (!vh) throw new DefinitionsError(`${what()}: ${noVhost(broker, name)}`);
    return vh;
  };

  for (const [i, v] of section(json, 'vhosts').entries()) {
    if (!isObject(v) || typeof v.name !== 'string') throw new DefinitionsError(`vhosts[${i}]: expected {"name": "..."}, not ${describe(v)}`);
    if (!broker.vhosts.has(v.name)) throw new DefinitionsError(noVhost(broker, v.name));
  }

  const policies: Policy[] = [];
  for (const [i, p] of section(json, 'policies').entries()) {
    const at = () => `policies[${i}]`;
    const o = objectAt(p, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `policy '${name}'`);
    try {
      policies.push(parsePolicy(vh.name, name, o));
    } catch (err) {
      if (err instanceof PolicyError) throw new DefinitionsError(`policy '${name}' in vhost '${vh.name}': ${err.message.trimEnd()}`);
      throw err;
    }
  }

  const queues: QueueDef[] = [];
  for (const [i, q] of section(json, 'queues').entries()) {
    const at = () => `queues[${i}]`;
    const o = objectAt(q, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `queue '${name}'`);
    const what = `queue '${name}' in vhost '${vh.name}'`;
    if (name === '') throw new DefinitionsError(`queues[${i}]: a queue name must not be empty`);
    queues.push({ what, vh, name, durable: bool(o, 'durable', what), autoDelete: bool(o, 'auto_delete', what), args: args(o, what) });
  }

  const exchanges: ExchangeDef[] = [];
  for (const [i, x] of section(json, 'exchanges').entries()) {
    const at = () => `exchanges[${i}]`;
    const o = objectAt(x, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `exchange '${name}'`);
    const what = `exchange '${name}' in vhost '${vh.name}'`;
    exchanges.push({
      what,
      vh,
      name,
      type: str(o, 'type', () => what),
      durable: bool(o, 'durable', what),
      autoDelete: bool(o, 'auto_delete', what),
      internal: bool(o, 'internal', what),
      args: args(o, what),
    });
  }

  const bindings: BindingDef[] = [];
  for (const [i, b] of section(json, 'bindings').entries()) {
    const at = () => `bindings[${i}]`;
    const o = objectAt(b, at);
    const source = str(o, 'source', at);
    const destination = str(o, 'destination', at);
    const type = o.destination_type;
    if (type !== 'queue' && type !== 'exchange') {
      throw new DefinitionsError(`bindings[${i}] (from '${source}' to '${destination}'): destination_type must be "queue" or "exchange", not ${describe(type)}`);
    }
    const vh = vhostOf(o, () => `binding of ${type} '${destination}' to exchange '${source}'`);
    const key = o.routing_key ?? '';
    const what = `binding of ${type} '${destination}' to exchange '${source}' in vhost '${vh.name}'`;
    if (typeof key !== 'string') throw new DefinitionsError(`${what}: routing_key must be a string, not ${describe(key)}`);
    bindings.push({ what: `${what} with routing key '${key}'`, vh, source, destination, toQueue: type === 'queue', key, args: args(o, what) });
  }

  // Applied in RabbitMQ's order: policies, queues, exchanges, bindings.
  const counts: ImportCounts = { exchanges: 0, queues: 0, bindings: 0, policies: 0 };
  for (const p of policies) {
    broker.vhosts.get(p.vhost)!.setPolicy(p);
    counts.policies++;
  }
  for (const q of queues) {
    if (q.name.startsWith('amq.')) {
      log?.warn(`definitions: skipping ${q.what}: names beginning with 'amq.' are reserved`);
      continue;
    }
    if (!q.vh.queues.has(q.name)) applying(q.what, () => q.vh.declareQueue(q.name, false, q.durable, false, q.autoDelete, q.args, 0));
    counts.queues++;
  }
  for (const x of exchanges) {
    if (x.name === '' || x.name.startsWith('amq.')) {
      if (!x.vh.exchanges.has(x.name)) log?.warn(`definitions: skipping ${x.what}: names beginning with 'amq.' are reserved`);
      continue;
    }
    if (!x.vh.exchanges.has(x.name)) {
      applying(x.what, () => x.vh.declareExchange(x.name, x.type, false, x.durable, x.autoDelete, x.internal, x.args));
    }
    counts.exchanges++;
  }
  for (const b of bindings) {
    const dest = b.toQueue ? b.vh.queues.get(b.destination) : b.vh.exchanges.get(b.destination);
    if (!b.vh.exchanges.has(b.source) || !dest) {
      const missing = !b.vh.exchanges.has(b.source) ? `exchange '${b.source}'` : `${b.toQueue ? 'queue' : 'exchange'} '${b.destination}'`;
      log?.warn(`definitions: skipping ${b.what}: no ${missing}`);
      continue;
    }
    applying(b.what, () => b.vh.bind(b.source, b.destination, b.toQueue, b.key, b.args, 0));
    counts.bindings++;
  }
  return counts;
}

function noVhost(broker: Broker, name: string): string {
  const have = [...broker.vhosts.keys()].map((n) => `'${n}'`).join(', ');
  return `vhost '${name}' does not exist (Warren has ${have}); create it first or remove its objects from the file`;
}

function section(json: Obj, key: string): unknown[] {
  const v = json[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DefinitionsError(`'${key}' must be an array, not ${describe(v)}`);
  return v;
}

function objectAt(v: unknown, at: () => string): Obj {
  if (!isObject(v)) throw new DefinitionsError(`${at()}: expected an object, not ${describe(v)}`);
  return v;
}

function str(o: Obj, key: string, what: () => string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new DefinitionsError(`${what()}: ${key} must be a string, not ${describe(v)}`);
  return v;
}

/** Missing flags are false, as in RabbitMQ's HTTP API. */
function bool(o: Obj, key: string, what: string): boolean {
  const v = o[key] ?? false;
  if (typeof v !== 'boolean') throw new DefinitionsError(`${what}: ${key} must be true or false, not ${describe(v)}`);
  return v;
}

/**
 * JSON arguments typed as RabbitMQ types them (rabbit_misc:to_amqp_table): integers as long ('l'), other
 * numbers as double, strings as longstr, booleans as bool, arrays and objects nested; keys sorted, as
 * the Erlang map they pass through sorts them. null is refused, as RabbitMQ refuses it.
 */
function args(o: Obj, what: string): FieldTable {
  const v = o.arguments;
  if (v === undefined || v === null) return new Map();
  if (!isObject(v)) throw new DefinitionsError(`${what}: arguments must be an object, not ${describe(v)}`);
  try {
    return tableOfJson(v);
  } catch (err) {
    throw new DefinitionsError(`${what}: ${(err as Error).message}`);
  }
}

function tableOfJson(o: Obj): FieldTable {
  const t: FieldTable = new Map();
  for (const k of Object.keys(o).sort()) {
    try {
      t.set(k, fieldOfJson(o[k]));
    } catch (err) {
      throw new Error(`argument '${k}': ${(err as Error).message}`);
    }
  }
  return t;
}

function fieldOfJson(v: unknown): Field {
  switch (typeof v) {
    case 'string':
      return { type: 'S', value: v };
    case 'boolean':
      return { type: 't', value: v };
    case 'number':
      if (Number.isInteger(v)) {
        if (Math.abs(v) >= 2 ** 63) throw new Error(`${v} is too large for a 64-bit integer`);
        return { type: 'l', value: BigInt(v) };
      }
      return { type: 'd', value: v };
  }
  if (Array.isArray(v)) return { type: 'A', value: v.map(fieldOfJson) };
  if (isObject(v)) return { type: 'F', value: tableOfJson(v) };
  throw new Error(`${describe(v)} is not allowed in arguments`);
}

function applying(what: string, f: () => void): void {
  try {
    f();
  } catch (err) {
    const text = err instanceof AmqpError ? err.replyText : (err as Error).message;
    throw new DefinitionsError(`could not import ${what}: ${text}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return erlangTerm(v);
}
