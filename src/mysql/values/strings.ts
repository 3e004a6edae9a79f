/**
 * Text decoding for CHAR/VARCHAR/TEXT columns: collation id → character set → decoder.
 * utf8mb3/utf8mb4/ascii decode as UTF-8; MySQL's latin1 is really cp1252; ucs2/utf16/utf32 are big-endian
 * in MySQL; binary (63) and character sets Node cannot decode give the bytes (Buffer) instead of text.
 */

/** Collation id ranges → character set name (MariaDB 10.11 ids, plus MySQL 8 ids 76, 248–250, 255–323). */
const COLLATION_RANGES =
  '1-1:big5 2-2:latin2 3-3:dec8 4-4:cp850 5-5:latin1 6-6:hp8 7-7:koi8r 8-8:latin1 9-9:latin2 10-10:swe7 11-11:ascii 12-12:ujis 13-13:sjis 14-14:cp1251 15-15:latin1 16-16:hebrew 18-18:tis620 19-19:euckr 20-20:latin7 21-21:latin2 22-22:koi8u 23-23:cp1251 24-24:gb2312 25-25:greek 26-26:cp1250 27-27:latin2 28-28:gbk 29-29:cp1257 30-30:latin5 31-31:latin1 32-32:armscii8 33-33:utf8mb3 34-34:cp1250 35-35:ucs2 36-36:cp866 37-37:keybcs2 38-38:macce 39-39:macroman 40-40:cp852 41-42:latin7 43-43:macce 44-44:cp1250 45-46:utf8mb4 47-49:latin1 50-52:cp1251 53-53:macroman 54-55:utf16 56-56:utf16le 57-57:cp1256 58-59:cp1257 60-61:utf32 62-62:utf16le 63-63:binary 64-64:armscii8 65-65:ascii 66-66:cp1250 67-67:cp1256 68-68:cp866 69-69:dec8 70-70:greek 71-71:hebrew 72-72:hp8 73-73:keybcs2 74-74:koi8r 75-75:koi8u 76-76:utf8mb3 77-77:latin2 78-78:latin5 79-79:latin7 80-80:cp850 81-81:cp852 82-82:swe7 83-83:utf8mb3 84-84:big5 85-85:euckr 86-86:gb2312 87-87:gbk 88-88:sjis 89-89:tis620 90-90:ucs2 91-91:ujis 92-93:geostd8 94-94:latin1 95-96:cp932 97-98:eucjpms 99-99:cp1250 101-124:utf16 128-151:ucs2 159-159:ucs2 160-183:utf32 192-215:utf8mb3 223-223:utf8mb3 224-247:utf8mb4 248-250:gb18030 255-323:utf8mb4 576-578:utf8mb3 608-610:utf8mb4 640-642:ucs2 672-674:utf16 736-738:utf32 1025-1025:big5 1027-1027:dec8 1028-1028:cp850 1030-1030:hp8 1031-1031:koi8r 1032-1032:latin1 1033-1033:latin2 1034-1034:swe7 1035-1035:ascii 1036-1036:ujis 1037-1037:sjis 1040-1040:hebrew 1042-1042:tis620 1043-1043:euckr 1046-1046:koi8u 1048-1048:gb2312 1049-1049:greek 1050-1050:cp1250 1052-1052:gbk 1054-1054:latin5 1056-1056:armscii8 1057-1057:utf8mb3 1059-1059:ucs2 1060-1060:cp866 1061-1061:keybcs2 1062-1062:macce 1063-1063:macroman 1064-1064:cp852 1065-1065:latin7 1067-1067:macce 1069-1070:utf8mb4 1071-1071:latin1 1074-1075:cp1251 1077-1077:macroman 1078-1079:utf16 1080-1080:utf16le 1081-1081:cp1256 1082-1083:cp1257 1084-1085:utf32 1086-1086:utf16le 1088-1088:armscii8 1089-1089:ascii 1090-1090:cp1250 1091-1091:cp1256 1092-1092:cp866 1093-1093:dec8 1094-1094:greek 1095-1095:hebrew 1096-1096:hp8 1097-1097:keybcs2 1098-1098:koi8r 1099-1099:koi8u 1101-1101:latin2 1102-1102:latin5 1103-1103:latin7 1104-1104:cp850 1105-1105:cp852 1106-1106:swe7 1107-1107:utf8mb3 1108-1108:big5 1109-1109:euckr 1110-1110:gb2312 1111-1111:gbk 1112-1112:sjis 1113-1113:tis620 1114-1114:ucs2 1115-1115:ujis 1116-1117:geostd8 1119-1120:cp932 1121-1122:eucjpms 1125-1125:utf16 1147-1147:utf16 1152-1152:ucs2 1174-1174:ucs2 1184-1184:utf32 1206-1206:utf32 1216-1216:utf8mb3 1238-1238:utf8mb3 1248-1248:utf8mb4 1270-1270:utf8mb4';

