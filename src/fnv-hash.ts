/** FNV-1a 32-bit hash of a string's UTF-16 code units: stable names and ids derived from user-given names. */
export function fnv1a32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
