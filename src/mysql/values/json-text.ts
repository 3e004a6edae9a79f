/**
 * JSON text → JsonNode, keeping every number's exact text (no float rounding) and the member order.
 * Used to apply JSON diffs to a before image that was already decoded to text.
 */
import { CorruptEventError } from '../../errors.js';
import { JsonObjectNode, type JsonNode } from './json-binary.js';

export function parseJsonText(text: string): JsonNode {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => { throw new CorruptEventError(`JSON text: ${what} at ${i}`); };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const str = (): string => {
    const s = i;
    i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= n) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(s, i)) as string;
  };
  const value = (depth: number): JsonNode => {
    if (depth > 200) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys: string[] = [];
      const values: JsonNode[] = [];
      ws();
      if (text[i] === '}') { i++; return new JsonObjectNode(keys, values); }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        keys.push(str());
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        values.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return new JsonObjectNode(keys, values); }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') { i++; return items; }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return items; }
        fail('expected , or ]');
      }
    }
    if (c === '"') return JSON.stringify(str());
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return m[0];
  };
  const v = value(0);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}
