// A small structural checker for JSON responses: it pins the field names and types a client relies on,
// not the values. A shape is built from the constructors in S; a plain object literal means "an object
// with at least these keys" (extra keys are fine), S.exact(...) means "exactly these keys".
//
//   assertShape(body, { name: S.string, durable: S.bool, arguments: S.object, policy: S.nullable(S.string) });
//
// Every mismatch is reported at once, each with its JSON path ($.items[0].name: expected string, got 3).
import { AssertionError } from 'node:assert';

export abstract class Shape {
  abstract describe(): string;
  /** Appends a message to errors for each way value does not fit. */
  abstract check(value: unknown, path: string, errors: string[]): void;
}

/** What a shape may be written as: a Shape, or an object literal of shapes (at least these keys). */
export type ShapeLike = Shape | { readonly [key: string]: ShapeLike | Optional };

class Optional {
  constructor(readonly inner: ShapeLike) {}
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

class Predicate extends Shape {
  constructor(
    private readonly name: string,
    private readonly ok: (v: unknown) => boolean,
  ) {
    super();
  }
  describe(): string {
    return this.name;
  }
  check(value: unknown, path: string, errors: string[]): void {
    if (!this.ok(value)) errors.push(`${path}: expected ${this.name}, got ${typeName(value)} ${preview(value)}`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class ObjectShape extends Shape {
  constructor(
    private readonly fields: { readonly [key: string]: ShapeLike | Optional },
    private readonly exact: boolean,
  ) {
    super();
  }
  describe(): string {
    return `${this.exact ? 'exactly ' : ''}{${Object.keys(this.fields).join(', ')}}`;
  }
  check(value: unknown, path: string, errors: string[]): void {
    if (!isPlainObject(value)) {
      errors.push(`${path}: expected object ${this.describe()}, got ${typeName(value)} ${preview(value)}`);
      return;
    }
    for (const [key, spec] of Object.entries(this.fields)) {
      const sub = `${path}.${key}`;
      if (!(key in value)) {
        if (!(spec instanceof Optional)) errors.push(`${sub}: missing`);
        continue;
      }
      toShape(spec instanceof Optional ? spec.inner : spec).check(value[key], sub, errors);
    }
    if (this.exact) {
      for (const key of Object.keys(value)) {
        if (!(key in this.fields)) errors.push(`${path}.${key}: unexpected key`);
      }
    }
  }
}

class ArrayShape extends Shape {
  constructor(
    private readonly item: ShapeLike,
    private readonly minLength: number,
  ) {
    super();
  }
  describe(): string {
    return `array of ${toShape(this.item).describe()}`;
  }
  check(value: unknown, path: string, errors: string[]): void {
    if (!Array.isArray(value)) {
      errors.push(`${path}: expected ${this.describe()}, got ${typeName(value)} ${preview(value)}`);
      return;
    }
    if (value.length < this.minLength) errors.push(`${path}: expected at least ${this.minLength} items, got ${value.length}`);
    const item = toShape(this.item);
    value.forEach((v, i) => item.check(v, `${path}[${i}]`, errors));
  }
}

class RecordShape extends Shape {
  constructor(private readonly value: ShapeLike) {
    super();
  }
  describe(): string {
    return `object of ${toShape(this.value).describe()}`;
  }
  check(value: unknown, path: string, errors: string[]): void {
    if (!isPlainObject(value)) {
      errors.push(`${path}: expected ${this.describe()}, got ${typeName(value)} ${preview(value)}`);
      return;
    }
    const inner = toShape(this.value);
    for (const [k, v] of Object.entries(value)) inner.check(v, `${path}.${k}`, errors);
  }
}

class OneOf extends Shape {
  private readonly options: Shape[];
  constructor(options: ShapeLike[]) {
    super();
    this.options = options.map(toShape);
  }
  describe(): string {
    return this.options.map((o) => o.describe()).join(' | ');
  }
  check(value: unknown, path: string, errors: string[]): void {
    for (const o of this.options) {
      const sub: string[] = [];
      o.check(value, path, sub);
      if (sub.length === 0) return;
    }
    errors.push(`${path}: expected ${this.describe()}, got ${typeName(value)} ${preview(value)}`);
  }
}

function toShape(s: ShapeLike | Optional): Shape {
  if (s instanceof Shape) return s;
  if (s instanceof Optional) throw new Error('S.optional() is only meaningful as an object field');
  return new ObjectShape(s, false);
}

const numberShape: Shape = new Predicate('number', (v) => typeof v === 'number' && Number.isFinite(v));

export const S = {
  any: new Predicate('anything', () => true) as Shape,
  string: new Predicate('string', (v) => typeof v === 'string') as Shape,
  /** a non-empty string */
  text: new Predicate('non-empty string', (v) => typeof v === 'string' && v.length > 0) as Shape,
  number: numberShape,
  int: new Predicate('integer', (v) => Number.isInteger(v)) as Shape,
  /** an integer >= 0 */
  count: new Predicate('integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0) as Shape,
  bool: new Predicate('boolean', (v) => typeof v === 'boolean') as Shape,
  null: new Predicate('null', (v) => v === null) as Shape,
  /** any JSON object (not an array, not null) */
  object: new Predicate('object', isPlainObject) as Shape,
  /** any JSON array */
  array: new Predicate('array', Array.isArray) as Shape,
  /** a TCP port number */
  port: new Predicate('port number', (v) => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536) as Shape,
  /** exactly this value (compared with ===) */
  literal: (expected: string | number | boolean | null): Shape =>
    new Predicate(JSON.stringify(expected), (v) => v === expected),
  /** a string matching re */
  match: (re: RegExp): Shape => new Predicate(`string matching ${re}`, (v) => typeof v === 'string' && re.test(v)),
  /** one of the given string values */
  enum: (...values: string[]): Shape =>
    new Predicate(values.map((v) => JSON.stringify(v)).join(' | '), (v) => typeof v === 'string' && values.includes(v)),
  nullable: (s: ShapeLike): Shape => new OneOf([new Predicate('null', (v) => v === null), s]),
  oneOf: (...options: ShapeLike[]): Shape => new OneOf(options),
  arrayOf: (item: ShapeLike, minLength = 0): Shape => new ArrayShape(item, minLength),
  /** an object whose every value has this shape (keys free) */
  record: (value: ShapeLike): Shape => new RecordShape(value),
  /** an object with exactly these keys */
  exact: (fields: { readonly [key: string]: ShapeLike | Optional }): Shape => new ObjectShape(fields, true),
  /** a field that may be absent (but has this shape when present) */
  optional: (s: ShapeLike): Optional => new Optional(s),
  /** a rate sample as the management API writes next to a counter: {"rate": 0.0} */
  details: new ObjectShape({ rate: numberShape }, false) as Shape,
};

/**
 * For each name, a counter (integer >= 0) and its "<name>_details": {rate}. Spread into an object shape:
 *   { ...counters('messages', 'messages_ready') }
 */
export function counters(...names: string[]): Record<string, ShapeLike> {
  const out: Record<string, ShapeLike> = {};
  for (const n of names) {
    out[n] = S.count;
    out[`${n}_details`] = S.details;
  }
  return out;
}

/** Throws an AssertionError listing every place where actual does not fit shape. */
export function assertShape(actual: unknown, shape: ShapeLike, label = 'response'): void {
  const errors: string[] = [];
  toShape(shape).check(actual, '$', errors);
  if (errors.length > 0) {
    throw new AssertionError({
      message: `${label} does not have the expected shape:\n  ${errors.join('\n  ')}\nactual: ${preview(actual)}`,
      actual,
      expected: toShape(shape).describe(),
      operator: 'assertShape',
    });
  }
}

/** true when actual fits shape (for polling until a response has its statistics). */
export function hasShape(actual: unknown, shape: ShapeLike): boolean {
  const errors: string[] = [];
  toShape(shape).check(actual, '$', errors);
  return errors.length === 0;
}
