import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { preflight } from '../preflight/preflight.js';

/** `sluice check --config FILE`: validate the config and run the preflight checks on every source and target. */
export async function checkCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice check --config sluice.yaml`');
  const cfg = await loadConfig(values.config);
  process.stdout.write(`config ${values.config}: OK (${Object.keys(cfg.sources).length} sources, ${Object.keys(cfg.targets).length} targets, ${cfg.pipelines.length} pipelines)\n`);
  let failures = 0;
  for (const f of await preflight(cfg)) {
    const r = f.result;
    const mark = r.ok ? (r.warn ? 'WARN' : 'ok  ') : 'FAIL';
    if (!r.ok) failures++;
    process.stdout.write(`${mark} ${f.name}: ${r.code && (!r.ok || r.warn) ? `${r.code}: ` : ''}${r.what}${r.fix ? `\n     fix: ${r.fix}` : ''}\n`);
  }
  return failures > 0 ? 1 : 0;
}
