/** BIT(n) values: big-endian bytes → number (or bigint beyond 2^53). */

/** Bytes a BIT column with `bits` total bits takes in a row image. */
export function bitBytes(bits: number): number {
  return (bits + 7) >> 3;
}

/** Decode `nbytes` big-endian bytes at `pos` as an unsigned integer: number when ≤ 2^53 − 1, else bigint. */
export function decodeBit(buf: Buffer, pos: number, nbytes: number): number | bigint {
  if (nbytes <= 6) {
    let v = 0;
    for (let i = 0; i < nbytes; i++) v = v * 256 + buf[pos + i]!;
    return v;
  }
  let v = 0n;
  for (let i = 0; i < nbytes; i++) v = (v << 8n) | BigInt(buf[pos + i]!);
  return v <= 9007199254740991n ? Number(v) : v;
}
