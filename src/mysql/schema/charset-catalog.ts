/**
 * What the schema model needs to know about character sets and collations to derive a column the way the
 * server does: bytes per character (CHAR/VARCHAR byte lengths), the default collation of a character set,
 * the character set of a collation and collation ids. Read from the server's information_schema when a
 * loader is at hand; a built-in table of the common ones otherwise.
 */
export interface CharsetCatalog {
  /** Bytes per character (MAXLEN); undefined when unknown. */
  maxLen(charset: string): number | undefined;
  defaultCollation(charset: string): string | undefined;
  charsetOf(collation: string): string | undefined;
  collationId(collation: string): number | null;
  /** MariaDB stores JSON as LONGTEXT (utf8mb4_bin) plus a json_valid CHECK; MySQL has a JSON type. */
  jsonAsText: boolean;
}

export interface CharsetRow { charset: string; defaultCollation: string; maxLen: number }
export interface CollationRow { collation: string; charset: string; id: number | null }

const BUILT_IN: readonly CharsetRow[] = [
  { charset: 'utf8mb4', defaultCollation: 'utf8mb4_general_ci', maxLen: 4 },
  { charset: 'utf8mb3', defaultCollation: 'utf8mb3_general_ci', maxLen: 3 },
  { charset: 'utf8', defaultCollation: 'utf8mb3_general_ci', maxLen: 3 },
  { charset: 'latin1', defaultCollation: 'latin1_swedish_ci', maxLen: 1 },
  { charset: 'ascii', defaultCollation: 'ascii_general_ci', maxLen: 1 },
  { charset: 'binary', defaultCollation: 'binary', maxLen: 1 },
  { charset: 'ucs2', defaultCollation: 'ucs2_general_ci', maxLen: 2 },
  { charset: 'utf16', defaultCollation: 'utf16_general_ci', maxLen: 4 },
  { charset: 'utf16le', defaultCollation: 'utf16le_general_ci', maxLen: 4 },
  { charset: 'utf32', defaultCollation: 'utf32_general_ci', maxLen: 4 },
  { charset: 'latin2', defaultCollation: 'latin2_general_ci', maxLen: 1 },
  { charset: 'cp1250', defaultCollation: 'cp1250_general_ci', maxLen: 1 },
  { charset: 'cp1251', defaultCollation: 'cp1251_general_ci', maxLen: 1 },
  { charset: 'gbk', defaultCollation: 'gbk_chinese_ci', maxLen: 2 },
  { charset: 'sjis', defaultCollation: 'sjis_japanese_ci', maxLen: 2 },
  { charset: 'big5', defaultCollation: 'big5_chinese_ci', maxLen: 2 },
  { charset: 'gb18030', defaultCollation: 'gb18030_chinese_ci', maxLen: 4 },
];

export class TableCharsetCatalog implements CharsetCatalog {
  private readonly charsets = new Map<string, CharsetRow>();
  private readonly collations = new Map<string, CollationRow>();

  constructor(charsets: readonly CharsetRow[] = BUILT_IN, collations: readonly CollationRow[] = [], readonly jsonAsText = true) {
    for (const c of charsets) this.charsets.set(c.charset.toLowerCase(), c);
    for (const c of collations) this.collations.set(c.collation.toLowerCase(), c);
  }

  maxLen(charset: string): number | undefined {
    return this.charsets.get(charset.toLowerCase())?.maxLen;
  }

  defaultCollation(charset: string): string | undefined {
    return this.charsets.get(charset.toLowerCase())?.defaultCollation;
  }

  charsetOf(collation: string): string | undefined {
    const c = collation.toLowerCase();
    const known = this.collations.get(c)?.charset;
    if (known !== undefined) return known;
    if (c === 'binary') return 'binary';
    // Collation names start with their character set's name (`utf8mb4_0900_ai_ci`, `latin1_bin`).
    let best: string | undefined;
    for (const cs of this.charsets.keys()) if (c.startsWith(`${cs}_`) && (best === undefined || cs.length > best.length)) best = cs;
    return best;
  }

  collationId(collation: string): number | null {
    return this.collations.get(collation.toLowerCase())?.id ?? (collation.toLowerCase() === 'binary' ? 63 : null);
  }
}

/** The built-in catalog (no server at hand, e.g. a history replayed from a file). */
export const BUILT_IN_CATALOG: CharsetCatalog = new TableCharsetCatalog();
