/**
 * MariaDB GTID positions: "domain-server-seq[,…]" (e.g. @@gtid_binlog_pos, @slave_connect_state),
 * keeping the latest GTID per replication domain.
 */
import { SluiceError } from '../../errors.js';

/** One MariaDB GTID: replication domain, originating server id, sequence number. */
export interface MariadbGtid {
  domain: number;
  serverId: number;
  seq: bigint;
}

const GTID_RE = /^(\d+)-(\d+)-(\d+)$/;
const U32_MAX = 0xffffffff;

function badGtid(text: string, why: string): SluiceError {
  return new SluiceError('BAD_ARGUMENT', `invalid MariaDB GTID position "${text}": ${why}`,
    'write a MariaDB GTID position as domain-server-seq[,domain-server-seq…], e.g. as shown by SELECT @@gtid_binlog_pos');
}

/** Parse one "domain-server-seq". */
export function parseMariadbGtid(text: string): MariadbGtid {
  const m = GTID_RE.exec(text.trim());
  if (!m) throw badGtid(text, 'expected domain-server-seq');
  const domain = Number(m[1]), serverId = Number(m[2]), seq = BigInt(m[3]!);
  if (domain > U32_MAX || serverId > U32_MAX) throw badGtid(text, 'domain and server id must fit in 32 bits');
  if (seq > 0xffffffffffffffffn) throw badGtid(text, 'sequence number must fit in 64 bits');
  return { domain, serverId, seq };
}

export function formatMariadbGtid(g: MariadbGtid): string {
  return `${g.domain}-${g.serverId}-${g.seq}`;
}

/** A mutable MariaDB GTID position: the last GTID of each domain. */
export class MariadbGtidList {
  private readonly byDomain = new Map<number, MariadbGtid>();

  static parse(text: string): MariadbGtidList {
    const list = new MariadbGtidList();
    for (const part of text.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      const g = parseMariadbGtid(p);
      if (list.byDomain.has(g.domain)) throw badGtid(text, `domain ${g.domain} appears twice`);
      list.byDomain.set(g.domain, g);
    }
    return list;
  }

  get isEmpty(): boolean {
    return this.byDomain.size === 0;
  }

  /** The GTIDs, sorted by domain. */
  get gtids(): MariadbGtid[] {
    return [...this.byDomain.values()].sort((a, b) => a.domain - b.domain);
  }

  get(domain: number): MariadbGtid | undefined {
    return this.byDomain.get(domain);
  }

  /**
   * Record a GTID as executed: it becomes its domain's position (a GTID stream is ordered per domain,
   * so the newest event wins even when its server id differs). Returns this.
   */
  update(gtid: string | MariadbGtid): this {
    const g = typeof gtid === 'string' ? parseMariadbGtid(gtid) : gtid;
    this.byDomain.set(g.domain, { ...g });
    return this;
  }

  /** True when the GTID is at or before this position in its domain. */
  contains(gtid: string | MariadbGtid): boolean {
    const g = typeof gtid === 'string' ? parseMariadbGtid(gtid) : gtid;
    const cur = this.byDomain.get(g.domain);
    return !!cur && g.seq <= cur.seq;
  }

  clone(): MariadbGtidList {
    const out = new MariadbGtidList();
    for (const g of this.byDomain.values()) out.byDomain.set(g.domain, { ...g });
    return out;
  }

  equals(other: MariadbGtidList): boolean {
    return this.toString() === other.toString();
  }

  /** "0-1-100,1-2-5", sorted by domain. */
  toString(): string {
    return this.gtids.map(formatMariadbGtid).join(',');
  }
}
