// Consistent-hash exchange (x-consistent-hash, RabbitMQ's rabbitmq_consistent_hash_exchange plugin).
//
// A binding's key is its weight: a positive integer. Each message goes to exactly one destination,
// chosen by hashing the message's routing key — or, when the exchange says so, the value of one of its
// headers (argument hash-header) or one of its properties (hash-property: message_id, correlation_id
// or timestamp). The same value always reaches the same destination, destinations receive shares in
// proportion to their weights, and adding a destination takes over only its own share of the values.
//
// What RabbitMQ 3.10 does, and Warren copies:
//  - A destination is on the ring once, with the weight of the binding that put it there: binding a
//    queue a second time (another weight or other arguments) adds a binding but no share. Removing any
//    binding to a destination takes the destination off the ring, even while another binding to it
//    remains (that one routes nothing until the destination is bound afresh).
//  - A message without the header or property still routes: every such message goes to one destination.
//  - Only the routing key the message was published with is hashed (not its CC/BCC keys, nor the key an
//    exchange-to-exchange hop passes on: it is the same key).
// Where Warren differs, unobservably: RabbitMQ 3.10 numbers buckets in binding order and picks one
// by jump consistent hashing; Warren places points on a 32-bit ring from the destination's identity,
// so the placement does not depend on binding order and removing a destination moves only its keys.
import { stringOf, type Field, type FieldTable } from '../../amqp/field-table.js';
import { propertyOffset, shortstrPropertyOf } from '../../amqp/properties.js';
import { BasicPropertyFlag } from '../../amqp/spec.js';
import type { Binding, Destination } from '../binding.js';
import { ChannelCrash, precondition } from '../errors.js';
import type { Router } from '../exchange.js';
import type { Message } from '../message.js';

// ---- hashing: murmur3-style 32-bit mixing over UTF-16 code units or bytes, no allocation ----

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a string's length and UTF-16 code units, two per 32-bit word. */
function mixString(h: number, s: string): number {
  const n = s.length;
  h = mix(h, n);
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
  return h;
}

