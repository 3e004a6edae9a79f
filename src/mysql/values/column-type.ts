/** MySQL column type codes as they appear in TABLE_MAP events and the protocol. */
export const ColumnType = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  TYPED_ARRAY: 20,
  VECTOR: 242,
  INVALID: 243,
  BOOL: 244,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const names = new Map<number, string>(Object.entries(ColumnType).map(([k, v]) => [v, k]));

export function columnTypeName(code: number): string {
  return names.get(code) ?? `TYPE_${code}`;
}

/** The binary collation id: strings with it are bytes, not text. */
export const BINARY_COLLATION = 63;

/**
 * Everything needed to decode one column of a row image, and to name it.
 * Filled from TABLE_MAP (type, meta, optional metadata) and, when the binlog lacks names or
 * details, from information_schema through the schema history.
 */
export interface ColumnDef {
  /** Column name; `@1`, `@2`, … when unknown (as mysqlbinlog prints them). */
  name: string;
  /** Binlog type code; for STRING columns that are really ENUM/SET, the real type (ENUM/SET). */
  type: number;
  /**
   * Type metadata from TABLE_MAP, decoded to one number per the type:
   * FLOAT/DOUBLE/BLOB/GEOMETRY/JSON/VECTOR: length-bytes; VARCHAR/VAR_STRING: max byte length;
   * NEWDECIMAL: precision << 8 | scale; BIT: bits (total, 1..64); TIMESTAMP2/DATETIME2/TIME2: fsp;
   * STRING/ENUM/SET: max byte length (STRING) or pack length 1/2 (ENUM) / 1..8 (SET); others 0.
   */
  meta: number;
  nullable: boolean;
  unsigned: boolean;
  /** Collation id (63 = binary), or null when unknown. */
  collation: number | null;
  /** Node.js decoder name for text columns (derived from the collation/charset); 'binary' for bytes. */
  charset?: string;
  /** ENUM/SET member names, when known. */
  enumValues?: readonly string[];
  /** GEOMETRY sub-type, when known. */
  geometryType?: number;
  /** Full SQL type as information_schema gives it, e.g. `decimal(10,2) unsigned`, when known. */
  sqlType?: string;
  /** MariaDB JSON (a LONGTEXT with a `json_valid` check): its text is decoded as a JsonText. */
  jsonText?: boolean;
  /** Column visible (false for MySQL invisible columns), when known. */
  visible?: boolean;
}
