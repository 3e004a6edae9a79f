/**
 * PARTIAL_UPDATE_ROWS JSON diffs (binlog_row_value_options=PARTIAL_JSON) applied to the before image.
 *
 * Diff bytes (MySQL Json_diff_vector, after the column's length prefix): a sequence of
 *   operation (1 byte: 0 REPLACE, 1 INSERT, 2 REMOVE), path length (packed integer), path text
 *   (e.g. `$.a[1]."b c"`), and unless REMOVE: value length (packed integer), binary JSON value.
 * Semantics follow MySQL's apply_json_diffs: REPLACE needs an existing target; INSERT adds an object member
 * (which must not exist) or inserts into an array at the index (clamped to the end); REMOVE deletes a member
 * or element. A diff that MySQL itself would reject raises CorruptEventError.
 */
import { CorruptEventError } from '../../errors.js';
import { JsonObjectNode, jsonNodeToText, parseJsonBinary, type JsonNode } from './json-binary.js';
import { parseJsonText } from './json-text.js';

export const JsonDiffOp = { REPLACE: 0, INSERT: 1, REMOVE: 2 } as const;

/** One leg of a JSON path: an object member, or an array cell counted from the start or from `last`. */
export type JsonPathLeg = { member: string } | { index: number; fromEnd: boolean };

function bad(what: string, details: Record<string, unknown> = {}): never {
  throw new CorruptEventError(`JSON diff: ${what}`, details);
}

/** Parse a MySQL JSON path without wildcards: `$`, `.name`, `."quoted"`, `[3]`, `[last]`, `[last-2]`. */
export function parseJsonPath(path: string): JsonPathLeg[] {
  let i = 0;
  const n = path.length;
  const skipWs = (): void => { while (i < n && /\s/.test(path[i]!)) i++; };
  skipWs();
  if (path[i] !== '$') bad(`path does not start with $: ${path}`);
  i++;
  const legs: JsonPathLeg[] = [];
  for (;;) {
    skipWs();
    if (i >= n) return legs;
    const c = path[i]!;
    if (c === '.') {
      i++;
      skipWs();
      if (path[i] === '"') {
        let j = i + 1;
        while (j < n && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
        if (j >= n) bad(`unterminated member name in ${path}`);
        legs.push({ member: JSON.parse(path.slice(i, j + 1)) as string });
        i = j + 1;
      } else {
        let j = i;
        while (j < n && path[j] !== '.' && path[j] !== '[' && !/\s/.test(path[j]!)) j++;
        if (j === i) bad(`empty member name in ${path}`);
        legs.push({ member: path.slice(i, j) });
        i = j;
      }
    } else if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) bad(`unterminated array index in ${path}`);
      const inner = path.slice(i + 1, close).replace(/\s+/g, '');
      const m = /^(?:(\d+)|last(?:-(\d+))?)$/.exec(inner);
      if (!m) bad(`unsupported array index [${inner}] in ${path}`);
      if (m[1] !== undefined) legs.push({ index: Number(m[1]), fromEnd: false });
      else legs.push({ index: m[2] !== undefined ? Number(m[2]) : 0, fromEnd: true });
      i = close + 1;
    } else {
      bad(`unexpected '${c}' in path ${path}`);
    }
  }
}

/** MySQL's object key order: shorter keys first, then by UTF-8 bytes. */
function keyLess(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length !== bb.length ? ba.length < bb.length : Buffer.compare(ba, bb) < 0;
}

/** Array position of a cell leg for an array of `size` (may be out of bounds: ≥ size or < 0). */
function cellPosition(leg: { index: number; fromEnd: boolean }, size: number): number {
  return leg.fromEnd ? size - 1 - leg.index : leg.index;
}

function child(node: JsonNode, leg: JsonPathLeg): JsonNode | undefined {
  if ('member' in leg) {
    if (!(node instanceof JsonObjectNode)) return undefined;
    const k = node.keys.indexOf(leg.member);
    return k < 0 ? undefined : node.values[k];
  }
  if (!Array.isArray(node)) return undefined;
  const pos = cellPosition(leg, node.length);
  return pos >= 0 && pos < node.length ? node[pos] : undefined;
}

