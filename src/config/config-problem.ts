/** One thing wrong with a config file, and the error that gathers all of them. */
import { SluiceError } from '../errors.js';
import { formatPath, type ConfigPath } from './config-path.js';

export class ConfigProblem {
  constructor(readonly path: ConfigPath, readonly message: string, readonly fix: string) {}
  /** `pipelines[0].source: unknown source 'prods' — defined sources: products` */
  toString(): string {
    return `${formatPath(this.path)}: ${this.message}`;
  }
}

/** A BAD_CONFIG error listing every problem found (each with its key path); never contains secrets. */
export function configError(origin: string, problems: readonly ConfigProblem[]): SluiceError {
  const where = origin ? `${origin}: ` : '';
  const first = problems[0]!;
  const message = problems.length === 1
    ? `${where}${first.toString()}`
    : `${where}${problems.length} problems:\n` + problems.map((p) => `  - ${p.toString()} (fix: ${p.fix})`).join('\n');
  const fix = problems.length === 1 ? first.fix : 'correct each key listed above, then run `sluice check --config FILE`';
  return new SluiceError('BAD_CONFIG', message, fix, {
    problems: problems.map((p) => ({ path: formatPath(p.path), message: p.message, fix: p.fix })),
  });
}
