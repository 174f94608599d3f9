// Validation and equivalence of queue x-arguments, with RabbitMQ's rules and reply texts, so that a
// declaration RabbitMQ refuses is refused here with the same code.
import { integerOf, isIntegerField, stringOf, typeName, fieldsEqual, type Field, type FieldTable } from '../amqp/field-table.js';
import { precondition } from './errors.js';
import { MAX_TTL_MS } from './message.js';

/** Returns RabbitMQ's reason (an Erlang term, printed as RabbitMQ prints it), or undefined when valid. */
type Check = (f: Field, all: FieldTable) => string | undefined;

const unacceptable = (f: Field) => `{unacceptable_type,${typeName(f.type)}}`;
const notInteger = (f: Field) => `"expected integer, got ${typeName(f.type)}"`;

const nonNegativeInt: Check = (f) => {
  if (!isIntegerField(f)) return notInteger(f);
  const v = integerOf(f)!;
  return v < 0 ? `{value_negative,${v}}` : undefined;
};

const MAX_TTL = MAX_TTL_MS;

const messageTtl: Check = (f, all) => {
  const bad = nonNegativeInt(f, all);
  if (bad) return bad;
  const v = integerOf(f)!;
  return v > MAX_TTL ? `{value_too_large,${v}}` : undefined;
};

const expires: Check = (f, all) => {
  const bad = nonNegativeInt(f, all);
  if (bad) return bad;
  const v = integerOf(f)!;
  if (v === 0) return `{value_zero,0}`;
  return v > MAX_TTL ? `{value_too_large,${v}}` : undefined;
};

const longstr: Check = (f) => (f.type === 'S' ? undefined : unacceptable(f));

const deadLetterRoutingKey: Check = (f, all) => {
  if (f.type !== 'S') return unacceptable(f);
  return all.has('x-dead-letter-exchange') ? undefined : 'routing_key_but_no_dlx_defined';
};

const maxPriority: Check = (f, all) => {
  const bad = nonNegativeInt(f, all);
  if (bad) return bad;
  const v = integerOf(f)!;
  return v > 255 ? `{max_value_exceeded,${v}}` : undefined;
};

const overflow: Check = (f) => {
  const s = stringOf(f);
  if (s === undefined) return unacceptable(f);
  return ['drop-head', 'reject-publish', 'reject-publish-dlx'].includes(s) ? undefined : 'invalid_overflow';
};

const named =
  (what: string, allowed: string[]): Check =>
  (f) => {
    const s = stringOf(f);
    if (s === undefined) return unacceptable(f);
    return allowed.includes(s) ? undefined : `"unsupported ${what} '${s}'"`;
  };

const bool: Check = (f) => (f.type === 't' ? undefined : unacceptable(f));

const CHECKS: Record<string, Check> = {
  'x-expires': expires,
  'x-message-ttl': messageTtl,
  'x-dead-letter-exchange': longstr,
  'x-dead-letter-routing-key': deadLetterRoutingKey,
  'x-max-length': nonNegativeInt,
  'x-max-length-bytes': nonNegativeInt,
  'x-max-in-memory-length': nonNegativeInt,
  'x-max-in-memory-bytes': nonNegativeInt,
  'x-max-priority': maxPriority,
  'x-overflow': overflow,
  'x-queue-mode': named('queue mode', ['default', 'lazy']),
  'x-single-active-consumer': bool,
  'x-queue-type': named('queue type', ['classic', 'quorum', 'stream']),
};

/** Arguments whose difference makes a redeclaration inequivalent (RabbitMQ ignores the rest). */
const EQUIVALENCE_KEYS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-single-active-consumer',
  'x-queue-type',
  'x-delivery-limit',
];

