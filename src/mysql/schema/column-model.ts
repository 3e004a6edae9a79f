/**
 * A parsed column definition (`ColumnAst`) turned into the `SchemaColumn` information_schema would show for
 * it: the type name as DATA_TYPE, its character set and collation (from the column, else the table's
 * defaults), byte lengths, precision and scale, generated and invisible flags.
 */
import type { ColumnAst } from './ddl-ast.js';
import type { CharsetCatalog } from './charset-catalog.js';
import type { SchemaColumn } from './table-schema.js';

/** DATA_TYPE of every type name and synonym the parser may give (lower case). */
const SYNONYMS: Record<string, string> = {
  integer: 'int', int4: 'int', int1: 'tinyint', int2: 'smallint', int3: 'mediumint', middleint: 'mediumint', int8: 'bigint',
  bool: 'tinyint', boolean: 'tinyint', dec: 'decimal', numeric: 'decimal', fixed: 'decimal',
  'double precision': 'double', real: 'double', float4: 'float', float8: 'double',
  character: 'char', 'national char': 'char', 'national character': 'char', nchar: 'char',
  'character varying': 'varchar', 'char varying': 'varchar', 'national varchar': 'varchar', nvarchar: 'varchar',
  'nchar varchar': 'varchar', 'nchar varying': 'varchar', varcharacter: 'varchar',
  'long varchar': 'mediumtext', long: 'mediumtext', 'long varbinary': 'mediumblob',
};

const TEXT_TYPES = ['tinytext', 'text', 'mediumtext', 'longtext'];
const BLOB_TYPES = ['tinyblob', 'blob', 'mediumblob', 'longblob'];
const LOB_BYTES = [255, 65535, 16777215, 4294967295];
const STRING_TYPES = new Set(['char', 'varchar', ...TEXT_TYPES, 'enum', 'set']);
const BINARY_TYPES = new Set(['binary', 'varbinary', ...BLOB_TYPES]);
const INT_PRECISION: Record<string, [number, number]> = {
  tinyint: [3, 3], smallint: [5, 5], mediumint: [7, 8], int: [10, 10], bigint: [19, 20],
};

export interface TableDefaults {
  charset: string;
  collation: string;
}

/** The character set and collation a column gets: its own, else derived from the other, else the table's. */
export function columnCharset(ast: Pick<ColumnAst, 'charset' | 'collation'>, table: TableDefaults, catalog: CharsetCatalog): TableDefaults {
  const cs = ast.charset?.toLowerCase() === 'utf8' ? 'utf8mb3' : ast.charset?.toLowerCase() ?? null;
  const co = ast.collation?.toLowerCase() ?? null;
  if (cs !== null && co !== null) return { charset: cs, collation: co };
  if (cs !== null) return { charset: cs, collation: cs === table.charset ? table.collation : catalog.defaultCollation(cs) ?? `${cs}_general_ci` };
  if (co !== null) return { charset: catalog.charsetOf(co) ?? table.charset, collation: co };
  return table;
}

