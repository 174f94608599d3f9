// Validation and equivalence of queue x-arguments, with RabbitMQ's rules and reply texts, so that a
// declaration RabbitMQ refuses is refused here with the same code.
import { integerOf, isIntegerField, stringOf, typeName, fieldsEqual, type Field, type FieldTable } from '../amqp/field-table.js';
import { precondition } from './errors.js';

type Check = (f: Field) => string | undefined; // returns RabbitMQ's error term, or undefined when valid

const unacceptable = (f: Field) => `{unacceptable_type,${typeName(f.type)}}`;

const nonNegativeInt: Check = (f) => {
  if (!isIntegerField(f)) return unacceptable(f);
  const v = integerOf(f)!;
  return v < 0 ? `{value_negative,${v}}` : undefined;
};

const positiveInt: Check = (f) => {
  if (!isIntegerField(f)) return unacceptable(f);
  const v = integerOf(f)!;
  if (v === 0) return `{value_zero,${v}}`;
  return v < 0 ? `{value_negative,${v}}` : undefined;
};

const MAX_TTL = 2 ** 32 - 1; // RabbitMQ's ceiling for TTL values, in milliseconds

const messageTtl: Check = (f) => {
  const bad = nonNegativeInt(f);
  if (bad) return bad;
  const v = integerOf(f)!;
  return v > MAX_TTL ? `{value_too_large,${v},${MAX_TTL}}` : undefined;
};

const expires: Check = (f) => {
  const bad = positiveInt(f);
  if (bad) return bad;
  const v = integerOf(f)!;
  return v > MAX_TTL ? `{value_too_large,${v},${MAX_TTL}}` : undefined;
};

const longstr: Check = (f) => (f.type === 'S' ? undefined : unacceptable(f));

const oneOf =
  (...allowed: string[]): Check =>
  (f) => {
    const s = stringOf(f);
    if (s === undefined) return unacceptable(f);
    return allowed.includes(s) ? undefined : `{unknown_${'value'},<<"${s}">>}`;
  };

const maxPriority: Check = (f) => {
  if (!isIntegerField(f)) return unacceptable(f);
  const v = integerOf(f)!;
  return v < 0 || v > 255 ? `{value_out_of_range,${v}}` : undefined;
};

const bool: Check = (f) => (f.type === 't' ? undefined : unacceptable(f));

const CHECKS: Record<string, Check> = {
  'x-expires': expires,
  'x-message-ttl': messageTtl,
  'x-dead-letter-exchange': longstr,
  'x-dead-letter-routing-key': longstr,
  'x-max-length': nonNegativeInt,
  'x-max-length-bytes': nonNegativeInt,
  'x-max-in-memory-length': nonNegativeInt,
  'x-max-in-memory-bytes': nonNegativeInt,
  'x-delivery-limit': nonNegativeInt,
  'x-max-priority': maxPriority,
  'x-overflow': oneOf('drop-head', 'reject-publish', 'reject-publish-dlx'),
  'x-queue-mode': oneOf('default', 'lazy'),
  'x-single-active-consumer': bool,
  'x-queue-type': oneOf('classic', 'quorum', 'stream'),
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
];

export function validateQueueArguments(args: FieldTable, what: string): void {
  for (const [key, f] of args) {
    const check = CHECKS[key];
    if (!check) continue;
    const bad = check(f);
    if (bad) throw precondition(`invalid arg '${key}' for ${what}: ${bad}`);
  }
}

/** Renders a field the way RabbitMQ's inequivalence message does: "the value '100' of type 'signedint'". */
function describe(f: Field | undefined): string {
  if (!f) return 'none';
  const v = f.type === 'S' ? stringOf(f) : f.type === 'l' ? f.value.toString() : JSON.stringify(f.value);
  return `the value '${v}' of type '${typeName(f.type)}'`;
}

export function assertQueueArgumentsEquivalent(current: FieldTable, received: FieldTable, what: string): void {
  for (const key of EQUIVALENCE_KEYS) {
    const a = current.get(key);
    const b = received.get(key);
    if (a === undefined && b === undefined) continue;
    if (a && b && (fieldsEqual(a, b) || (isIntegerField(a) && isIntegerField(b) && integerOf(a) === integerOf(b)))) continue;
    throw precondition(`inequivalent arg '${key}' for ${what}: received ${describe(b)} but current is ${describe(a)}`);
  }
}
