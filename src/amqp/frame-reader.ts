// Splits the byte stream of a connection into frames. Frames that arrive whole inside one socket read
// are handed on as positions in that read's Buffer (no copy); only a frame split across reads is
// assembled, into a Buffer of exactly its size.
import { erlangBinary } from './erlang-format.js';
import { FRAME_END } from './spec.js';

/** A framing violation; the connection closes with 501 FRAME_ERROR. */
export class FrameError extends Error {}

export interface FrameSink {
  /** The payload is buf[start, end). buf may be a socket read: keep a view only if the data must outlive the call. */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void;
}

const HEADER = 7;

export class FrameReader {
  /**
   * The negotiated frame_max. Like RabbitMQ, payloads up to frame_max itself are accepted (it allows
   * 8 octets of slack) and the limit quoted in the error is frame_max - 8.
   */
  frameMax: number;
  /** Set by the sink to stop parsing the rest of the current read (the connection is closing). */
  stopped = false;
  /** While paused, input is kept, unparsed, until resume(). */
  private paused = false;
  private held: Buffer[] = [];
  private head = Buffer.alloc(HEADER);
  private headFill = 0;
  private partial: Buffer | null = null;
  private partialFill = 0;

  constructor(
    private readonly sink: FrameSink,
    maxFrame: number,
  ) {
    this.frameMax = maxFrame;
  }

  push(chunk: Buffer): void {
    if (this.paused) {
      this.held.push(chunk);
      return;
    }
    let off = 0;
    if (this.headFill > 0 || this.partial) {
      off = this.continuePartial(chunk);
      if (off < 0 || this.stopped) return;
    }
    const len = chunk.length;
    while (len - off >= HEADER && !this.stopped && !this.paused) {
      const size = chunk.readUInt32BE(off + 3);
      this.checkSize(chunk[off], size);
      const frameEnd = off + HEADER + size;
      if (frameEnd + 1 > len) break;
      if (chunk[frameEnd] !== FRAME_END) throw badEnd(chunk, off, frameEnd);
      this.sink.onFrame(chunk[off], chunk.readUInt16BE(off + 1), chunk, off + HEADER, frameEnd);
      off = frameEnd + 1;
    }
    if (this.paused) {
      if (off < len) this.held.push(chunk.subarray(off));
      return;
    }
    if (off < len && !this.stopped) this.stash(chunk, off);
  }

  /** Stops after the frame being handled; the rest of the input waits for resume(). */
  pause(): void {
    this.paused = true;
  }

  /** Parses the input held while paused (which may pause again). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const c of held) this.push(c);
  }

  private checkSize(type: number, size: number): void {
    if (size > this.frameMax) {
      throw new FrameError(`type ${type}, all octets = <<>>: {frame_too_large,${size},${this.frameMax - 8}}`);
    }
  }

  /** Keeps the tail of a read that holds only part of a frame. */
  private stash(chunk: Buffer, off: number): void {
    const rest = chunk.length - off;
    if (rest < HEADER) {
      chunk.copy(this.head, 0, off);
      this.headFill = rest;
      return;
    }
    const size = chunk.readUInt32BE(off + 3);
    this.partial = Buffer.allocUnsafe(HEADER + size + 1);
    this.partialFill = chunk.copy(this.partial, 0, off);
  }

  /** Completes a frame begun in an earlier read; returns where the rest of this chunk starts, or -1. */
  private continuePartial(chunk: Buffer): number {
    let off = 0;
    if (!this.partial) {
      const n = Math.min(HEADER - this.headFill, chunk.length);
      chunk.copy(this.head, this.headFill, 0, n);
      this.headFill += n;
      off = n;
      if (this.headFill < HEADER) return -1;
      const size = this.head.readUInt32BE(3);
      this.checkSize(this.head[0], size);
      this.partial = Buffer.allocUnsafe(HEADER + size + 1);
      this.head.copy(this.partial);
      this.partialFill = HEADER;
      this.headFill = 0;
    }
    const frame = this.partial;
    const n = Math.min(frame.length - this.partialFill, chunk.length - off);
    chunk.copy(frame, this.partialFill, off, off + n);
    this.partialFill += n;
    off += n;
    if (this.partialFill < frame.length) return -1;
    this.partial = null;
    const end = frame.length - 1;
    if (frame[end] !== FRAME_END) throw badEnd(frame, 0, end);
    this.sink.onFrame(frame[0], frame.readUInt16BE(1), frame, HEADER, end);
    return off;
  }
}

function badEnd(buf: Buffer, frameStart: number, endAt: number): FrameError {
  const payload = erlangBinary(buf, frameStart + HEADER, endAt);
  return new FrameError(`type ${buf[frameStart]}, all octets = ${payload}: {invalid_frame_end_marker,${buf[endAt]}}`);
}
