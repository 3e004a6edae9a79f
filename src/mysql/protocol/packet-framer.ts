/**
 * Splits a byte stream into MySQL protocol packets (3-byte length, 1-byte sequence id, payload) and
 * joins payloads of 0xffffff bytes with the packets that continue them. Keeps input as a list of chunks
 * so a large payload is copied once, not once per chunk.
 */

export const MAX_PACKET_PAYLOAD = 0xffffff;

export class PacketFramer {
  private chunks: Buffer[] = [];
  /** Offset into chunks[0] of the first unread byte. */
  private offset = 0;
  private available = 0;
  /** Parts of a payload that spans several packets. */
  private parts: Buffer[] = [];
  private partsBytes = 0;

  /** Bytes received but not yet returned as a payload (raw input + partial payload parts). */
  get bufferedBytes(): number {
    return this.available + this.partsBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** The next complete (joined) payload, or null when more input is needed. */
  next(): Buffer | null {
    for (;;) {
      if (this.available < 4) return null;
      const head = this.peek(4);
      const len = head[0]! | (head[1]! << 8) | (head[2]! << 16);
      if (this.available < 4 + len) return null;
      this.consume(4);
      const payload = this.take(len);
      if (len === MAX_PACKET_PAYLOAD) {
        this.parts.push(payload);
        this.partsBytes += len;
        continue;
      }
      if (this.parts.length === 0) return payload;
      this.parts.push(payload);
      const joined = Buffer.concat(this.parts, this.partsBytes + len);
      this.parts = [];
      this.partsBytes = 0;
      return joined;
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0, i = 0, off = this.offset;
    while (copied < n) {
      const c = this.chunks[i++]!;
      copied += c.copy(out, copied, off, Math.min(c.length, off + n - copied));
      off = 0;
    }
    return out;
  }

  private consume(n: number): void {
    this.available -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.offset;
      if (n < left) { this.offset += n; return; }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Remove n bytes (n <= available): a view when inside one chunk, else a copy. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.consume(n);
      return view;
    }
    const out = this.peek(n);
    this.consume(n);
    return out;
  }
}

/** Frame one payload as protocol packets (splitting at 0xffffff), sequence ids from `seq`. */
export function framePackets(payload: Buffer, seq = 0): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  for (;;) {
    const len = Math.min(MAX_PACKET_PAYLOAD, payload.length - off);
    const head = Buffer.alloc(4);
    head.writeUIntLE(len, 0, 3);
    head[3] = seq++ & 0xff;
    out.push(head, payload.subarray(off, off + len));
    off += len;
    if (len < MAX_PACKET_PAYLOAD) break;
  }
  return Buffer.concat(out);
}