function mixBytes(h: number, b: Buffer): number {
  const n = b.length;
  h = mix(h, n);
  let i = 0;
  for (; i + 3 < n; i += 4) h = mix(h, b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
  let k = 0;
  for (let s = 0; i < n; i++, s += 8) k |= b[i] << s;
  return mix(h, k);
}

const f64 = new Float64Array(1);
const f64words = new Uint32Array(f64.buffer);

function mixNumber(h: number, v: number): number {
  f64[0] = v;
  return mix(mix(h, f64words[0]), f64words[1]);
}

/** A header value, wire type included: as in RabbitMQ, the string "5" and the integer 5 hash apart. */
function mixField(h: number, f: Field): number {
  h = mix(h, f.type.charCodeAt(0));
  switch (f.type) {
    case 'S':
      return typeof f.value === 'string' ? mixString(h, f.value) : mixBytes(h, f.value);
    case 'x':
      return mixBytes(h, f.value);
    case 't':
      return mix(h, f.value ? 1 : 0);
    case 'l':
      return mixString(h, f.value.toString());
    case 'D':
      return mix(mix(h, f.value.scale), f.value.value);
    case 'A':
      h = mix(h, f.value.length);
      for (const e of f.value) h = mixField(h, e);
      return h;
    case 'F':
      h = mix(h, f.value.size);
      for (const [k, v] of f.value) h = mixField(mixString(h, k), v);
      return h;
    case 'V':
      return h;
    default:
      return mixNumber(h, f.value);
  }
}

const KEY_SEED = 0x2b7e1516;
const POINT_SEED = 0x6a09e667;
/** The hash of "no value" (header or property absent): all such messages go one way. */
const ABSENT_HASH = fmix(mix(KEY_SEED, 0x7fffffff));

/** The ring position of a string (routing key, message_id, ...). */
export function hashString(s: string): number {
  return fmix(mixString(KEY_SEED, s));
}

export function hashField(f: Field): number {
  return fmix(mixField(KEY_SEED, f));
}

// ---- the ring ----

/** Points per unit of weight: enough that weight-1 destinations get even shares (±~8%). */
export const POINTS_PER_WEIGHT = 160;
/** Above this many points the weights are scaled down together (proportions kept, memory bounded). */
export const MAX_POINTS = 1 << 20;
const OWNER_BITS = 2 ** 21;

interface Member<T> {
  owner: T;
  id: string;
  weight: number;
}

/**
 * Owners placed on a 32-bit ring: each gets points in proportion to its weight, each point hashed
 * from the owner's id and the point's index, so an owner's points do not depend on the others. A hash
 * belongs to the owner of the first point at or after it (clockwise). Built lazily after changes;
 * lookup is a binary search over a sorted Uint32Array.
 */
export class HashRing<T> {
  private readonly members = new Map<T, Member<T>>();
  private dirty = false;
  private points = new Uint32Array(0);
  private pointOwners: T[] = [];

  get size(): number {
    return this.members.size;
  }

  has(owner: T): boolean {
    return this.members.has(owner);
  }

  /** Adds an owner, or changes its weight. id identifies it stably (same id, same points). */
  set(owner: T, id: string, weight: number): void {
    this.members.set(owner, { owner, id, weight });
    this.dirty = true;
  }

  delete(owner: T): boolean {
    if (!this.members.delete(owner)) return false;
    this.dirty = true;
    return true;
  }

  /** Number of points on the ring (after any pending rebuild). */
  get pointCount(): number {
    if (this.dirty) this.rebuild();
    return this.points.length;
  }

  lookup(hash: number): T | undefined {
    if (this.dirty) this.rebuild();
    const points = this.points;
    const n = points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.pointOwners[lo === n ? 0 : lo];
  }

  private rebuild(): void {
    this.dirty = false;
    const members = [...this.members.values()];
    let totalWeight = 0;
    for (const m of members) totalWeight += m.weight;
    const perWeight = Math.min(POINTS_PER_WEIGHT, MAX_POINTS / Math.max(totalWeight, 1));
    const counts = members.map((m) => Math.max(1, Math.floor(m.weight * perWeight)));
    let total = 0;
    for (const c of counts) total += c;
    // Each point packed as hash * 2^21 + member index (exact in a double), so one numeric sort of a
    // Float64Array orders points by hash and ties by member.
    if (members.length > OWNER_BITS) throw new RangeError('too many destinations on one consistent-hash exchange');
    const packed = new Float64Array(total);
    let k = 0;
    for (let i = 0; i < members.length; i++) {
      const base = mixString(POINT_SEED, members[i].id);
      for (let j = 0; j < counts[i]; j++) packed[k++] = fmix(mix(base, j)) * OWNER_BITS + i;
    }
    packed.sort();
    const points = new Uint32Array(total);
    const owners = new Array<T>(total);
    for (let p = 0; p < total; p++) {
      const v = packed[p];
      const index = v % OWNER_BITS;
      points[p] = (v - index) / OWNER_BITS;
      owners[p] = members[index].owner;
    }
    this.points = points;
    this.pointOwners = owners;
  }
}

// ---- validation, with RabbitMQ's reply texts ----

const PROPERTIES = new Set(['correlation_id', 'message_id', 'timestamp']);


/**
 * Checks the arguments of a consistent-hash exchange being created (not when an existing one is
 * redeclared: RabbitMQ validates only on creation).
 */
export function validateConsistentHashArguments(args: FieldTable): void {
  const header = args.get('hash-header');
  const property = args.get('hash-property');
  if ((header && header.type !== 'S') || (property && property.type !== 'S')) throw new ChannelCrash();
  if (header && property) throw precondition('hash-header and hash-property are mutually exclusive');
  if (property) {
    const p = stringOf(property)!;
    if (!PROPERTIES.has(p)) throw precondition(`Unsupported property: ${p}`);
  }
}

/** Where in RabbitMQ's "~p" text the binding key starts (the column its line breaks indent to). */
const WEIGHT_TEXT = 'The binding key must be an integer: ';

/** The binding key as a weight; 406 as RabbitMQ answers a key that is not a positive integer. */
export function weightOf(key: string): number {
  if (!/^[+-]?[0-9]+$/.test(key)) throw precondition(WEIGHT_TEXT + erlangPrettyBinary(key, WEIGHT_TEXT.length));
  const w = Number(key);
  if (!(w >= 1)) throw precondition('The binding key must be greater than 0');
  return w;
}

const ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 34: '\\"', 92: '\\\\' };

