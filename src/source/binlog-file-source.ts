import { basename } from 'node:path';
import { BinlogDecoder } from '../mysql/binlog/decoder.js';
import { readBinlogFile } from '../mysql/binlog/binlog-file.js';
import type { ColumnResolver } from '../mysql/binlog/column-resolver.js';
import { TransactionAssembler } from './transaction-assembler.js';
import type { SourceMessage } from '../core/types.js';

export interface BinlogFileSourceOptions {
  filter?: (db: string, table: string) => boolean;
  maxChangesPerPart?: number;
  /** Names/details for tables whose TABLE_MAP has none (else columns are `@1`, `@2`, …). */
  columnResolver?: ColumnResolver;
}

/**
 * The messages of one binlog file on disk (the same transactions, DDL and positions a live stream of
 * that file would give), read with bounded memory.
 */
export async function* readBinlogFileMessages(path: string, opts: BinlogFileSourceOptions = {}): AsyncGenerator<SourceMessage> {
  const decoder = new BinlogDecoder({ columnResolver: opts.columnResolver });
  let assembler: TransactionAssembler | null = null;
  for await (const { event, position } of readBinlogFile(path, { decoder })) {
    // The flavor is known once the FORMAT_DESCRIPTION (the first event) is decoded.
    assembler ??= new TransactionAssembler({
      flavor: decoder.flavor,
      startPosition: { file: basename(path), pos: 4 },
      maxChangesPerPart: opts.maxChangesPerPart,
      filter: opts.filter,
    });
    const msgs = assembler.push(event, position);
    for (const m of msgs) yield m;
  }
}
