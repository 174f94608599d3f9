// Who is calling the management API and what their user tags let them do, as in RabbitMQ:
// management (own vhosts), policymaker (+ policies there), monitoring (read everything),
// administrator (everything). A user with none of these tags cannot use the API at all.
import type { Broker } from '../broker/broker.js';
import type { User } from '../broker/users.js';
import { HttpError, loginFailed, noCredentials, notAuthorised } from './http-error.js';

export type Level = 'management' | 'policymaker' | 'monitoring' | 'administrator';

export class Principal {
  readonly admin: boolean;
  readonly monitoring: boolean;
  readonly policymaker: boolean;

  constructor(
    private readonly broker: Broker,
    readonly user: User,
  ) {
    const tags = new Set(user.tags);
    this.admin = tags.has('administrator');
    this.monitoring = this.admin || tags.has('monitoring');
    this.policymaker = this.admin || tags.has('policymaker');
  }

  get name(): string {
    return this.user.name;
  }

  has(level: Level): boolean {
    switch (level) {
      case 'management':
        return true;
      case 'policymaker':
        return this.policymaker;
      case 'monitoring':
        return this.monitoring;
      case 'administrator':
        return this.admin;
    }
  }

  require(level: Level): void {
    if (this.has(level)) return;
    throw notAuthorised(
      level === 'monitoring' ? 'Not monitor user' : level === 'policymaker' ? 'User not authorised to access object' : 'Not administrator user',
    );
  }

  /** Whether the user's lists show the vhost's objects (monitoring users see all; others where they have permissions). */
  sees(vhost: string): boolean {
    return this.monitoring || this.broker.permission(vhost, this.user.name) !== undefined;
  }

  /** Addressing a vhost in the path needs permissions there, except for administrators (as RabbitMQ). */
  requireVhostAccess(vhost: string): void {
    if (this.admin || this.broker.permission(vhost, this.user.name) !== undefined) return;
    throw notAuthorised('User not authorised to access virtual host');
  }
}

const MANAGEMENT_TAGS = new Set(['administrator', 'monitoring', 'policymaker', 'management']);

/** The caller from an Authorization: Basic header; 401 when missing, wrong, or not a management user. */
export function authenticate(broker: Broker, header: string | undefined): Principal {
  if (header === undefined || header === '') throw noCredentials();
  const m = /^basic\s+(\S*)\s*$/i.exec(header);
  if (!m) throw loginFailed();
  // A Basic header that does not decode to user:password is malformed: 400 without a body.
  const malformed = new HttpError(400, 'bad_request', '', { empty: true });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(m[1])) throw malformed;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed;
  const user = broker.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
  if (!user) throw loginFailed();
  if (!user.tags.some((t) => MANAGEMENT_TAGS.has(t))) throw notAuthorised('Not management user');
  return new Principal(broker, user);
}
