/**
 * ENUM and SET values. ENUM is a 1–2 byte little-endian index (1-based; 0 is MySQL's error value ''),
 * SET a 1–8 byte little-endian bitmask. Names come from ColumnDef.enumValues.
 * When a name is unknown (no metadata, or an index beyond the known members), the member's 1-based
 * number is given as "#N" (e.g. "#3"), so that the value is never invented nor silently dropped.
 */

/** ENUM index → member name; 0 → ""; unknown → "#N". */
export function enumName(index: number, names: readonly string[] | undefined): string {
  if (index === 0) return '';
  const name = names?.[index - 1];
  return name ?? '#' + index;
}

/** Read an ENUM index of `packLength` (1 or 2) bytes at `pos`. */
export function readEnumIndex(buf: Buffer, pos: number, packLength: number): number {
  return packLength === 1 ? buf[pos]! : buf.readUInt16LE(pos);
}

/** SET bitmask of `packLength` (1–8) bytes at `pos` → member names in member order; unknown members → "#N". */
export function decodeSet(buf: Buffer, pos: number, packLength: number, names: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (let byte = 0; byte < packLength; byte++) {
    const b = buf[pos + byte]!;
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((b & (1 << bit)) !== 0) {
        const i = byte * 8 + bit;
        out.push(names?.[i] ?? '#' + (i + 1));
      }
    }
  }
  return out;
}
