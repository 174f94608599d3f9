// The broker model as a whole: virtual hosts and users. The server (wire protocol), storage and
// management all reach the model through this object.
import { VHost } from './vhost.js';

export interface User {
  name: string;
  password: string;
  tags: string[];
}

export interface BrokerOptions {
  /** Users who may connect only from the loopback interface (RabbitMQ's loopback_users). */
  loopbackUsers?: string[];
  users?: User[];
}

export class Broker {
  readonly vhosts = new Map<string, VHost>();
  readonly users = new Map<string, User>();
  readonly loopbackUsers: Set<string>;

  constructor(options: BrokerOptions = {}) {
    this.vhosts.set('/', new VHost('/'));
    for (const u of options.users ?? [{ name: 'guest', password: 'guest', tags: ['administrator'] }]) {
      this.users.set(u.name, u);
    }
    this.loopbackUsers = new Set(options.loopbackUsers ?? ['guest']);
  }

  /** The user if the credentials are right, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const u = this.users.get(name);
    return u && u.password === password ? u : undefined;
  }
}
