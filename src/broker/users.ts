// Users and their passwords, kept as RabbitMQ keeps them so definitions move between the two brokers:
// password_hash = base64(salt(4 bytes) ++ H(salt ++ utf8 password)), H named by hashing_algorithm.
import type { Hash } from 'node:crypto';
import { randomBytes } from './random.js';

export type HashingAlgorithm = 'rabbit_password_hashing_sha256' | 'rabbit_password_hashing_sha512' | 'rabbit_password_hashing_md5';

export const DEFAULT_HASHING: HashingAlgorithm = 'rabbit_password_hashing_sha256';

const DIGESTS: Record<HashingAlgorithm, string> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

export function isHashingAlgorithm(s: string): s is HashingAlgorithm {
  return Object.hasOwn(DIGESTS, s);
}

/** The user tags the management API knows (others are kept, as RabbitMQ does, and grant nothing). */
export const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

export interface User {
  readonly name: string;
  /** base64; '' means no password: the user cannot log in with one (RabbitMQ's passwordless users). */
  passwordHash: string;
  /** One of HashingAlgorithm to log in; any other name is kept as given (RabbitMQ stores it unchecked). */
  hashingAlgorithm: string;
  tags: string[];
}

// node:crypto is loaded on first use rather than at start-up (it costs milliseconds there).
let createHash: ((algorithm: string) => Hash) | null = null;

function digest(algorithm: HashingAlgorithm, salt: Buffer, password: string): Buffer {
  createHash ??= process.getBuiltinModule('node:crypto').createHash;
  return createHash(DIGESTS[algorithm]).update(salt).update(password, 'utf8').digest();
}

export function hashPassword(password: string, algorithm: HashingAlgorithm = DEFAULT_HASHING, salt = randomBytes(4)): string {
  return Buffer.concat([salt, digest(algorithm, salt, password)]).toString('base64');
}

export function newUser(name: string, password: string | null, tags: string[]): User {
  return { name, passwordHash: password === null ? '' : hashPassword(password), hashingAlgorithm: DEFAULT_HASHING, tags };
}

export function passwordMatches(user: User, password: string): boolean {
  if (user.passwordHash === '' || !isHashingAlgorithm(user.hashingAlgorithm)) return false;
  const stored = Buffer.from(user.passwordHash, 'base64');
  if (stored.length <= 4) return false;
  const salt = stored.subarray(0, 4);
  const expected = digest(user.hashingAlgorithm, salt, password);
  return expected.length === stored.length - 4 && expected.equals(stored.subarray(4));
}

/** Tags as the management API and rabbitmqctl give them: an array, or one comma-separated string. */
export function parseTags(tags: unknown): string[] {
  const list = Array.isArray(tags) ? tags.map(String) : typeof tags === 'string' ? tags.split(',') : [];
  return list.map((t) => t.trim()).filter((t) => t !== '');
}

/** A user's configure/write/read regular expressions in one vhost. */
export interface Permission {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export type AccessKind = 'configure' | 'write' | 'read';

/** The compiled form a connection checks against. An empty pattern grants nothing, as in RabbitMQ. */
export class VhostAccess {
  private readonly patterns: Record<AccessKind, RegExp | null>;

  constructor(readonly permission: Permission) {
    this.patterns = {
      configure: compilePattern(permission.configure),
      write: compilePattern(permission.write),
      read: compilePattern(permission.read),
    };
  }

  allows(kind: AccessKind, resource: string): boolean {
    const re = this.patterns[kind];
    return re !== null && re.test(resource);
  }
}

/** RabbitMQ matches with an unanchored PCRE search; the empty pattern is special-cased to match nothing. */
function compilePattern(pattern: string): RegExp | null {
  if (pattern === '') return null;
  return new RegExp(pattern);
}

/** Whether a permission pattern compiles; the reason when not (management API: 400). */
export function invalidPattern(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
