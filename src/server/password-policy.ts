/** The rule for new user passwords: long enough, not a common password, not repetitive, not a keyboard row. */
import { COMMON_PASSWORDS } from './common-passwords.js';
import { MIN_PASSWORD } from './deps.js';

const COMMON = new Set(COMMON_PASSWORDS);
const KEYBOARD = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'abcdefghijklmnopqrstuvwxyz', 'qwertzuiop', 'azertyuiop'];

/** Why `password` is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD) return `the password must have at least ${MIN_PASSWORD} characters`;
  const lower = password.normalize('NFKC').toLowerCase();
  const base = lower.replace(/[\d\W_]+$/u, '');
  if (COMMON.has(lower) || COMMON.has(base) || COMMON.has(lower.replace(/[^a-z0-9]/g, ''))) return 'this password is one of the most common passwords';
  if (new Set(lower).size < 5) return 'the password repeats too few different characters';
  for (let n = 1; n <= 5; n++) {
    const unit = lower.slice(0, n);
    if (unit.repeat(Math.ceil(lower.length / n)).startsWith(lower)) return 'the password is one short sequence repeated';
  }
  if (isRun(lower)) return 'the password is a run of consecutive characters';
  for (const row of KEYBOARD) {
    for (const r of [row, [...row].reverse().join('')]) if (r.includes(lower) || (base.length >= 6 && r.includes(base))) return 'the password is a row of the keyboard or the alphabet';
  }
  return null;
}

/** Each character one above (or below) the one before: 0123456789, 9876543210, abcdefghij. */
function isRun(s: string): boolean {
  const codes = [...s].map((c) => c.codePointAt(0)!);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  if (Math.abs(step) !== 1) return false;
  return codes.every((c, i) => i === 0 || c - codes[i - 1]! === step);
}
