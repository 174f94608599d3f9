// Durable definitions (vhosts, users, permissions, exchanges, queues, bindings, policies) as an append-only journal in the data directory.
//
// File `definitions.log`: an 8-byte header, then records [u32 length][u32 CRC-32C of the JSON][JSON].
// Each change is written with a synchronous write() before the client hears declare-ok, so it survives
// a crash of the broker process (the page cache outlives the process); an fsync follows within
// SYNC_DELAY_MS, covering every change made meanwhile. At start the journal is replayed and, when it
// holds many superseded records, rewritten with only the live ones (write, fsync, rename).
// A torn or corrupt record at the end (a crash mid-write) is logged and cut off.
import { closeSync, existsSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Reader, Writer } from '../amqp/codec.js';
import type { FieldTable } from '../amqp/field-table.js';
import type { Binding } from '../broker/binding.js';
import type { Broker } from '../broker/broker.js';
import { isDurableBinding, type DefinitionsSink } from '../broker/definitions.js';
import type { Exchange } from '../broker/exchange.js';
import { parsePolicy, policyToJson, type Policy } from '../broker/policies.js';
import type { Queue } from '../broker/queue.js';
import { isHashingAlgorithm, type Permission, type User } from '../broker/users.js';
import type { VHost } from '../broker/vhost.js';
import type { Logger } from '../server/logger.js';
import { crc32c } from './crc32.js';

const FILE = 'definitions.log';
const MAGIC = Buffer.from('WRNDEF1\n');
const SYNC_DELAY_MS = 20;

type Record =
  | { op: 'exchange'; vhost: string; name: string; type: string; autoDelete: boolean; internal: boolean; args: string }
  | { op: 'exchange.delete'; vhost: string; name: string }
  | { op: 'queue'; vhost: string; name: string; id: number; autoDelete: boolean; args: string }
  /** access: the records that follow describe every vhost, user and permission (journals from before they were recorded lack it, and start from RabbitMQ's defaults) */
  | { op: 'meta'; nextQueueId: number; access?: boolean }
  | { op: 'queue.delete'; vhost: string; name: string }
  | { op: 'bind' | 'unbind'; vhost: string; source: string; destination: string; toQueue: boolean; key: string; args: string }
  /** policy: RabbitMQ's JSON shape of the policy (policyToJson), validated again when replayed. */
  | { op: 'policy'; vhost: string; name: string; policy: ReturnType<typeof policyToJson> }
  | { op: 'policy.clear'; vhost: string; name: string }
  | { op: 'vhost'; name: string; description: string; tags: string[]; defaultQueueType: string; tracing: boolean }
  | { op: 'vhost.delete'; name: string }
  | { op: 'user'; name: string; passwordHash: string; hashingAlgorithm: string; tags: string[] }
  | { op: 'user.delete'; name: string }
  | { op: 'permission'; vhost: string; user: string; configure: string; write: string; read: string }
  | { op: 'permission.clear'; vhost: string; user: string };

/** Tables go to JSON as their exact wire bytes, so every field keeps its type. */
function tableToText(t: FieldTable): string {
  const w = new Writer();
  w.table(t);
  return w.take().toString('base64');
}

function tableFromText(s: string): FieldTable {
  const b = Buffer.from(s, 'base64');
  return new Reader().reset(b, 0, b.length).table();
}

