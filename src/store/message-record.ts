// The on-disk form of a message, shared by the message store (persistent messages) and the pager
// (transient messages of long queues):
//   [u64 id][u64 enqueued at, ms][u16 n][u32 queue id × n][u8 len][exchange][u8 len][routing key][u32 len][properties][body]
// The enqueue time lets TTLs run on across restarts from when the message arrived, not from the restart.
import { propertyOffset } from '../amqp/properties.js';
import { BasicPropertyFlag } from '../amqp/spec.js';
import { Message, expirationOf } from '../broker/message.js';

const TWO_32 = 0x100000000;

/** The part before properties and body; those are appended as they are, without copying here. */
export function messageRecordHead(msg: Message, id: number, queueIds: readonly number[], enqueuedAt = 0): Buffer {
  // Names are written straight into the head: no intermediate Buffer per name on the publish path.
  const exLen = Buffer.byteLength(msg.exchange);
  const rkLen = Buffer.byteLength(msg.routingKey);
  const n = queueIds.length;
  const head = Buffer.allocUnsafe(8 + 8 + 2 + 4 * n + 1 + exLen + 1 + rkLen + 4);
  let o = writeU64(head, id, 0);
  o = writeU64(head, enqueuedAt, o);
  head.writeUInt16BE(n, o);
  o += 2;
  for (const q of queueIds) {
    head.writeUInt32BE(q, o);
    o += 4;
  }
  head[o++] = exLen;
  o += head.write(msg.exchange, o, 'utf8');
  head[o++] = rkLen;
  o += head.write(msg.routingKey, o, 'utf8');
  head.writeUInt32BE(msg.rawProperties.length, o);
  return head;
}

export interface DecodedRecord {
  id: number;
  enqueuedAt: number;
  queueIds: number[];
  /** Offset of the exchange-name length byte, where decodeMessage starts. */
  rest: number;
}

export function decodeRecordHead(payload: Buffer): DecodedRecord {
  const id = readU64(payload, 0);
  const enqueuedAt = readU64(payload, 8);
  const n = payload.readUInt16BE(16);
  const queueIds: number[] = new Array(n);
  let o = 18;
  for (let i = 0; i < n; i++, o += 4) queueIds[i] = payload.readUInt32BE(o);
  return { id, enqueuedAt, queueIds, rest: o };
}

/** The message in a record. With copy, its buffers are copies (the payload may be a reused view). */
export function decodeMessage(payload: Buffer, rest: number, copy: boolean): Message {
  let o = rest;
  const exLen = payload[o++];
  const exchange = payload.toString('utf8', o, o + exLen);
  o += exLen;
  const rkLen = payload[o++];
  const routingKey = payload.toString('utf8', o, o + rkLen);
  o += rkLen;
  const propsLen = payload.readUInt32BE(o);
  o += 4;
  const props = payload.subarray(o, o + propsLen);
  const body = payload.subarray(o + propsLen);
  return new Message(exchange, routingKey, copy ? Buffer.from(props) : props, copy ? Buffer.from(body) : body);
}

/** What a queue needs to know of a recovered message without keeping it: body size, priority, TTL. */
export interface RecordFacts {
  size: number;
  priority: number;
  ttl: number;
}

/** Fills out from the record (reused by the caller: recovery reads millions of records). */
export function recordFacts(payload: Buffer, rest: number, out: RecordFacts): RecordFacts {
  let o = rest;
  o += 1 + payload[o];
  o += 1 + payload[o];
  const propsLen = payload.readUInt32BE(o);
  o += 4;
  const props = payload.subarray(o, o + propsLen);
  out.size = payload.length - o - propsLen;
  const p = propertyOffset(props, BasicPropertyFlag.Priority);
  out.priority = p < 0 ? 0 : props[p];
  out.ttl = expirationOf(props);
  return out;
}

export function writeU64(b: Buffer, v: number, o: number): number {
  b.writeUInt32BE(Math.floor(v / TWO_32), o);
  b.writeUInt32BE(v >>> 0, o + 4);
  return o + 8;
}

export function readU64(b: Buffer, o: number): number {
  return b.readUInt32BE(o) * TWO_32 + b.readUInt32BE(o + 4);
}
