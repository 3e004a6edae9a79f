/**
 * MySQL GTID sets: "uuid:1-5:7,uuid2:1-3", with MySQL 8.3+ tags ("uuid:1-5:tag:1-3").
 * Parse, format (normalized), add, contains, union, and the binary form sent in COM_BINLOG_DUMP_GTID.
 */
import { SluiceError } from '../../errors.js';

/** One MySQL GTID: source uuid, optional tag, transaction number. */
export interface MysqlGtid {
  uuid: string;
  tag?: string;
  gno: bigint;
}

/** Closed interval [start, end] of transaction numbers. */
interface Interval { start: bigint; end: bigint }

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const TAG_RE = /^[a-z_][a-z0-9_]{0,31}$/i;
const INTERVAL_RE = /^(\d+)(?:-(\d+))?$/;

function badGtid(text: string, why: string): SluiceError {
  return new SluiceError('BAD_ARGUMENT', `invalid MySQL GTID set "${text}": ${why}`,
    'write a GTID set as uuid:N[-M][:N[-M]…][,uuid:…] (optionally uuid:tag:N), e.g. as shown by SELECT @@gtid_executed');
}

function normUuid(u: string, text: string): string {
  if (!UUID_RE.test(u)) throw badGtid(text, `"${u}" is not a UUID`);
  const h = u.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parse a single GTID "uuid:N" or "uuid:tag:N". */
export function parseMysqlGtid(text: string): MysqlGtid {
  const parts = text.trim().split(':');
  if (parts.length !== 2 && parts.length !== 3) throw badGtid(text, 'expected uuid:N or uuid:tag:N');
  const uuid = normUuid(parts[0]!, text);
  const n = parts[parts.length - 1]!;
  if (!/^\d+$/.test(n) || BigInt(n) < 1n) throw badGtid(text, `"${n}" is not a transaction number ≥ 1`);
  if (parts.length === 3) {
    const tag = parts[1]!;
    if (!TAG_RE.test(tag)) throw badGtid(text, `"${tag}" is not a valid tag`);
    return { uuid, tag: tag.toLowerCase(), gno: BigInt(n) };
  }
  return { uuid, gno: BigInt(n) };
}

/** Key of a (uuid, tag) pair inside a set. */
function tsidKey(uuid: string, tag: string | undefined): string {
  return tag ? `${uuid}:${tag}` : uuid;
}

/** Insert [start,end] into sorted, merged, non-adjacent intervals. */
function insertInterval(list: Interval[], start: bigint, end: bigint): void {
  const out: Interval[] = [];
  let s = start, e = end, placed = false;
  for (const iv of list) {
    if (iv.end + 1n < s) out.push(iv);
    else if (e + 1n < iv.start) {
      if (!placed) { out.push({ start: s, end: e }); placed = true; }
      out.push(iv);
    } else {
      s = iv.start < s ? iv.start : s;
      e = iv.end > e ? iv.end : e;
    }
  }
  if (!placed) out.push({ start: s, end: e });
  list.length = 0;
  list.push(...out);
}

/** A mutable MySQL GTID set. */
export class MysqlGtidSet {
  /** key "uuid" or "uuid:tag" → sorted merged intervals */
  private readonly sets = new Map<string, Interval[]>();

  static parse(text: string): MysqlGtidSet {
    const set = new MysqlGtidSet();
    const trimmed = text.replace(/\s+/g, '');
    if (trimmed === '') return set;
    for (const group of trimmed.split(',')) {
      if (group === '') continue;
      const items = group.split(':');
      const uuid = normUuid(items[0]!, text);
      let tag: string | undefined;
      for (const item of items.slice(1)) {
        const m = INTERVAL_RE.exec(item);
        if (m) {
          const start = BigInt(m[1]!);
          const end = m[2] !== undefined ? BigInt(m[2]) : start;
          if (start < 1n || end < start) throw badGtid(text, `bad interval "${item}"`);
          set.addInterval(uuid, tag, start, end);
        } else if (TAG_RE.test(item)) {
          tag = item.toLowerCase();
        } else {
          throw badGtid(text, `"${item}" is neither an interval nor a tag`);
        }
      }
    }
    return set;
  }

  private addInterval(uuid: string, tag: string | undefined, start: bigint, end: bigint): void {
    const key = tsidKey(uuid, tag);
    let list = this.sets.get(key);
    if (!list) { list = []; this.sets.set(key, list); }
    insertInterval(list, start, end);
  }

  get isEmpty(): boolean {
    return this.sets.size === 0;
  }

  /** Add one GTID ("uuid:N", "uuid:tag:N" or a parsed one). Returns this. */
  add(gtid: string | MysqlGtid): this {
    const g = typeof gtid === 'string' ? parseMysqlGtid(gtid) : gtid;
    this.addInterval(normUuid(g.uuid, g.uuid), g.tag?.toLowerCase(), g.gno, g.gno);
    return this;
  }

  contains(gtid: string | MysqlGtid): boolean {
    const g = typeof gtid === 'string' ? parseMysqlGtid(gtid) : gtid;
    const list = this.sets.get(tsidKey(normUuid(g.uuid, g.uuid), g.tag?.toLowerCase()));
    return !!list && list.some((iv) => iv.start <= g.gno && g.gno <= iv.end);
  }

  /** True when every GTID of `other` is in this set. */
  containsSet(other: MysqlGtidSet): boolean {
    for (const [key, list] of other.sets) {
      const mine = this.sets.get(key) ?? [];
      for (const iv of list) {
        if (!mine.some((m) => m.start <= iv.start && iv.end <= m.end)) return false;
      }
    }
    return true;
  }

  /** A new set holding both. */
  union(other: MysqlGtidSet): MysqlGtidSet {
    const out = this.clone();
    for (const [key, list] of other.sets) {
      const [uuid, tag] = key.split(':') as [string, string | undefined];
      for (const iv of list) out.addInterval(uuid, tag, iv.start, iv.end);
    }
    return out;
  }

  clone(): MysqlGtidSet {
    const out = new MysqlGtidSet();
    for (const [key, list] of this.sets) out.sets.set(key, list.map((iv) => ({ ...iv })));
    return out;
  }

  equals(other: MysqlGtidSet): boolean {
    return this.toString() === other.toString();
  }

  /** Entries sorted by uuid, then untagged before tags (sorted). */
  private entries(): Array<{ uuid: string; tag?: string; intervals: Interval[] }> {
    return [...this.sets.entries()]
      .map(([key, intervals]) => {
        const [uuid, tag] = key.split(':') as [string, string | undefined];
        return tag ? { uuid, tag, intervals } : { uuid, intervals };
      })
      .sort((a, b) => a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : (a.tag ?? '') < (b.tag ?? '') ? -1 : 1);
  }

  get hasTags(): boolean {
    for (const key of this.sets.keys()) if (key.includes(':')) return true;
    return false;
  }

  /** Normalized text, as MySQL prints it (without line breaks): "uuid:1-5:7:tag:1-3,uuid2:1-3". */
  toString(): string {
    const groups: string[] = [];
    let current = '', currentUuid = '';
    for (const e of this.entries()) {
      const ivs = e.intervals.map((iv) => iv.start === iv.end ? `${iv.start}` : `${iv.start}-${iv.end}`).join(':');
      if (e.uuid !== currentUuid) {
        if (current) groups.push(current);
        current = e.uuid;
        currentUuid = e.uuid;
      }
      current += e.tag ? `:${e.tag}:${ivs}` : `:${ivs}`;
    }
    if (current) groups.push(current);
    return groups.join(',');
  }

  /**
   * The binary form (Gtid_set::encode) used by COM_BINLOG_DUMP_GTID: n_sids (8), then per (uuid, tag):
   * uuid (16), [tag: varlen length + bytes], n_intervals (8), intervals as [start, end+1) pairs (8+8).
   * Untagged sets use the classic format; sets with tags use the tagged format (MySQL 8.3+).
   */
  encode(): Buffer {
    const entries = this.entries();
    const tagged = this.hasTags;
    const chunks: Buffer[] = [];
    const head = Buffer.alloc(8);
    if (tagged) {
      head[0] = 1;
      head.writeUIntLE(entries.length, 1, 6);
      head[7] = 1;
    } else {
      head.writeBigUInt64LE(BigInt(entries.length));
    }
    chunks.push(head);
    for (const e of entries) {
      chunks.push(Buffer.from(e.uuid.replace(/-/g, ''), 'hex'));
      if (tagged) {
        const tag = Buffer.from(e.tag ?? '', 'ascii');
        // Varlen integer of MySQL's serialization library: values < 128 are one byte, value << 1.
        chunks.push(Buffer.from([tag.length << 1]), tag);
      }
      const body = Buffer.alloc(8 + 16 * e.intervals.length);
      body.writeBigUInt64LE(BigInt(e.intervals.length), 0);
      e.intervals.forEach((iv, i) => {
        body.writeBigUInt64LE(iv.start, 8 + 16 * i);
        body.writeBigUInt64LE(iv.end + 1n, 16 + 16 * i);
      });
      chunks.push(body);
    }
    return Buffer.concat(chunks);
  }
}
