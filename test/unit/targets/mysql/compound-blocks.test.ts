import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compoundBlocks, supportsCompoundBlocks } from '../../../../src/targets/mysql/compound-blocks.js';

describe('compoundBlocks', () => {
  it('wraps runs of two or more DML statements; other statements end a run; a lone statement stays as it is', () => {
    const out = compoundBlocks([
      'REPLACE INTO `d`.`a` (`id`) VALUES (1)', 'DELETE FROM `d`.`b` WHERE `id` IN (2)',
      'SET SESSION foreign_key_checks = 1', 'UPDATE `d`.`c` SET `v`=1 WHERE `id`=1', 'SET SESSION foreign_key_checks = 0',
      'INSERT INTO `d`.`e` (`id`) VALUES (1)', 'REPLACE INTO `d`.`f` (`id`) VALUES (1)', 'REPLACE INTO `d`.`g` (`id`) VALUES (1)',
    ], 1 << 20);
    assert.deepEqual(out, [
      'BEGIN NOT ATOMIC\nREPLACE INTO `d`.`a` (`id`) VALUES (1);\nDELETE FROM `d`.`b` WHERE `id` IN (2);\nEND',
      'SET SESSION foreign_key_checks = 1', 'UPDATE `d`.`c` SET `v`=1 WHERE `id`=1', 'SET SESSION foreign_key_checks = 0',
      'BEGIN NOT ATOMIC\nINSERT INTO `d`.`e` (`id`) VALUES (1);\nREPLACE INTO `d`.`f` (`id`) VALUES (1);\nREPLACE INTO `d`.`g` (`id`) VALUES (1);\nEND',
    ]);
  });

  it('cuts blocks at maxBytes, keeping statement order', () => {
    const statements = Array.from({ length: 10 }, (_, i) => `REPLACE INTO \`d\`.\`t${i}\` (\`id\`) VALUES (${i})`);
    const out = compoundBlocks(statements, statements[0]!.length * 3 + 6);
    assert.equal(out.length, 4);
    assert.deepEqual(out.flatMap((b) => b.replace(/^BEGIN NOT ATOMIC\n|;\nEND$/g, '').split(';\n')), statements);
    assert.equal(out[3], statements[9]);
  });

  it('MariaDB from 10.1.1 on only', () => {
    assert.equal(supportsCompoundBlocks('10.11.19-MariaDB-0+deb12u1'), true);
    assert.equal(supportsCompoundBlocks('11.4.2-MariaDB'), true);
    assert.equal(supportsCompoundBlocks('10.1.1-MariaDB'), true);
    assert.equal(supportsCompoundBlocks('10.0.38-MariaDB'), false);
    assert.equal(supportsCompoundBlocks('8.0.36'), false);
    assert.equal(supportsCompoundBlocks('5.5.5-10.11.6-MariaDB'), true);
  });
});
