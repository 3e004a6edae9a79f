import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { applyGuard } from '../verify/guard.js';

/** `sluice guard --config F [--pipeline P] [--off]`: make the copied tables refuse writes by anyone but Sluice (or stop). */
export async function guardCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: {
    config: { type: 'string', short: 'c' },
    pipeline: { type: 'string' },
    off: { type: 'boolean', default: false },
  } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice guard --config sluice.yaml`');
  const cfg = await loadConfig(values.config);
  const results = await applyGuard(cfg, { ...(values.pipeline !== undefined ? { pipeline: values.pipeline } : {}), on: !values.off });
  for (const r of results) {
    process.stdout.write(`${r.pipeline}: ${values.off ? 'unguarded' : 'guarded'} ${r.tables.length} table(s)${r.tables.length ? `: ${r.tables.join(', ')}` : ''}\n`);
  }
  return 0;
}
