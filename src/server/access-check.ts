// Permission checks of one connection, where RabbitMQ makes them: configure to declare or delete,
// write to publish to an exchange or bind to a destination, read to consume, get, purge or bind
// from a source. A refusal is a channel error 403 with RabbitMQ's text.
import type { Broker } from '../broker/broker.js';
import { accessRefused } from '../broker/errors.js';
import type { AccessKind, VhostAccess } from '../broker/users.js';

export class AccessCheck {
  private version = -1;
  private access: VhostAccess | undefined;
  /** The exchange last published to with write permission: the per-publish check is one comparison. */
  private writable: string | null = null;

  constructor(
    private readonly broker: Broker,
    readonly vhost: string,
    readonly user: string,
  ) {}

  private current(): VhostAccess | undefined {
    if (this.version !== this.broker.accessVersion) {
      this.version = this.broker.accessVersion;
      this.access = this.broker.access(this.vhost, this.user);
      this.writable = null;
    }
    return this.access;
  }

  /** Whether the user has any permission entry on the vhost (connection.open needs one). */
  mayOpen(): boolean {
    return this.current() !== undefined;
  }

  queue(kind: AccessKind, name: string): void {
    this.check(kind, 'queue', name);
  }

  exchange(kind: AccessKind, name: string): void {
    // Permissions name the default exchange amq.default, as RabbitMQ does.
    this.check(kind, 'exchange', name === '' ? 'amq.default' : name);
  }

  publish(exchange: string): void {
    if (exchange === this.writable && this.version === this.broker.accessVersion) return;
    this.exchange('write', exchange);
    this.writable = exchange;
  }

  /** queue.declare: configure on the queue; with a dead-letter exchange also read on the queue and write on the exchange. */
  readonly declareQueue = (name: string, deadLetterExchange: string | undefined): void => {
    this.queue('configure', name);
    if (deadLetterExchange !== undefined) {
      this.queue('read', name);
      this.exchange('write', deadLetterExchange);
    }
  };

  private check(kind: AccessKind, resource: 'queue' | 'exchange', name: string): void {
    if (this.current()?.allows(kind, name)) return;
    throw accessRefused(`access to ${resource} '${name}' in vhost '${this.vhost}' refused for user '${this.user}'`);
  }
}
