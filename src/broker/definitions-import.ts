// Loading a definitions file in RabbitMQ's JSON format (as `GET /api/definitions` or
// `rabbitmqctl export_definitions` write it): vhosts, users (with RabbitMQ's password hashes, so they
// log in with the same passwords), permissions, policies, queues, exchanges and bindings. Topic
// permissions and runtime parameters (shovels, federation) have no counterpart in Warren and are ignored.
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
import { hashPassword, invalidPattern, isHashingAlgorithm, parseTags, DEFAULT_HASHING, type Permission, type User } from './users.js';
import type { VHostMetadata } from './vhost.js';

/** A definitions file that cannot be imported; the message names the offending object. */
export class DefinitionsError extends Error {
  override name = 'DefinitionsError';
}

export interface ImportCounts {
  vhosts: number;
  users: number;
  permissions: number;
  exchanges: number;
  queues: number;
  bindings: number;
  policies: number;
}

interface ExchangeDef {
  what: string;
  /** vhost name */
  vh: string;
  name: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

interface QueueDef {
  what: string;
  /** vhost name */
  vh: string;
  name: string;
  durable: boolean;
  autoDelete: boolean;
  args: FieldTable;
}

interface BindingDef {
  what: string;
  /** vhost name */
  vh: string;
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
const IGNORED = new Set(['topic_permissions', 'parameters', 'global_parameters']);

/**
 * Imports a parsed definitions document into the broker. Objects may name vhosts the broker has or the
 * file creates (objects without a vhost, as in a per-vhost export, go to defaultVhost). Returns how many
 * of each kind the file held and the broker now has (already existing ones included; skipped ones not).
 * Users and permissions in the file replace those of the same name, as RabbitMQ's import does.
 */
export function importDefinitions(broker: Broker, json: unknown, log?: Logger, defaultVhost = '/'): ImportCounts {
  if (!isObject(json)) {
    throw new DefinitionsError(`definitions must be a JSON object as RabbitMQ's GET /api/definitions exports, not ${describe(json)}`);
  }
  for (const key of Object.keys(json)) {
    if (IGNORED.has(key)) log?.debug(`definitions: ignoring '${key}'`);
  }

  const newVhosts = new Map<string, Partial<VHostMetadata>>();
  for (const [i, v] of section(json, 'vhosts').entries()) {
    if (!isObject(v) || typeof v.name !== 'string') throw new DefinitionsError(`vhosts[${i}]: expected {"name": "..."}, not ${describe(v)}`);
    newVhosts.set(v.name, vhostMetadata(v, `vhost '${v.name}'`));
  }
  /** Objects are checked against the vhosts that will exist; they are applied once those are created. */
  const vhostOf = (o: Obj, what: () => string): string => {
    const name = o.vhost ?? defaultVhost;
    if (typeof name !== 'string') throw new DefinitionsError(`${what()}: vhost must be a string, not ${describe(name)}`);
    if (!broker.vhosts.has(name) && !newVhosts.has(name)) throw new DefinitionsError(`${what()}: ${noVhost(broker, name)}`);
    return name;
  };

  const users: User[] = [];
  for (const [i, u] of section(json, 'users').entries()) {
    const at = () => `users[${i}]`;
    const o = objectAt(u, at);
    users.push(userOf(o, str(o, 'name', at)));
  }
  const knownUsers = (name: string) => broker.users.has(name) || users.some((u) => u.name === name);

  const permissions: Permission[] = [];
  for (const [i, p] of section(json, 'permissions').entries()) {
    const at = () => `permissions[${i}]`;
    const o = objectAt(p, at);
    const user = str(o, 'user', at);
    const vhost = vhostOf(o, () => `permissions of user '${user}'`);
    const what = () => `permissions of user '${user}' in vhost '${vhost}'`;
    if (!knownUsers(user)) throw new DefinitionsError(`${what()}: no user '${user}'`);
    const perm = { user, vhost, configure: str(o, 'configure', what), write: str(o, 'write', what), read: str(o, 'read', what) };
    for (const kind of ['configure', 'write', 'read'] as const) {
      const bad = invalidPattern(perm[kind]);
      if (bad !== undefined) throw new DefinitionsError(`${what()}: ${kind} is not a valid regular expression: ${bad}`);
    }
    permissions.push(perm);
  }

  const policies: Policy[] = [];
  for (const [i, p] of section(json, 'policies').entries()) {
    const at = () => `policies[${i}]`;
    const o = objectAt(p, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `policy '${name}'`);
    try {
      policies.push(parsePolicy(vh, name, o));
    } catch (err) {
      if (err instanceof PolicyError) throw new DefinitionsError(`policy '${name}' in vhost '${vh}': ${err.message.trimEnd()}`);
      throw err;
    }
  }

  const queues: QueueDef[] = [];
  for (const [i, q] of section(json, 'queues').entries()) {
    const at = () => `queues[${i}]`;
    const o = objectAt(q, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `queue '${name}'`);
    const what = `queue '${name}' in vhost '${vh}'`;
    if (name === '') throw new DefinitionsError(`queues[${i}]: a queue name must not be empty`);
    queues.push({ what, vh, name, durable: bool(o, 'durable', what), autoDelete: bool(o, 'auto_delete', what), args: args(o, what) });
  }

  const exchanges: ExchangeDef[] = [];
  for (const [i, x] of section(json, 'exchanges').entries()) {
    const at = () => `exchanges[${i}]`;
    const o = objectAt(x, at);
    const name = str(o, 'name', at);
    const vh = vhostOf(o, () => `exchange '${name}'`);
    const what = `exchange '${name}' in vhost '${vh}'`;
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
    const what = `binding of ${type} '${destination}' to exchange '${source}' in vhost '${vh}'`;
    if (typeof key !== 'string') throw new DefinitionsError(`${what}: routing_key must be a string, not ${describe(key)}`);
    bindings.push({ what: `${what} with routing key '${key}'`, vh, source, destination, toQueue: type === 'queue', key, args: args(o, what) });
  }

  // Applied in RabbitMQ's order: users, vhosts, permissions, policies, queues, exchanges, bindings.
  const counts: ImportCounts = { vhosts: 0, users: 0, permissions: 0, exchanges: 0, queues: 0, bindings: 0, policies: 0 };
  for (const u of users) {
    broker.putUser(u);
    counts.users++;
  }
  for (const [name, metadata] of newVhosts) {
    broker.addVhost(name, metadata);
    counts.vhosts++;
  }
  for (const p of permissions) {
    broker.setPermission(p);
    counts.permissions++;
  }
  for (const p of policies) {
    broker.vhosts.get(p.vhost)!.setPolicy(p);
    counts.policies++;
  }
  for (const q of queues) {
    const vh = broker.vhosts.get(q.vh)!;
    if (q.name.startsWith('amq.')) {
      log?.warn(`definitions: skipping ${q.what}: names beginning with 'amq.' are reserved`);
      continue;
    }
    if (!vh.queues.has(q.name)) applying(q.what, () => vh.declareQueue(q.name, false, q.durable, false, q.autoDelete, q.args, 0));
    counts.queues++;
  }
  for (const x of exchanges) {
    const vh = broker.vhosts.get(x.vh)!;
    if (x.name === '' || x.name.startsWith('amq.')) {
      if (!vh.exchanges.has(x.name)) log?.warn(`definitions: skipping ${x.what}: names beginning with 'amq.' are reserved`);
      continue;
    }
    if (!vh.exchanges.has(x.name)) {
      applying(x.what, () => vh.declareExchange(x.name, x.type, false, x.durable, x.autoDelete, x.internal, x.args));
    }
    counts.exchanges++;
  }
  for (const b of bindings) {
    const vh = broker.vhosts.get(b.vh)!;
    const dest = b.toQueue ? vh.queues.get(b.destination) : vh.exchanges.get(b.destination);
    if (!vh.exchanges.has(b.source) || !dest) {
      const missing = !vh.exchanges.has(b.source) ? `exchange '${b.source}'` : `${b.toQueue ? 'queue' : 'exchange'} '${b.destination}'`;
      log?.warn(`definitions: skipping ${b.what}: no ${missing}`);
      continue;
    }
    applying(b.what, () => vh.bind(b.source, b.destination, b.toQueue, b.key, b.args, 0));
    counts.bindings++;
  }
  return counts;
}

/** A user as RabbitMQ exports it (password_hash, hashing_algorithm, tags), or with a plain password. */
export function userOf(o: Obj, name: string): User {
  const what = `user '${name}'`;
  const tags = parseTags(o.tags);
  if (typeof o.password === 'string') {
    return { name, passwordHash: hashPassword(o.password), hashingAlgorithm: DEFAULT_HASHING, tags };
  }
  const hash = o.password_hash ?? '';
  if (typeof hash !== 'string') throw new DefinitionsError(`${what}: password_hash must be a string, not ${describe(hash)}`);
  const algorithm = o.hashing_algorithm ?? DEFAULT_HASHING;
  if (typeof algorithm !== 'string' || !isHashingAlgorithm(algorithm)) {
    throw new DefinitionsError(
      `${what}: hashing_algorithm must be rabbit_password_hashing_sha256, rabbit_password_hashing_sha512 or rabbit_password_hashing_md5, not ${describe(algorithm)}`,
    );
  }
  if (hash !== '' && Buffer.from(hash, 'base64').length <= 4) throw new DefinitionsError(`${what}: password_hash is not a salted hash in base64`);
  return { name, passwordHash: hash, hashingAlgorithm: algorithm, tags };
}

/** A vhost's description, tags and default queue type, from RabbitMQ's export (3.10 puts some under metadata). */
function vhostMetadata(o: Obj, what: string): Partial<VHostMetadata> {
  const meta = isObject(o.metadata) ? o.metadata : {};
  const out: Partial<VHostMetadata> = {};
  const description = o.description ?? meta.description;
  if (description !== undefined) {
    if (typeof description !== 'string') throw new DefinitionsError(`${what}: description must be a string, not ${describe(description)}`);
    out.description = description;
  }
  const tags = o.tags ?? meta.tags;
  if (tags !== undefined) out.tags = parseTags(tags);
  const dqt = o.default_queue_type ?? meta.default_queue_type;
  if (dqt !== undefined && dqt !== 'undefined') {
    if (dqt !== 'classic' && dqt !== 'quorum') throw new DefinitionsError(`${what}: default_queue_type must be classic or quorum, not ${describe(dqt)}`);
    out.defaultQueueType = dqt;
  }
  if (typeof o.tracing === 'boolean') out.tracing = o.tracing;
  return out;
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

export function tableOfJson(o: Obj): FieldTable {
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
