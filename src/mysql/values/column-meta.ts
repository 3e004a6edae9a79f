// STUB — to be implemented by the values work. Signature is the contract the event decoder uses.

/**
 * Parse the per-column metadata block of a TABLE_MAP event.
 * `types` are the raw column type bytes; `meta` is the metadata block (after its length prefix).
 * Returns for each column the real type (STRING columns that are ENUM/SET become ENUM/SET;
 * CHAR lengths over 255 are decoded) and one metadata number as documented on ColumnDef.meta.
 */
export function parseColumnMeta(types: Buffer, meta: Buffer): { types: number[]; metas: number[] } {
  void types; void meta;
  throw new Error('not implemented');
}