export class DefinitionsStore implements DefinitionsSink {
  private fd: number;
  private records = 0;
  /** Storage number for the next durable queue; never reused, so old message records cannot match a new queue. */
  private nextQueueId = 1;
  private syncTimer: NodeJS.Timeout | null = null;
  /** Whether the directory entry of the journal is known to be on disk. */
  private dirSynced = true;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly doSync: boolean,
  ) {
    this.fd = -1;
  }

  /** Opens the journal in dir, replays it into broker, and from then on records every durable change. */
  static open(dir: string, broker: Broker, log: Logger, sync = true): DefinitionsStore {
    mkdirSync(dir, { recursive: true });
    const store = new DefinitionsStore(dir, log, sync);
    const path = join(dir, FILE);
    const records = existsSync(path) ? store.read(path) : [];
    for (const r of records) {
      try {
        store.apply(broker, r);
      } catch (err) {
        log.warn(`${path}: could not restore ${JSON.stringify(r)}: ${(err as Error).message}`);
      }
    }
    store.records = records.length;
    const live: Record[] = [{ op: 'meta', nextQueueId: store.nextQueueId, access: true }, ...liveRecords(broker)];
    if (records.length === 0) store.create(live);
    else if (records.length > 2 * live.length + 100) store.rewrite(live);
    else store.fd = openSync(path, 'a');
    broker.definitions = store;
    return store;
  }

  /** The valid records of the journal; cuts off a torn or corrupt tail. */
  private read(path: string): Record[] {
    const buf = readFileSync(path);
    // A journal cut short while it was being created (a crash before its first sync) holds nothing.
    if (buf.length <= MAGIC.length && buf.equals(MAGIC.subarray(0, buf.length))) return [];
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new Error(`${path} is not a Warren definitions journal`);
    }
    const out: Record[] = [];
    let off = MAGIC.length;
    while (off < buf.length) {
      const ok = off + 8 <= buf.length && off + 8 + buf.readUInt32BE(off) <= buf.length;
      const len = ok ? buf.readUInt32BE(off) : 0;
      if (!ok || crc32c(buf, off + 8, off + 8 + len) !== buf.readUInt32BE(off + 4)) {
        this.log.warn(`${path}: torn or corrupt record at byte ${off} (of ${buf.length}); definitions after it are dropped`);
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, off);
        fsyncSync(fd);
        closeSync(fd);
        break;
      }
      out.push(JSON.parse(buf.toString('utf8', off + 8, off + 8 + len)) as Record);
      off += 8 + len;
    }
    return out;
  }

  private apply(broker: Broker, r: Record): void {
    switch (r.op) {
      case 'meta':
        if (r.nextQueueId > this.nextQueueId) this.nextQueueId = r.nextQueueId;
        if (r.access) broker.resetAccess(false);
        return;
      case 'vhost':
        broker.addVhost(r.name, { description: r.description, tags: r.tags, defaultQueueType: r.defaultQueueType, tracing: r.tracing });
        return;
      case 'vhost.delete':
        broker.deleteVhost(r.name);
        return;
      case 'user':
        if (!isHashingAlgorithm(r.hashingAlgorithm)) throw new Error(`unknown hashing algorithm ${r.hashingAlgorithm}`);
        broker.putUser({ name: r.name, passwordHash: r.passwordHash, hashingAlgorithm: r.hashingAlgorithm, tags: r.tags });
        return;
      case 'user.delete':
        broker.deleteUser(r.name);
        return;
      case 'permission':
        broker.setPermission({ vhost: r.vhost, user: r.user, configure: r.configure, write: r.write, read: r.read });
        return;
      case 'permission.clear':
        broker.clearPermission(r.vhost, r.user);
        return;
    }
    const vh = broker.vhosts.get(r.vhost);
    if (!vh) return;
    switch (r.op) {
      case 'exchange':
        vh.declareExchange(r.name, r.type, false, true, r.autoDelete, r.internal, tableFromText(r.args));
        return;
      case 'exchange.delete':
        if (vh.exchanges.has(r.name)) vh.deleteExchange(r.name, false);
        return;
      case 'queue': {
        const q = vh.declareQueue(r.name, false, true, false, r.autoDelete, tableFromText(r.args), 0).queue;
        q.storeId = r.id;
        if (r.id >= this.nextQueueId) this.nextQueueId = r.id + 1;
        return;
      }

      case 'queue.delete':
        vh.deleteQueue(r.name, false, false, 0);
        return;
      case 'bind':
        vh.bind(r.source, r.destination, r.toQueue, r.key, tableFromText(r.args), 0);
        return;
      case 'unbind':
        vh.unbind(r.source, r.destination, r.toQueue, r.key, tableFromText(r.args), 0);
        return;
      case 'policy':
        vh.setPolicy(parsePolicy(r.vhost, r.name, r.policy));
        return;
      case 'policy.clear':
        vh.clearPolicy(r.name);
        return;
    }
  }

  /**
   * A new journal (new data dir): written in place, synced with the next change's sync. Nothing in it
   * matters before a durable definition is recorded, so start-up does not wait for the disk.
   */
  private create(records: Record[]): void {
    this.dirSynced = false;
    this.fd = openSync(join(this.dir, FILE), 'w');
    writeSync(this.fd, MAGIC);
    for (const r of records) writeSync(this.fd, frame(r));
    this.records = records.length;
    this.scheduleSync();
  }

  /** Replaces the journal with just the given records, atomically. */
  private rewrite(records: Record[]): void {
    const path = join(this.dir, FILE);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, MAGIC);
    for (const r of records) writeSync(fd, frame(r));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    const dirFd = openSync(this.dir, 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = openSync(path, 'a');
    this.records = records.length;
  }

  private append(r: Record): void {
    if (this.closed) return;
    writeSync(this.fd, frame(r));
    this.records++;
    this.scheduleSync();
  }

  private scheduleSync(): void {
    if (!this.doSync || this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (this.closed) return;
      fsync(this.fd, () => {});
      if (!this.dirSynced) {
        // the journal's directory entry, once, so the file itself survives a power loss
        this.dirSynced = true;
        const dirFd = openSync(this.dir, 'r');
        fsync(dirFd, () => closeSync(dirFd));
      }
    }, SYNC_DELAY_MS);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.doSync) {
      fsyncSync(this.fd);
      if (!this.dirSynced) {
        const dirFd = openSync(this.dir, 'r');
        fsyncSync(dirFd);
        closeSync(dirFd);
      }
    }
    closeSync(this.fd);
  }

  // ---- DefinitionsSink ----

  exchangeDeclared(x: Exchange): void {
    this.append(exchangeRecord(x));
  }

  exchangeDeleted(x: Exchange): void {
    this.append({ op: 'exchange.delete', vhost: x.vhost, name: x.name });
  }

  queueDeclared(q: Queue): void {
    q.storeId = this.nextQueueId++;
    this.append(queueRecord(q));
  }

  queueDeleted(q: Queue): void {
    this.append({ op: 'queue.delete', vhost: q.vhost, name: q.name });
  }

  bindingAdded(b: Binding): void {
    this.append(bindingRecord('bind', b));
  }

  bindingRemoved(b: Binding): void {
    this.append(bindingRecord('unbind', b));
  }

  policySet(p: Policy): void {
    this.append(policyRecord(p));
  }

  policyCleared(vhost: string, name: string): void {
    this.append({ op: 'policy.clear', vhost, name });
  }

  vhostPut(vh: VHost): void {
    this.append(vhostRecord(vh));
  }

  vhostDeleted(name: string): void {
    this.append({ op: 'vhost.delete', name });
  }

  userPut(u: User): void {
    this.append(userRecord(u));
  }

  userDeleted(name: string): void {
    this.append({ op: 'user.delete', name });
  }

  permissionSet(p: Permission): void {
    this.append(permissionRecord(p));
  }

  permissionCleared(vhost: string, user: string): void {
    this.append({ op: 'permission.clear', vhost, user });
  }
}