/** Apply one diff to `doc` (mutated in place where possible); returns the new document. */
export function applyJsonDiffOp(doc: JsonNode, op: number, legs: readonly JsonPathLeg[], value: JsonNode | null): JsonNode {
  if (legs.length === 0) bad('a diff may not target the document root');
  let parent: JsonNode | undefined = doc;
  for (let i = 0; i < legs.length - 1 && parent !== undefined; i++) parent = child(parent, legs[i]!);
  if (parent === undefined) bad('path not found in the before image', { legs });
  const last = legs[legs.length - 1]!;
  if (op === JsonDiffOp.REPLACE) {
    if (value === null) bad('REPLACE without a value');
    if ('member' in last) {
      if (!(parent instanceof JsonObjectNode)) bad('REPLACE of a member of a non-object', { legs });
      const k = parent.keys.indexOf(last.member);
      if (k < 0) bad('REPLACE of a missing member', { legs });
      parent.values[k] = value;
    } else {
      if (!Array.isArray(parent)) bad('REPLACE of a cell of a non-array', { legs });
      const pos = cellPosition(last, parent.length);
      if (pos < 0 || pos >= parent.length) bad('REPLACE of a missing array cell', { legs });
      parent[pos] = value;
    }
    return doc;
  }
  if (op === JsonDiffOp.INSERT) {
    if (value === null) bad('INSERT without a value');
    if ('member' in last && parent instanceof JsonObjectNode) {
      if (parent.keys.includes(last.member)) bad('INSERT of an existing member', { legs });
      let at = 0;
      while (at < parent.keys.length && keyLess(parent.keys[at]!, last.member)) at++;
      parent.keys.splice(at, 0, last.member);
      parent.values.splice(at, 0, value);
      return doc;
    }
    if (!('member' in last) && Array.isArray(parent)) {
      const pos = Math.min(Math.max(cellPosition(last, parent.length), 0), parent.length);
      parent.splice(pos, 0, value);
      return doc;
    }
    return bad('INSERT into a value of the wrong kind', { legs });
  }
  if (op === JsonDiffOp.REMOVE) {
    if ('member' in last) {
      if (!(parent instanceof JsonObjectNode)) bad('REMOVE of a member of a non-object', { legs });
      const k = parent.keys.indexOf(last.member);
      if (k < 0) bad('REMOVE of a missing member', { legs });
      parent.keys.splice(k, 1);
      parent.values.splice(k, 1);
    } else {
      if (!Array.isArray(parent)) bad('REMOVE of a cell of a non-array', { legs });
      const pos = cellPosition(last, parent.length);
      if (pos < 0 || pos >= parent.length) bad('REMOVE of a missing array cell', { legs });
      parent.splice(pos, 1);
    }
    return doc;
  }
  return bad(`unknown operation ${op}`);
}

/** MySQL packed (length-encoded) integer at `p`; returns [value, next]. */
function readPacked(buf: Buffer, p: number, end: number): [number, number] {
  if (p >= end) bad('truncated length');
  const b = buf[p]!;
  if (b < 0xfb) return [b, p + 1];
  if (b === 0xfc) { if (p + 3 > end) bad('truncated length'); return [buf.readUInt16LE(p + 1), p + 3]; }
  if (b === 0xfd) { if (p + 4 > end) bad('truncated length'); return [buf.readUIntLE(p + 1, 3), p + 4]; }
  if (b === 0xfe) {
    if (p + 9 > end) bad('truncated length');
    const v = buf.readBigUInt64LE(p + 1);
    if (v > BigInt(end)) bad('length too large');
    return [Number(v), p + 9];
  }
  return bad(`bad length byte 0x${b.toString(16)}`);
}

/** Apply every diff in `diff[start, end)` to a decoded document; returns the new document. */
export function applyJsonDiffs(doc: JsonNode, diff: Buffer, start = 0, end = diff.length): JsonNode {
  let p = start;
  while (p < end) {
    const op = diff[p++]!;
    if (op > 2) bad(`unknown operation ${op}`, { offset: p - 1 });
    const [pathLen, q] = readPacked(diff, p, end);
    if (q + pathLen > end) bad('truncated path', { offset: q });
    const legs = parseJsonPath(diff.toString('utf8', q, q + pathLen));
    p = q + pathLen;
    let value: JsonNode | null = null;
    if (op !== JsonDiffOp.REMOVE) {
      const [valueLen, r] = readPacked(diff, p, end);
      if (r + valueLen > end) bad('truncated value', { offset: r });
      value = parseJsonBinary(diff, r, r + valueLen);
      p = r + valueLen;
    }
    doc = applyJsonDiffOp(doc, op, legs, value);
  }
  return doc;
}

/**
 * The after-image JSON text of a partially updated column: the before image's binary JSON bytes plus the
 * diff bytes (the column value after its length prefix).
 */
export function applyJsonDiffToBinary(before: Buffer, diff: Buffer, diffStart = 0, diffEnd = diff.length): string {
  return jsonNodeToText(applyJsonDiffs(parseJsonBinary(before, 0, before.length), diff, diffStart, diffEnd));
}

/** Same, when the before image is already decoded to JSON text (numbers keep their exact digits). */
export function applyJsonDiffToText(beforeText: string, diff: Buffer, diffStart = 0, diffEnd = diff.length): string {
  return jsonNodeToText(applyJsonDiffs(parseJsonText(beforeText), diff, diffStart, diffEnd));
}
