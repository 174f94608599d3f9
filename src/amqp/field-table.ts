// AMQP field values as RabbitMQ's clients send them. Every value keeps its wire type so that a table
// decoded and re-encoded is byte-identical, and so that argument validation can answer, as RabbitMQ
// does, "invalid arg 'x-message-ttl' ... of type longstr".

/** RabbitMQ's field type tags (its errata to 0-9-1, which every mainstream client follows). */
export type FieldType =
  | 't' // boolean
  | 'b' // int8
  | 'B' // uint8
  | 's' // int16
  | 'u' // uint16
  | 'I' // int32
  | 'i' // uint32
  | 'l' // int64
  | 'f' // float32
  | 'd' // float64
  | 'D' // decimal
  | 'S' // long string (bytes; usually UTF-8)
  | 'A' // array
  | 'T' // timestamp (uint64 seconds)
  | 'F' // nested table
  | 'V' // void
  | 'x'; // byte array

export interface Decimal {
  scale: number;
  value: number; // int32
}

export type Field =
  | { type: 't'; value: boolean }
  | { type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd' | 'T'; value: number }
  | { type: 'l'; value: bigint }
  | { type: 'D'; value: Decimal }
  | { type: 'S'; value: string | Buffer } // Buffer only when the bytes are not valid UTF-8
  | { type: 'A'; value: Field[] }
  | { type: 'F'; value: FieldTable }
  | { type: 'V'; value: null }
  | { type: 'x'; value: Buffer };

/** Ordered, as on the wire (a Map, because object keys that look like integers would be reordered). */
export type FieldTable = Map<string, Field>;

// ---- building tables from plain values (server properties, broker-made headers) ----

export type PlainValue =
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Date
  | null
  | undefined
  | PlainValue[]
  | { [key: string]: PlainValue };

/** Types a plain JS value the way RabbitMQ's own Erlang client would: integers as long/longlong, etc. */
export function fieldOf(v: PlainValue): Field {
  if (v === null || v === undefined) return { type: 'V', value: null };
  switch (typeof v) {
    case 'boolean':
      return { type: 't', value: v };
    case 'string':
      return { type: 'S', value: v };
    case 'bigint':
      return { type: 'l', value: v };
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= -0x80000000 && v <= 0x7fffffff) return { type: 'I', value: v };
        return { type: 'l', value: BigInt(v) };
      }
      return { type: 'd', value: v };
  }
  if (Buffer.isBuffer(v)) return { type: 'x', value: v };
  if (v instanceof Date) return { type: 'T', value: Math.floor(v.getTime() / 1000) };
  if (Array.isArray(v)) return { type: 'A', value: v.map(fieldOf) };
  return { type: 'F', value: tableOf(v as { [key: string]: PlainValue }) };
}

export function tableOf(obj: { [key: string]: PlainValue }): FieldTable {
  const t: FieldTable = new Map();
  for (const k of Object.keys(obj)) t.set(k, fieldOf(obj[k]));
  return t;
}

// ---- reading values with the leniency RabbitMQ applies to arguments ----

const INTEGER_TYPES = new Set<FieldType>(['b', 'B', 's', 'u', 'I', 'i', 'l']);

export function isIntegerField(f: Field): boolean {
  return INTEGER_TYPES.has(f.type);
}

/** The numeric value of an integer-typed field, or undefined for any other type. */
export function integerOf(f: Field | undefined): number | undefined {
  if (!f || !INTEGER_TYPES.has(f.type)) return undefined;
  return f.type === 'l' ? Number(f.value) : (f.value as number);
}

export function stringOf(f: Field | undefined): string | undefined {
  if (!f || f.type !== 'S') return undefined;
  return typeof f.value === 'string' ? f.value : f.value.toString('latin1');
}

/** RabbitMQ's names for field types, used in its reply texts ("of type longstr"). */
export function typeName(t: FieldType): string {
  switch (t) {
    case 't':
      return 'bool';
    case 'b':
      return 'byte';
    case 'B':
      return 'unsignedbyte';
    case 's':
      return 'short';
    case 'u':
      return 'unsignedshort';
    case 'I':
      return 'signedint';
    case 'i':
      return 'unsignedint';
    case 'l':
      return 'long';
    case 'f':
      return 'float';
    case 'd':
      return 'double';
    case 'D':
      return 'decimal';
    case 'S':
      return 'longstr';
    case 'A':
      return 'array';
    case 'T':
      return 'timestamp';
    case 'F':
      return 'table';
    case 'V':
      return 'void';
    case 'x':
      return 'binary';
  }
}

/** Deep equality of two fields, type included (redeclare equivalence). */
export function fieldsEqual(a: Field, b: Field): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'A': {
      const bv = b.value as Field[];
      return a.value.length === bv.length && a.value.every((f, i) => fieldsEqual(f, bv[i]));
    }
    case 'F':
      return tablesEqual(a.value, b.value as FieldTable);
    case 'D': {
      const bv = b.value as Decimal;
      return a.value.scale === bv.scale && a.value.value === bv.value;
    }
    case 'x':
      return a.value.equals(b.value as Buffer);
    case 'S': {
      const av = a.value;
      const bv = b.value as string | Buffer;
      if (typeof av === 'string' && typeof bv === 'string') return av === bv;
      return Buffer.from(av as string).equals(Buffer.from(bv as string));
    }
    default:
      return a.value === b.value;
  }
}

export function tablesEqual(a: FieldTable, b: FieldTable): boolean {
  if (a.size !== b.size) return false;
  for (const [k, f] of a) {
    const g = b.get(k);
    if (!g || !fieldsEqual(f, g)) return false;
  }
  return true;
}

/** Value equality ignoring the integer width, as RabbitMQ's headers exchange compares (Erlang ==). */
export function fieldValuesMatch(a: Field, b: Field): boolean {
  const an = numericOf(a);
  if (an !== undefined) return an === numericOf(b);
  if (a.type === 'S' || a.type === 'x') {
    if (b.type !== 'S' && b.type !== 'x') return false;
    const av = a.value;
    const bv = b.value;
    if (typeof av === 'string' && typeof bv === 'string') return av === bv;
    return Buffer.from(av as string).equals(Buffer.from(bv as string));
  }
  return fieldsEqual(a, b);
}

function numericOf(f: Field): number | undefined {
  switch (f.type) {
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
    case 'f':
    case 'd':
      return f.value;
    case 'l':
      return Number(f.value);
    default:
      return undefined;
  }
}
