// The broker model as a whole: virtual hosts, users and their permissions. The server (wire protocol),
// storage and management all reach the model through this object.
import type { DefinitionsSink } from './definitions.js';
import type { MessagePager } from './message-pager.js';
import type { MessageStorage } from './message-storage.js';
import { GlobalStats } from './stats.js';
import { newUser, passwordMatches, VhostAccess, type Permission, type User } from './users.js';
import { VHost, type VHostMetadata } from './vhost.js';

export interface BrokerOptions {
  /** Users who may connect only from the loopback interface (RabbitMQ's loopback_users). */
  loopbackUsers?: string[];
}

/** Told when access changes under open connections (the AMQP server closes the affected ones). */
export interface AccessListener {
  vhostDeleted(name: string): void;
  userDeleted(name: string): void;
}

/** Full access, as the default user has on the default vhost. */
const ALL = '.*';

export class Broker {
  readonly vhosts = new Map<string, VHost>();
  readonly users = new Map<string, User>();
  /** vhost → user → permission */
  readonly permissions = new Map<string, Map<string, Permission>>();
  readonly loopbackUsers: Set<string>;
  /** Where new vhosts keep durable state; set by start-up before any vhost but '/' exists. */
  storage: MessageStorage | null = null;
  pager: MessagePager | null = null;
  private definitionsSink: DefinitionsSink | null = null;
  readonly accessListeners: AccessListener[] = [];
  /** Broker-wide message counters, shared by every vhost. */
  readonly stats = new GlobalStats();
  /** Bumped on every change to users or permissions, so connections can cache their checks. */
  accessVersion = 0;
  private readonly compiled = new WeakMap<Permission, VhostAccess>();

  constructor(options: BrokerOptions = {}) {
    this.loopbackUsers = new Set(options.loopbackUsers ?? ['guest']);
    this.resetAccess();
  }

  /**
   * RabbitMQ's initial state on an empty data dir: vhost '/', user guest/guest (administrator) with
   * every permission on it. Storage replaying a journal that records access from the start calls
   * this with defaults=false and rebuilds the rest from the journal.
   */
  resetAccess(defaults = true): void {
    this.users.clear();
    this.permissions.clear();
    if (!defaults) {
      for (const name of [...this.vhosts.keys()]) this.deleteVhost(name);
      return;
    }
    if (!this.vhosts.has('/')) this.addVhost('/');
    this.putUser(newUser('guest', 'guest', ['administrator']));
    this.setPermission({ user: 'guest', vhost: '/', configure: ALL, write: ALL, read: ALL });
  }

  get definitions(): DefinitionsSink | null {
    return this.definitionsSink;
  }

  set definitions(sink: DefinitionsSink | null) {
    this.definitionsSink = sink;
    for (const vh of this.vhosts.values()) vh.definitions = sink;
  }

  // ---- virtual hosts ----

  /** Creates a vhost, or updates the metadata of an existing one. */
  addVhost(name: string, metadata: Partial<VHostMetadata> = {}): VHost {
    let vh = this.vhosts.get(name);
    if (!vh) {
      vh = new VHost(name);
      vh.storage = this.storage;
      vh.pager = this.pager;
      vh.definitions = this.definitionsSink;
      vh.stats = this.stats;
      this.vhosts.set(name, vh);
    }
    Object.assign(vh.metadata, metadata);
    this.definitionsSink?.vhostPut(vh);
    return vh;
  }

  /** Deletes a vhost with everything in it; its connections are closed. False if there was none. */
  deleteVhost(name: string): boolean {
    const vh = this.vhosts.get(name);
    if (!vh) return false;
    for (const l of this.accessListeners) l.vhostDeleted(name);
    vh.deleteEverything();
    this.vhosts.delete(name);
    this.permissions.delete(name);
    this.accessVersion++;
    this.definitionsSink?.vhostDeleted(name);
    return true;
  }

  // ---- users and permissions ----

  putUser(user: User): void {
    this.accessVersion++;
    this.users.set(user.name, user);
    this.definitionsSink?.userPut(user);
  }

  /** Deletes a user, their permissions and their connections. False if there was none. */
  deleteUser(name: string): boolean {
    if (!this.users.delete(name)) return false;
    this.accessVersion++;
    for (const perVhost of this.permissions.values()) perVhost.delete(name);
    for (const l of this.accessListeners) l.userDeleted(name);
    this.definitionsSink?.userDeleted(name);
    return true;
  }

  setPermission(p: Permission): void {
    this.accessVersion++;
    let perVhost = this.permissions.get(p.vhost);
    if (!perVhost) this.permissions.set(p.vhost, (perVhost = new Map()));
    perVhost.set(p.user, p);
    this.definitionsSink?.permissionSet(p);
  }

  clearPermission(vhost: string, user: string): boolean {
    const removed = this.permissions.get(vhost)?.delete(user) ?? false;
    this.accessVersion++;
    if (removed) this.definitionsSink?.permissionCleared(vhost, user);
    return removed;
  }

  permission(vhost: string, user: string): Permission | undefined {
    return this.permissions.get(vhost)?.get(user);
  }

  /** What the user may do in the vhost now; undefined: no access at all. */
  access(vhost: string, user: string): VhostAccess | undefined {
    const p = this.permission(vhost, user);
    if (!p) return undefined;
    let a = this.compiled.get(p);
    if (!a) this.compiled.set(p, (a = new VhostAccess(p)));
    return a;
  }

  /** The user if the credentials are right, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const u = this.users.get(name);
    return u && passwordMatches(u, password) ? u : undefined;
  }
}