export function validateQueueArguments(args: FieldTable, what: string): void {
  // RabbitMQ looks at the dead-letter exchange's type before anything else, with its own wording.
  const dlx = args.get('x-dead-letter-exchange');
  if (dlx && dlx.type !== 'S') throw precondition(`invalid type '${typeName(dlx.type)}' for arg 'x-dead-letter-exchange' in ${what}`);
  for (const [key, f] of args) {
    const check = CHECKS[key];
    if (!check) continue;
    const bad = check(f, args);
    if (bad) throw precondition(`invalid arg '${key}' for ${what}: ${bad}`);
  }
}

/** Renders a field the way RabbitMQ's inequivalence message does: "the value '100' of type 'signedint'". */
function describe(f: Field | undefined): string {
  return f ? `the value '${plain(f)}' of type '${typeName(f.type)}'` : 'none';
}

function plain(f: Field): string {
  if (f.type === 'S') return stringOf(f)!;
  if (f.type === 'l') return f.value.toString();
  return JSON.stringify(f.value);
}

/** Integers compare across widths, floats across precisions, as RabbitMQ's type classes do. */
function sameValue(a: Field, b: Field): boolean {
  if (isIntegerField(a) && isIntegerField(b)) return integerOf(a) === integerOf(b);
  if ((a.type === 'f' || a.type === 'd') && (b.type === 'f' || b.type === 'd')) return a.value === b.value;
  return fieldsEqual(a, b);
}

/** x-queue-type: classic is the default, so stating it equals leaving it out. */
function normalised(args: FieldTable, key: string): Field | undefined {
  const f = args.get(key);
  if (key === 'x-queue-type' && f && stringOf(f) === 'classic') return undefined;
  return f;
}

export function assertQueueArgumentsEquivalent(current: FieldTable, received: FieldTable, what: string): void {
  for (const key of EQUIVALENCE_KEYS) {
    const a = normalised(current, key);
    const b = normalised(received, key);
    if (a === undefined && b === undefined) continue;
    if (a && b && sameValue(a, b)) continue;
    // Reported as declared (a stated 'classic' is shown, though it equals leaving the type out).
    const ra = current.get(key);
    const rb = received.get(key);
    if (ra && rb) throw precondition(`inequivalent arg '${key}' for ${what}: received '${plain(rb)}' but current is '${plain(ra)}'`);
    throw precondition(`inequivalent arg '${key}' for ${what}: received ${describe(rb)} but current is ${describe(ra)}`);
  }
}

/** Arguments only one queue type takes; the other refuses them at declaration (RabbitMQ 3.10). */
const ONLY_CLASSIC = ['x-max-priority', 'x-queue-mode', 'x-queue-master-locator'];
const ONLY_QUORUM = ['x-delivery-limit', 'x-quorum-initial-group-size', 'x-dead-letter-strategy', 'x-max-in-memory-length', 'x-max-in-memory-bytes'];

/**
 * Rules of the queue type, checked before the argument values: arguments of the other type are
 * refused; a quorum queue is named by the client, durable, not exclusive, not auto-delete.
 */
export function validateQueueType(name: string, args: FieldTable, durable: boolean, exclusive: boolean, autoDelete: boolean, what: string): void {
  const quorum = stringOf(args.get('x-queue-type')) === 'quorum';
  const type = quorum ? 'rabbit_quorum_queue' : 'rabbit_classic_queue';
  for (const key of quorum ? ONLY_CLASSIC : ONLY_QUORUM) {
    if (args.has(key)) throw precondition(`invalid arg '${key}' for ${what} of queue type ${type}`);
  }
  if (!quorum) return;
  if (name === '') throw precondition(`Cannot declare a server-named queue for type ${type}`);
  if (autoDelete) throw precondition(`invalid property 'auto-delete' for ${what}`);
  if (exclusive) throw precondition(`invalid property 'exclusive-owner' for ${what}`);
  if (!durable) throw precondition(`invalid property 'non-durable' for ${what}`);
  const strategy = args.get('x-dead-letter-strategy');
  if (strategy && !['at-most-once', 'at-least-once'].includes(stringOf(strategy) ?? '')) {
    throw precondition(`invalid arg 'x-dead-letter-strategy' for ${what}: invalid_dlx_strategy`);
  }
}
