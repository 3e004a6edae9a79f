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
