import { open } from 'node:fs/promises';
import { openSync, readSync, closeSync } from 'node:fs';
import { TruncatedEventError, CorruptEventError } from '../../errors.js';
import { BINLOG_MAGIC, EVENT_HEADER_LENGTH } from './event-types.js';
import type { BinlogEvent } from './events.js';
import { BinlogDecoder, type BinlogDecoderOptions } from './decoder.js';
import { notABinlogFile } from './binlog-errors.js';

/** One event read from a binlog file. */
export interface FileEvent {
  event: BinlogEvent;
  /** Offset of the event in the file. */
  position: number;
  /** Offset right after it (computed; not the header's end_log_pos, which may be 0). */
  nextPosition: number;
}

export interface ReadBinlogFileOptions extends BinlogDecoderOptions {
  /** Decoder to use (keeps table maps across files); a new one by default. */
  decoder?: BinlogDecoder;
  /** Bytes read at a time (default 1 MiB); a larger event gets a buffer of its own size. */
  chunkSize?: number;
  /** Start at this offset (the FORMAT_DESCRIPTION at 4 is decoded first but not yielded). */
  startPosition?: number;
}

/** Largest event we accept (MySQL's max_allowed_packet limit is 1 GiB). */
const MAX_EVENT_SIZE = 1 << 30;
const DEFAULT_CHUNK = 1 << 20;

type ReadFn = (buf: Buffer, off: number, len: number, filePos: number) => number | Promise<number>;

/**
 * A sliding window over the file: holds [start, start+len). Refills allocate a new buffer, so
 * Buffers in events already yielded (which may point into the old one) stay intact.
 */
class Window {
  buf = Buffer.alloc(0);
  start = 0;
  len = 0;
  eof = false;
  constructor(private readonly read: ReadFn, private readonly chunk: number) {}

  has(off: number, n: number): boolean {
    return off >= this.start && off + n <= this.start + this.len;
  }

  /** Make [off, off+n) available; returns false at end of file (fewer bytes remain). */
  async ensure(off: number, n: number): Promise<boolean> {
    while (!this.has(off, n)) {
      if (!this.prepare(off, n)) return false;
      const got = await this.read(this.buf, this.len, this.buf.length - this.len, this.start + this.len);
      this.after(got);
    }
    return true;
  }

  ensureSync(off: number, n: number): boolean {
    while (!this.has(off, n)) {
      if (!this.prepare(off, n)) return false;
      const got = this.read(this.buf, this.len, this.buf.length - this.len, this.start + this.len) as number;
      this.after(got);
    }
    return true;
  }

  private prepare(off: number, n: number): boolean {
    if (this.eof) return false;
    const keep = off >= this.start && off < this.start + this.len ? this.start + this.len - off : 0;
    if (this.len === this.buf.length || off !== this.start || this.buf.length < n) {
      const next = Buffer.allocUnsafe(Math.max(this.chunk, n));
      if (keep > 0) this.buf.copy(next, 0, off - this.start, off - this.start + keep);
      this.buf = next;
      this.start = off;
      this.len = keep;
    }
    return true;
  }

  private after(got: number): void {
    if (got === 0) this.eof = true;
    this.len += got;
  }
}

function checkMagic(path: string, w: Window, ok: boolean): void {
  if (!ok || !BINLOG_MAGIC.equals(w.buf.subarray(0, 4))) throw notABinlogFile(path, w.buf.subarray(0, Math.min(w.len, 4)));
}

/** Size of the event at `pos` (window must hold its header). */
function eventSize(w: Window, pos: number): number {
  const size = w.buf.readUInt32LE(pos - w.start + 9);
  if (size < EVENT_HEADER_LENGTH || size > MAX_EVENT_SIZE) throw new CorruptEventError(`event size ${size} at position ${pos}`, { position: pos });
  return size;
}

function truncated(pos: number): TruncatedEventError {
  return new TruncatedEventError(`the event at position ${pos} (end of file)`, { position: pos });
}

/** Read a binlog file as an async iterable of decoded events, with bounded memory. */
export async function* readBinlogFile(path: string, opts: ReadBinlogFileOptions = {}): AsyncGenerator<FileEvent> {
  const fh = await open(path, 'r');
  try {
    const w = new Window(async (b, o, l, p) => (await fh.read(b, o, l, p)).bytesRead, opts.chunkSize ?? DEFAULT_CHUNK);
    const decoder = opts.decoder ?? new BinlogDecoder(opts);
    checkMagic(path, w, await w.ensure(0, 4));
    let pos = 4;
    const startAt = opts.startPosition ?? 4;
    if (startAt > 4 && await w.ensure(pos, EVENT_HEADER_LENGTH)) {
      const size = eventSize(w, pos);
      if (!await w.ensure(pos, size)) throw truncated(pos);
      decoder.decode(w.buf, pos - w.start, size, pos);
      pos = startAt;
    }
    for (;;) {
      if (!await w.ensure(pos, EVENT_HEADER_LENGTH)) {
        if (w.has(pos, 1)) throw truncated(pos);
        return;
      }
      const size = eventSize(w, pos);
      if (!await w.ensure(pos, size)) throw truncated(pos);
      const event = decoder.decode(w.buf, pos - w.start, size, pos);
      yield { event, position: pos, nextPosition: pos + size };
      pos += size;
    }
  } finally {
    await fh.close();
  }
}

/** Synchronous variant of readBinlogFile (tests, tools). */
export function* readBinlogFileSync(path: string, opts: ReadBinlogFileOptions = {}): Generator<FileEvent> {
  const fd = openSync(path, 'r');
  try {
    const w = new Window((b, o, l, p) => readSync(fd, b, o, l, p), opts.chunkSize ?? DEFAULT_CHUNK);
    const decoder = opts.decoder ?? new BinlogDecoder(opts);
    checkMagic(path, w, w.ensureSync(0, 4));
    let pos = 4;
    const startAt = opts.startPosition ?? 4;
    if (startAt > 4 && w.ensureSync(pos, EVENT_HEADER_LENGTH)) {
      const size = eventSize(w, pos);
      if (!w.ensureSync(pos, size)) throw truncated(pos);
      decoder.decode(w.buf, pos - w.start, size, pos);
      pos = startAt;
    }
    for (;;) {
      if (!w.ensureSync(pos, EVENT_HEADER_LENGTH)) {
        if (w.has(pos, 1)) throw truncated(pos);
        return;
      }
      const size = eventSize(w, pos);
      if (!w.ensureSync(pos, size)) throw truncated(pos);
      const event = decoder.decode(w.buf, pos - w.start, size, pos);
      yield { event, position: pos, nextPosition: pos + size };
      pos += size;
    }
  } finally {
    closeSync(fd);
  }
}