const charsetById = new Map<number, string>();
for (const part of COLLATION_RANGES.split(' ')) {
  const [range, name] = part.split(':') as [string, string];
  const [from, to] = range.split('-').map(Number) as [number, number];
  for (let id = from; id <= to; id++) charsetById.set(id, name);
}

/** The character set of a collation id, or undefined when the id is unknown. */
export function charsetOfCollation(collation: number): string | undefined {
  return charsetById.get(collation);
}

/** MySQL character set → WHATWG TextDecoder label (for the ones that are not UTF-8 or special). */
const TEXT_DECODER_LABELS: Readonly<Record<string, string>> = {
  latin2: 'iso-8859-2',
  latin5: 'windows-1254',
  latin7: 'iso-8859-13',
  greek: 'iso-8859-7',
  hebrew: 'iso-8859-8',
  cp1250: 'windows-1250',
  cp1251: 'windows-1251',
  cp1256: 'windows-1256',
  cp1257: 'windows-1257',
  cp866: 'ibm866',
  koi8r: 'koi8-r',
  koi8u: 'koi8-u',
  macroman: 'macintosh',
  tis620: 'windows-874',
  gbk: 'gbk',
  gb2312: 'gbk',
  gb18030: 'gb18030',
  big5: 'big5',
  sjis: 'shift_jis',
  cp932: 'shift_jis',
  ujis: 'euc-jp',
  eucjpms: 'euc-jp',
  euckr: 'euc-kr',
  ucs2: 'utf-16be',
  utf16: 'utf-16be',
  utf16le: 'utf-16le',
};

/**
 * How to turn a column's bytes into a value:
 * - 'utf8': `buf.toString('utf8')` (fast path)
 * - 'utf32': big-endian UTF-32, decoded by hand
 * - 'cp1252': MySQL latin1 (Node's TextDecoder('windows-1252') decodes ISO-8859-1, so we map 0x80–0x9F ourselves)
 * - a TextDecoder: any other supported character set
 * - null: keep the bytes (binary collation, unknown or unsupported character set)
 */
export type TextDecoding = 'utf8' | 'utf32' | 'cp1252' | TextDecoder | null;

const decoderCache = new Map<string, TextDecoding>();

/**
 * The decoding for a character set name (MySQL names such as `utf8mb4`, `latin1`, `binary`; the
 * Node/WHATWG names `utf8`, `utf-8`, `windows-1252` … are accepted too). Unknown → null (bytes).
 */
export function decodingForCharset(charset: string): TextDecoding {
  const key = charset.toLowerCase();
  const cached = decoderCache.get(key);
  if (cached !== undefined) return cached;
  let d: TextDecoding;
  if (key === 'utf8' || key === 'utf8mb3' || key === 'utf8mb4' || key === 'utf-8' || key === 'ascii') d = 'utf8';
  else if (key === 'binary') d = null;
  else if (key === 'utf32') d = 'utf32';
  else if (key === 'latin1' || key === 'cp1252' || key === 'windows-1252') d = 'cp1252';
  else {
    const label = TEXT_DECODER_LABELS[key] ?? key;
    try {
      d = new TextDecoder(label);
    } catch {
      d = null;
    }
  }
  decoderCache.set(key, d);
  return d;
}

/** The decoding for a collation id: binary (63) and unknown ids → null (bytes). */
export function decodingForCollation(collation: number): TextDecoding {
  const cs = charsetById.get(collation);
  return cs === undefined ? null : decodingForCharset(cs);
}

/** Decode big-endian UTF-32 (MySQL utf32). Invalid code points become U+FFFD. */
export function decodeUtf32BE(buf: Buffer, start: number, end: number): string {
  let out = '';
  for (let p = start; p + 4 <= end; p += 4) {
    const cp = buf.readUInt32BE(p);
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  }
  return out;
}

/** Node's Buffer has these (undocumented but stable) methods; they skip toString's argument checks. */
interface RawSlices {
  utf8Slice(start: number, end: number): string;
}

/** A copy of `buf[start, end)` that does not keep the source buffer alive. */
export function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/** Decode `buf[start, end)` with a decoding: a string, or a copy of the bytes when the decoding is null. */
export function decodeText(buf: Buffer, start: number, end: number, decoding: TextDecoding): string | Buffer {
  if (decoding === 'utf8') return (buf as unknown as RawSlices).utf8Slice(start, end);
  if (decoding === null) return copyBytes(buf, start, end);
  if (decoding === 'cp1252') return decodeCp1252(buf, start, end);
  if (decoding === 'utf32') return decodeUtf32BE(buf, start, end);
  return decoding.decode(buf.subarray(start, end));
}

/** cp1252 code points of bytes 0x80–0x9F (undefined bytes map to the C1 control of the same value, as MySQL does). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map((c) => String.fromCharCode(c));

/** Decode MySQL latin1 (= cp1252). */
export function decodeCp1252(buf: Buffer, start: number, end: number): string {
  let special = false;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80 && b <= 0x9f) { special = true; break; }
  }
  if (!special) return buf.toString('latin1', start, end);
  let out = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    out += b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b);
  }
  return out;
}
