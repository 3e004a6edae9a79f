/**
 * A small SQL tokenizer for classifying statements: words, quoted identifiers, strings, numbers and
 * punctuation. Comments (`/* *\/`, `-- `, `#`, optimizer hints) are dropped; the bodies of MySQL/MariaDB
 * executable comments (`/*!50100 … *\/`, `/*M!100100 … *\/`) are kept as ordinary SQL.
 */
export type Token =
  | { t: 'word'; v: string; u: string; s: number; e: number }
  | { t: 'qid'; v: string; s: number; e: number }
  | { t: 'str'; v: string; s: number; e: number }
  | { t: 'punct'; v: string; s: number; e: number };
// `s`/`e`: the token's raw text is `sql.slice(s, e)` (quotes, escapes and introducers as written).

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
      const execLen = executableCommentOpener(sql, i);
      if (execLen > 0) { execDepth++; i += execLen; continue; }
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
      out.push({ t: 'qid', v, s: i, e: next });
      i = next;
      continue;
    }
    if (c === "'" || c === '"') {
      const [v, next] = readQuoted(sql, i, c, !opts.noBackslashEscapes);
      out.push({ t: 'str', v, s: i, e: next });
      i = next;
      continue;
    }
    if (isWordChar(code)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      const v = sql.slice(i, j);
      out.push({ t: 'word', v, u: v.toUpperCase(), s: i, e: j });
      i = j;
      continue;
    }
    out.push({ t: 'punct', v: c, s: i, e: i + 1 });
    i++;
  }
  return out;
}

/** Length of a `/*!NNNNN` or `/*M!NNNNNN` opener at `i` (0 when there is none): its body is SQL. */
function executableCommentOpener(sql: string, i: number): number {
  let k = i + 2;
  if (sql[k] === 'M') k++;
  if (sql[k] !== '!') return 0;
  k++;
  const digitsEnd = Math.min(k + 6, sql.length);
  while (k < digitsEnd && sql.charCodeAt(k) >= 48 && sql.charCodeAt(k) <= 57) k++;
  return k - i;
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