function vhostRecord(vh: VHost): Record {
  const m = vh.metadata;
  return { op: 'vhost', name: vh.name, description: m.description, tags: m.tags, defaultQueueType: m.defaultQueueType, tracing: m.tracing };
}

function userRecord(u: User): Record {
  return { op: 'user', name: u.name, passwordHash: u.passwordHash, hashingAlgorithm: u.hashingAlgorithm, tags: u.tags };
}

function permissionRecord(p: Permission): Record {
  return { op: 'permission', vhost: p.vhost, user: p.user, configure: p.configure, write: p.write, read: p.read };
}

function frame(r: Record): Buffer {
  const json = Buffer.from(JSON.stringify(r));
  const b = Buffer.allocUnsafe(8 + json.length);
  b.writeUInt32BE(json.length, 0);
  b.writeUInt32BE(crc32c(json), 4);
  json.copy(b, 8);
  return b;
}

function exchangeRecord(x: Exchange): Record {
  return { op: 'exchange', vhost: x.vhost, name: x.name, type: x.type, autoDelete: x.autoDelete, internal: x.internal, args: tableToText(x.args) };
}

function queueRecord(q: Queue): Record {
  return { op: 'queue', vhost: q.vhost, name: q.name, id: q.storeId, autoDelete: q.autoDelete, args: tableToText(q.args) };
}

function policyRecord(p: Policy): Record {
  return { op: 'policy', vhost: p.vhost, name: p.name, policy: policyToJson(p) };
}

function bindingRecord(op: 'bind' | 'unbind', b: Binding): Record {
  return {
    op,
    vhost: b.source.vhost,
    source: b.source.name,
    destination: b.destination.name,
    toQueue: b.destination.kind === 'queue',
    key: b.routingKey,
    args: tableToText(b.args),
  };
}

/**
 * The durable definitions the broker holds now, in an order that replays (exchanges, queues, bindings,
 * then policies, which setPolicy applies to the objects already there).
 */
function liveRecords(broker: Broker): Record[] {
  const out: Record[] = [];
  for (const vh of broker.vhosts.values()) out.push(vhostRecord(vh));
  for (const u of broker.users.values()) out.push(userRecord(u));
  for (const perVhost of broker.permissions.values()) for (const p of perVhost.values()) out.push(permissionRecord(p));
  for (const vh of broker.vhosts.values()) {
    for (const x of vh.exchanges.values()) {
      if (x.durable && x.name !== '' && !x.name.startsWith('amq.')) out.push(exchangeRecord(x));
    }
    for (const q of vh.queues.values()) if (q.durable) out.push(queueRecord(q));
    for (const x of vh.exchanges.values()) {
      for (const b of x.bindings) if (isDurableBinding(b)) out.push(bindingRecord('bind', b));
    }
    for (const p of vh.policies.list()) out.push(policyRecord(p));
  }
  return out;
}