/** Erlang's latin-1 printable set for ~p: printable ASCII, \b..\r, \e, and 160..255. */
const printableByte = (c: number): boolean => (c >= 0x20 && c <= 0x7e) || c >= 0xa0 || (c >= 8 && c <= 13) || c === 27;

/**
 * A binary as Erlang's io_lib:format("~p") prints it starting at column col: <<"text">> (escaped)
 * when every byte is latin-1 printable, otherwise <<1,2,3>> broken over lines of 80 columns, the
 * continuation lines indented to just after the "<<".
 */
export function erlangPrettyBinary(s: string, col: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length === 0) return '<<>>';
  if (bytes.every(printableByte)) {
    let out = '<<"';
    for (const ch of s) out += ESCAPES[ch.charCodeAt(0)] ?? ch;
    return out + '">>';
  }
  const indent = col + 2;
  let out = '<<';
  let at = indent;
  for (let i = 0; i < bytes.length; i++) {
    const e = String(bytes[i]);
    const last = i === bytes.length - 1;
    if (i > 0) {
      // The next element (with its comma, unless last) must end before column 80.
      if (at + 1 + e.length + (last ? 0 : 1) < 80) {
        out += ',';
        at += 1;
      } else {
        out += ',\n' + ' '.repeat(indent);
        at = indent;
      }
    }
    out += e;
    at += e.length;
  }
  return out + '>>';
}

// ---- the router ----

type HashOn = { kind: 'key' } | { kind: 'header'; name: string } | { kind: 'property'; flag: number; timestamp: boolean };

function hashOnOf(args: FieldTable): HashOn {
  const header = stringOf(args.get('hash-header'));
  if (header !== undefined) return { kind: 'header', name: header };
  switch (stringOf(args.get('hash-property'))) {
    case 'message_id':
      return { kind: 'property', flag: BasicPropertyFlag.MessageId, timestamp: false };
    case 'correlation_id':
      return { kind: 'property', flag: BasicPropertyFlag.CorrelationId, timestamp: false };
    case 'timestamp':
      return { kind: 'property', flag: BasicPropertyFlag.Timestamp, timestamp: true };
  }
  return { kind: 'key' };
}

const BY_KEY: HashOn = { kind: 'key' };

/** How a destination is known on the ring: its kind and name (stable across restarts). */
const idOf = (d: Destination): string => (d.kind === 'queue' ? 'q:' : 'x:') + d.name;

export class ConsistentHashRouter implements Router {
  /** Each destination on the ring, owned by the binding that put it there. */
  private readonly ring = new HashRing<Binding>();
  private readonly byDestination = new Map<Destination, Binding>();
  private hashOn: HashOn = BY_KEY;

  validate(b: Binding): void {
    weightOf(b.routingKey);
  }

  add(b: Binding): void {
    // The exchange's arguments come with its bindings (routers are made before the exchange).
    this.hashOn = hashOnOf(b.source.args);
    if (this.byDestination.has(b.destination)) return;
    this.byDestination.set(b.destination, b);
    this.ring.set(b, idOf(b.destination), weightOf(b.routingKey));
  }

  remove(b: Binding): void {
    const owner = this.byDestination.get(b.destination);
    if (!owner) return;
    this.byDestination.delete(b.destination);
    this.ring.delete(owner);
  }

  match(msg: Message, _routingKey: string, out: Binding[]): void {
    if (this.ring.size === 0) return;
    const b = this.ring.lookup(this.hashOf(msg));
    if (b) out.push(b);
  }

  private hashOf(msg: Message): number {
    const on = this.hashOn;
    switch (on.kind) {
      case 'key':
        return hashString(msg.routingKey);
      case 'header': {
        const f = msg.properties.headers?.get(on.name);
        return f === undefined ? ABSENT_HASH : hashField(f);
      }
      case 'property': {
        if (on.timestamp) {
          const raw = msg.rawProperties;
          const off = propertyOffset(raw, on.flag);
          if (off < 0) return ABSENT_HASH;
          // RabbitMQ hashes the timestamp as its decimal text, as it would a routing key.
          const hi = raw.readUInt32BE(off);
          const text = hi < 0x200000 ? String(hi * 2 ** 32 + raw.readUInt32BE(off + 4)) : raw.readBigUInt64BE(off).toString();
          return hashString(text);
        }
        const v = shortstrPropertyOf(msg.rawProperties, on.flag);
        return v === undefined ? ABSENT_HASH : hashString(v);
      }
    }
  }
}
