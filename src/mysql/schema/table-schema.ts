/** A table's columns and primary key as information_schema describes them at one point in time. */
export interface SchemaColumn {
  name: string;
  /** information_schema DATA_TYPE, lower case: `int`, `varchar`, `enum`, `uuid`, … */
  dataType: string;
  /** information_schema COLUMN_TYPE, e.g. `decimal(10,2) unsigned`, `enum('a','b')`. */
  sqlType: string;
  unsigned: boolean;
  nullable: boolean;
  /** Character set name (`utf8mb4`, `latin1`, `binary` for binary strings), null for non-strings. */
  charset: string | null;
  /** Collation name, null for non-strings. */
  collation: string | null;
  /** Collation id (63 for binary strings), null when not a string or unknown. */
  collationId: number | null;
  /** ENUM/SET member names, unescaped. */
  enumValues?: string[];
  /** Bytes for CHAR/VARCHAR/BINARY/VARBINARY (CHARACTER_OCTET_LENGTH). */
  octetLength: number | null;
  /** DECIMAL precision/scale, BIT width (precision). */
  numericPrecision: number | null;
  numericScale: number | null;
  /** Fractional seconds of TIME/DATETIME/TIMESTAMP. */
  datetimePrecision: number | null;
  /** Generated column kind; both MySQL and MariaDB binlog row images include generated and invisible columns. */
  generated: 'virtual' | 'stored' | null;
  /** MariaDB JSON column: LONGTEXT constrained by `json_valid(col)`. */
  json?: boolean;
  visible: boolean;
}

export interface TableSchema {
  database: string;
  table: string;
  columns: SchemaColumn[];
  /** Primary key column names in key order (empty when the table has none). */
  primaryKey: string[];
  /** Per-table version number, increasing with each recorded change (0 for a freshly loaded schema). */
  version: number;
  /** The table's default character set and collation (for columns added later without their own). */
  charset?: string | null;
  collation?: string | null;
}

/** Parse the members of `enum('a','b''c')` / `set(...)` from a COLUMN_TYPE. */
export function parseEnumMembers(columnType: string): string[] {
  const open = columnType.indexOf('(');
  if (open < 0) return [];
  const out: string[] = [];
  let i = open + 1;
  const s = columnType;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      let v = '';
      i++;
      while (i < s.length) {
        if (s[i] === "'") {
          if (s[i + 1] === "'") { v += "'"; i += 2; continue; }
          i++;
          break;
        }
        if (s[i] === '\\' && i + 1 < s.length) { v += s[i + 1]; i += 2; continue; }
        v += s[i];
        i++;
      }
      out.push(v);
      continue;
    }
    if (c === ')') break;
    i++;
  }
  return out;
}

/**
 * Node.js decoder name for a MySQL character set: a Buffer encoding where Node has one
 * (`utf8`, `latin1`, `ascii`, `utf16le`, `binary`), else a TextDecoder label. Undefined when unknown.
 */
export function charsetDecoderName(charset: string | null): string | undefined {
  if (charset === null) return undefined;
  switch (charset.toLowerCase()) {
    case 'utf8mb4': case 'utf8mb3': case 'utf8': return 'utf8';
    // MySQL's latin1 is really cp1252; TextDecoder's 'latin1' label maps to windows-1252 as well.
    case 'latin1': return 'latin1';
    case 'ascii': return 'ascii';
    case 'binary': return 'binary';
    case 'utf16le': return 'utf16le';
    case 'utf16': case 'ucs2': return 'utf-16be';
    case 'utf32': return 'utf-32be';
    case 'cp1250': return 'windows-1250';
    case 'cp1251': return 'windows-1251';
    case 'cp1256': return 'windows-1256';
    case 'cp1257': return 'windows-1257';
    case 'latin2': return 'iso-8859-2';
    case 'latin5': return 'iso-8859-9';
    case 'latin7': return 'iso-8859-13';
    case 'greek': return 'iso-8859-7';
    case 'hebrew': return 'iso-8859-8';
    case 'koi8r': return 'koi8-r';
    case 'koi8u': return 'koi8-u';
    case 'cp866': return 'ibm866';
    case 'sjis': case 'cp932': return 'shift_jis';
    case 'ujis': case 'eucjpms': return 'euc-jp';
    case 'euckr': return 'euc-kr';
    case 'gbk': case 'gb2312': return 'gbk';
    case 'gb18030': return 'gb18030';
    case 'big5': return 'big5';
    case 'tis620': return 'windows-874';
    default: return undefined;
  }
}
