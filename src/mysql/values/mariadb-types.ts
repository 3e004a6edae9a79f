/**
 * MariaDB's fixed-size binary types, which the binlog writes as BINARY(n) (STRING, binary collation):
 * UUID (16 bytes, in text order — confirmed on MariaDB 10.11 for versions 1, 4, 6, 7 and variant 0),
 * INET4 (4 bytes), INET6 (16 bytes, network order). Recognised by ColumnDef.sqlType.
 * Note: the binlog strips trailing 0x00 bytes of binary strings; callers pad back to the full length.
 */

export type MariaDbBinaryKind = 'uuid' | 'inet4' | 'inet6';

/** The MariaDB type named by an information_schema COLUMN_TYPE, or null. */
export function mariaDbBinaryKind(sqlType: string | undefined): MariaDbBinaryKind | null {
  if (sqlType === undefined) return null;
  const t = sqlType.trimStart().toLowerCase();
  if (t.startsWith('uuid')) return 'uuid';
  if (t.startsWith('inet4')) return 'inet4';
  if (t.startsWith('inet6')) return 'inet6';
  return null;
}

/** 16 bytes → "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
export function formatUuid(b: Buffer, pos = 0): string {
  const h = b.toString('hex', pos, pos + 16);
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20, 32);
}

/** 4 bytes → "a.b.c.d". */
export function formatInet4(b: Buffer, pos = 0): string {
  return b[pos]! + '.' + b[pos + 1]! + '.' + b[pos + 2]! + '.' + b[pos + 3]!;
}

/**
 * 16 bytes → IPv6 text as MariaDB prints it: lowercase hex groups, the longest run of zero groups (the first
 * on a tie, even a single group) as "::"; "::a.b.c.d" / "::ffff:a.b.c.d" for IPv4-compatible/-mapped addresses.
 */
export function formatInet6(b: Buffer, pos = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(b.readUInt16BE(pos + i * 2));
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    return '::' + (bestLen === 5 ? 'ffff:' : '') + formatInet4(b, pos + 12);
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += w[i]!.toString(16) + (i < 7 ? ':' : '');
  }
  return out;
}

/** VECTOR (MySQL 9): little-endian float32 array → Float32Array (a copy). */
export function decodeVector(buf: Buffer, start: number, byteLength: number): Float32Array {
  const n = byteLength >> 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(start + i * 4);
  return out;
}
