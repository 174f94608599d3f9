// Reads single properties out of a content header's raw property bytes without decoding the rest.
// Messages keep their properties as received; the broker only looks at the few it acts on.
import { Reader, Writer } from './codec.js';
import { BasicPropertyFlag, BasicPropertyOrder, decodeBasicProperties, encodeBasicProperties, type BasicProperties } from './spec.js';

/** Where the property after the one of type t at off begins (it may lie past the end of raw). */
function skipProperty(raw: Buffer, off: number, t: (typeof BasicPropertyOrder)[number]): number {
  switch (t) {
    case 'shortstr':
      return off + 1 + raw[off];
    case 'table':
      return off + 4 + raw.readUInt32BE(off);
    case 'octet':
      return off + 1;
    case 'timestamp':
      return off + 8;
  }
}

/** Offset of the property with the given flag bit in raw (flags word first), or -1 when absent. */
export function propertyOffset(raw: Buffer, flag: number): number {
  if (raw.length < 2) return -1;
  const flags = raw.readUInt16BE(0);
  if ((flags & flag) === 0) return -1;
  let off = 2;
  for (let i = 0; i < BasicPropertyOrder.length; i++) {
    const bit = 0x8000 >> i;
    if (bit === flag) return off;
    if (flags & bit) off = skipProperty(raw, off, BasicPropertyOrder[i]);
  }
  return -1;
}

export function deliveryModeOf(raw: Buffer): number {
  const off = propertyOffset(raw, BasicPropertyFlag.DeliveryMode);
  return off < 0 ? 0 : raw[off];
}

export function shortstrPropertyOf(raw: Buffer, flag: number): string | undefined {
  const off = propertyOffset(raw, flag);
  return off < 0 ? undefined : raw.toString('utf8', off + 1, off + 1 + raw[off]);
}

const reader = new Reader();

/** Decodes all properties; for the rare paths (headers exchange, management) that need them. */
export function decodeProperties(raw: Buffer): BasicProperties {
  return decodeBasicProperties(reader.reset(raw, 0, raw.length));
}

const writer = new Writer(512);

/** Raw property bytes (flags and list) for decoded properties, in a Buffer of their own. */
export function encodeProperties(p: BasicProperties): Buffer {
  encodeBasicProperties(writer, p);
  return Buffer.from(writer.take());
}

/** Raw properties with one change applied (rare paths: reply-to addresses, BCC, x-delivery-count). */
export function rewriteProperties(raw: Buffer, change: (p: BasicProperties) => void): Buffer {
  const p = { ...decodeProperties(raw) };
  change(p);
  return encodeProperties(p);
}

/**
 * Checks that the present properties fit inside raw, without decoding them, so later single-property
 * reads cannot run past the end. Table contents are checked when a table is actually decoded.
 */
export function propertiesFit(raw: Buffer): boolean {
  if (raw.length < 2) return false;
  const flags = raw.readUInt16BE(0);
  if (flags & 0x3) return false; // the reserved bit and a continuation word: no client sends them
  let off = 2;
  for (let i = 0; i < BasicPropertyOrder.length; i++) {
    if ((flags & (0x8000 >> i)) === 0) continue;
    const t = BasicPropertyOrder[i];
    // the length prefix itself must be there before skipProperty reads it
    if ((t === 'shortstr' && off + 1 > raw.length) || (t === 'table' && off + 4 > raw.length)) return false;
    off = skipProperty(raw, off, t);
    if (off > raw.length) return false;
  }
  return off === raw.length;
}