export function columnFromAst(ast: ColumnAst, table: TableDefaults, catalog: CharsetCatalog, inPrimaryKey: boolean): SchemaColumn {
  const t = ast.type;
  let dataType = SYNONYMS[t.name] ?? t.name;
  const nums = t.args === null || t.members !== undefined ? [] : t.args.split(',').map((x) => Number(x.trim())).filter((x) => Number.isFinite(x));
  let json = false;
  let cc: TableDefaults | null = null;
  if (dataType === 'json' && catalog.jsonAsText) {
    dataType = 'longtext';
    json = true;
    cc = { charset: 'utf8mb4', collation: 'utf8mb4_bin' };
  }
  if (dataType === 'float' && nums.length === 1 && nums[0]! > 24) dataType = 'double';
  // NATIONAL CHAR/VARCHAR, NCHAR, NVARCHAR: the server's national character set, utf8mb3.
  const national = t.name.startsWith('national') || t.name.startsWith('nchar') || t.name === 'nvarchar';
  if (STRING_TYPES.has(dataType)) cc ??= columnCharset(national && ast.charset === null ? { ...ast, charset: 'utf8mb3' } : ast, table, catalog);
  const maxLen = cc ? catalog.maxLen(cc.charset) ?? 4 : 1;
  // TEXT(n) / BLOB(n): the smallest type that holds n characters (bytes).
  if ((dataType === 'text' || dataType === 'blob') && nums.length === 1) {
    const bytes = nums[0]! * (dataType === 'text' ? maxLen : 1);
    const i = LOB_BYTES.findIndex((b) => b >= bytes);
    dataType = (dataType === 'text' ? TEXT_TYPES : BLOB_TYPES)[i < 0 ? 3 : i]!;
  }
  const binary = BINARY_TYPES.has(dataType);
  let octetLength: number | null = null;
  if (dataType === 'char' || dataType === 'varchar') octetLength = (nums[0] ?? 1) * maxLen;
  else if (dataType === 'binary' || dataType === 'varbinary') octetLength = nums[0] ?? 1;
  else if (TEXT_TYPES.includes(dataType)) octetLength = LOB_BYTES[TEXT_TYPES.indexOf(dataType)]!;
  else if (BLOB_TYPES.includes(dataType)) octetLength = LOB_BYTES[BLOB_TYPES.indexOf(dataType)]!;
  else if (dataType === 'enum' || dataType === 'set') {
    const members = t.members ?? [];
    const chars = dataType === 'enum' ? Math.max(0, ...members.map((m) => [...m].length)) : members.reduce((n, m) => n + [...m].length, 0) + Math.max(0, members.length - 1);
    octetLength = chars * maxLen;
  }
  let numericPrecision: number | null = null;
  let numericScale: number | null = null;
  if (INT_PRECISION[dataType]) { numericPrecision = INT_PRECISION[dataType]![t.unsigned ? 1 : 0]; numericScale = 0; }
  else if (dataType === 'decimal') { numericPrecision = nums[0] ?? 10; numericScale = nums[1] ?? 0; }
  else if (dataType === 'bit') numericPrecision = nums[0] ?? 1;
  else if (dataType === 'float') { numericPrecision = 12; numericScale = nums.length === 2 ? nums[1]! : null; }
  else if (dataType === 'double') { numericPrecision = 22; numericScale = nums.length === 2 ? nums[1]! : null; }
  const datetimePrecision = dataType === 'time' || dataType === 'datetime' || dataType === 'timestamp' ? nums[0] ?? 0 : null;
  const col: SchemaColumn = {
    name: ast.name,
    dataType,
    sqlType: sqlTypeText(dataType, t.args, t.unsigned, t.zerofill, t.name),
    unsigned: t.unsigned,
    nullable: inPrimaryKey || ast.inlinePrimaryKey ? false : ast.nullable ?? true,
    charset: binary ? 'binary' : cc?.charset ?? null,
    collation: binary ? 'binary' : cc?.collation ?? null,
    collationId: binary ? 63 : cc ? catalog.collationId(cc.collation) : null,
    octetLength,
    numericPrecision,
    numericScale,
    datetimePrecision,
    generated: ast.generated?.kind ?? null,
    visible: !ast.invisible,
  };
  if (t.members !== undefined) col.enumValues = [...t.members];
  if (json) col.json = true;
  return col;
}

function sqlTypeText(dataType: string, args: string | null, unsigned: boolean, zerofill: boolean, written: string): string {
  let s = dataType;
  if (written === 'bool' || written === 'boolean') s = 'tinyint(1)';
  else if (args !== null && !(dataType === 'year') && !TEXT_TYPES.includes(dataType) && !BLOB_TYPES.includes(dataType) && !(dataType === 'double' && written === 'float')) {
    s += `(${args.split(',').map((a) => a.trim()).join(',')})`;
  }
  if (unsigned) s += ' unsigned';
  if (zerofill) s += ' zerofill';
  return s;
}

/** Text types in order of size, for CONVERT TO CHARACTER SET (a column keeps as many characters). */
export function widerTextType(dataType: string, fromMaxLen: number, toMaxLen: number): string {
  const i = TEXT_TYPES.indexOf(dataType);
  if (i < 0 || toMaxLen <= fromMaxLen) return dataType;
  const chars = Math.floor(LOB_BYTES[i]! / fromMaxLen);
  const j = LOB_BYTES.findIndex((b) => b >= chars * toMaxLen);
  return TEXT_TYPES[j < 0 ? 3 : Math.max(i, j)]!;
}

export { STRING_TYPES, LOB_BYTES, TEXT_TYPES };
