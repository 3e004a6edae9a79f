/**
 * A small SQL tokenizer for classifying statements: words, quoted identifiers, strings, numbers and
 * punctuation. Comments (`/* *\/`, `-- `, `#`, optimizer hints) are dropped; the bodies of MySQL/MariaDB
 * executable comments (`/*!50100 … *\/`, `/*M!100100 … *\/`) are kept as ordinary SQL.
 */
export type Token =
  | { t: 'word'; v: string; u: string }
  | { t: 'qid'; v: string }
  | { t: 'str'; v: string }
  | { t: 'punct'; v: string };

export interface TokenizeOptions {
  /** sql_mode ANSI_QUOTES: "x" is an identifier, not a string. */
  ansiQuotes?: boolean;
  /** sql_mode NO_BACKSLASH_ESCAPES: backslash is an ordinary character in strings. */
  noBackslashEscapes?: boolean;
  /** Stop after this many tokens (classification never needs the whole of a huge statement). */
  maxTokens?: number;
}

/** sql_mode bits shared by MySQL and MariaDB. */
export const SQL_MODE_ANSI_QUOTES = 4n;
export const SQL_MODE_NO_BACKSLASH_ESCAPES = 1n << 20n;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 0x80;
}

export function tokenize(sql: string, opts: TokenizeOptions = {}): Token[] {
  const out: Token[] = [];
  const max = opts.maxTokens ?? Infinity;
  let execDepth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n && out.length < max) {
    const c = sql[i]!;
    const code = sql.charCodeAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      const exec = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
      if (exec) { execDepth++; i += exec[0].length; continue; }
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '*' && sql[i + 1] === '/' && execDepth > 0) { execDepth--; i += 2; continue; }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]!)))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '`' || (c === '"' && opts.ansiQuotes)) {
      const [v, next] = readQuoted(sql, i, c, false);
      out.push({ t: 'qid', v });
      i = next;
      continue;
    }
    if (c === "'" || c === '"') {
      const [v, next] = readQuoted(sql, i, c, !opts.noBackslashEscapes);
      out.push({ t: 'str', v });
      i = next;
      continue;
    }
    if (isWordChar(code)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      const v = sql.slice(i, j);
      out.push({ t: 'word', v, u: v.toUpperCase() });
      i = j;
      continue;
    }
    out.push({ t: 'punct', v: c });
    i++;
  }
  return out;
}

/** Read a quoted run starting at `start` (the quote); a doubled quote is one quote character. */
function readQuoted(sql: string, start: number, q: string, backslash: boolean): [string, number] {
  let v = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslash && c === '\\' && i + 1 < sql.length) {
      v += unescapeChar(sql[i + 1]!);
      i += 2;
      continue;
    }
    if (c === q) {
      if (sql[i + 1] === q) { v += q; i += 2; continue; }
      return [v, i + 1];
    }
    v += c;
    i++;
  }
  return [v, i];
}

function unescapeChar(c: string): string {
  switch (c) {
    case '0': return '\0';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'Z': return '\x1a';
    default: return c;
  }
}
