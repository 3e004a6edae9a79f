/**
 * Decoded column values. Every MySQL type maps to exactly one of these, exactly:
 * - integers, YEAR, BIT: `number` when within ±2^53, else `bigint`
 * - FLOAT, DOUBLE: `number`
 * - DECIMAL: `string` with the declared scale, e.g. "-12.50"
 * - DATE: "YYYY-MM-DD"; DATETIME: "YYYY-MM-DD HH:MM:SS[.ffffff]" (digits as declared)
 * - TIMESTAMP: `TimestampValue` (UTC); TIME: "[-]HH:MM:SS[.ffffff]"
 * - CHAR/VARCHAR/TEXT: `string`; BINARY/VARBINARY/BLOB/GEOMETRY: `Buffer`
 * - ENUM: `string` (member name; "" for the error value 0); SET: `string[]`
 * - JSON: `JsonText` (the exact JSON text); VECTOR: `Float32Array`
 * - MariaDB UUID/INET4/INET6: `string` in their canonical text form when the schema says so, else `Buffer`
 * - NULL: `null`
 */
export type Cell = null | number | bigint | string | Buffer | string[] | JsonText | TimestampValue | Float32Array;

/** A JSON document as exact text (numbers keep every digit). */
export class JsonText {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** A TIMESTAMP: seconds since the epoch (UTC) and microseconds, with the column's fractional digits. */
export class TimestampValue {
  constructor(readonly seconds: number, readonly micros: number, readonly fsp: number) {}
  /** "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; the zero timestamp is "0000-00-00T00:00:00[.000000]Z". */
  toISO(): string {
    const frac = this.fsp > 0 ? '.' + String(this.micros).padStart(6, '0').slice(0, this.fsp) : '';
    if (this.seconds === 0 && this.micros === 0) return `0000-00-00T00:00:00${frac}Z`;
    const d = new Date(this.seconds * 1000);
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
    return `${iso.slice(0, 19)}${frac}Z`;
  }
  /** "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, for writing with time_zone '+00:00'. */
  toSQL(): string {
    return this.toISO().replace('T', ' ').replace('Z', '');
  }
}

/** A row image: column name → value. Columns absent from a MINIMAL image are absent here. */
export type Row = Record<string, Cell>;

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer's decimal text → its Cell: `number` within ±2^53, else `bigint`. */
export function integerCell(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(text);
  return b > MAX_SAFE_BIG || b < -MAX_SAFE_BIG ? b : Number(b);
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** A TIMESTAMP as UTC text, like TimestampValue.toSQL() but without a Date (H. Hinnant's civil_from_days). */
export function timestampText(v: TimestampValue): string {
  if (v.seconds === 0 && v.micros === 0) return v.toSQL();
  const z = Math.floor(v.seconds / 86400) + 719468;
  const secs = v.seconds - (z - 719468) * 86400;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const frac = v.fsp > 0 ? '.' + String(v.micros).padStart(6, '0').slice(0, v.fsp) : '';
  return `${y}-${pad2(m)}-${pad2(d)} ${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}${frac}`;
}
