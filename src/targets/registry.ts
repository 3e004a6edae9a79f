/**
 * The registry of target kinds: one line per kind. Everything kind-specific outside a kind's folder goes through
 * here — config validation (`targetConfigSchema`), the store's endpoint URLs, the API and its OpenAPI document, the
 * connection test and preflight, the UI's endpoint form (GET /api/target-kinds) and the docs (`targetKindsMarkdown`).
 */
import { z } from 'zod';
import { SluiceError } from '../errors.js';
import type { TargetKind, TargetKindConfig } from './kind.js';
import type { TargetFactory } from './target.js';
import { MYSQL_KIND } from './mysql/kind.js';
import { POSTGRES_KIND } from './postgres/kind.js';

/** Every target kind Sluice knows, in the order the UI and the docs list them. */
export const TARGET_KINDS: readonly TargetKind[] = [
  MYSQL_KIND,
  POSTGRES_KIND,
];

/** Every `type` value a target may have (each kind's main type and its aliases: what the config accepts). */
export function targetTypes(): string[] {
  return TARGET_KINDS.flatMap((k) => [...k.types]);
}

/** A kind's type as a user reads it: its main type, with the aliases the config also accepts: `mysql (or mariadb)`. */
export function kindTypeText(kind: TargetKind, code: (t: string) => string = (t) => t): string {
  const [main, ...aliases] = kind.types;
  return aliases.length === 0 ? code(main) : `${code(main)} (or ${aliases.map(code).join(', ')})`;
}

/** The kinds for a message, one entry each: `mysql (or mariadb), postgres (or postgresql)`. */
export function targetTypesText(): string {
  return TARGET_KINDS.map((k) => kindTypeText(k)).join(', ');
}

/** The kind of a target `type`, or null. */
export function findTargetKind(type: string): TargetKind | null {
  return TARGET_KINDS.find((k) => k.types.includes(type)) ?? null;
}

/** The kind of a target `type`; BAD_CONFIG naming the known types when there is none. */
export function targetKind(type: string): TargetKind {
  const kind = findTargetKind(type);
  if (!kind) {
    throw new SluiceError('BAD_CONFIG', `unknown target type '${type}'`, `use one of: ${targetTypesText()}`, { type });
  }
  return kind;
}

/** The target maker of one pipeline, by the target's kind. */
export function targetFactory(target: TargetKindConfig, shared: { parallelism?: number } = {}): TargetFactory {
  return targetKind(target.type).factory(target, shared);
}

/** A config file's target block as every kind has it (a kind may add keys). */
export interface TargetBlock { type: string; url: string; checkpointDatabase?: string | undefined }

/** The zod schema of a config file's target block: `type` picks the kind, whose own schema checks the rest. */
export function targetConfigSchema(): z.ZodType<TargetBlock> {
  return z.looseObject({ type: z.enum(targetTypes() as [string, ...string[]]) }).superRefine((v, ctx) => {
    const r = targetKind(v.type).configSchema.safeParse(v);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue(issue as unknown as Parameters<typeof ctx.addIssue>[0]);
  }) as unknown as z.ZodType<TargetBlock>;
}

/** Every key any kind's target block may have (for "did you mean" hints). */
export function targetConfigKeys(): string[] {
  return [...new Set(TARGET_KINDS.flatMap((k) => Object.keys(k.configSchema.shape)))];
}

/** The docs' table of target kinds (docs/targets.md between its markers; a unit test keeps it current). */
export function targetKindsMarkdown(): string {
  const lines = ['| type | kind | URL | checkpoint | config keys |', '|---|---|---|---|---|'];
  for (const k of TARGET_KINDS) {
    lines.push(`| ${kindTypeText(k, (t) => `\`${t}\``)} | ${k.title} | \`${k.endpoint.schemes[0]}://user:pass@host:${k.endpoint.defaultPort}/\` | ${k.checkpointPlace} \`checkpointDatabase\` (default \`_sluice\`) | ${Object.keys(k.configSchema.shape).map((x) => `\`${x}\``).join(', ')} |`);
  }
  lines.push('');
  for (const k of TARGET_KINDS) lines.push(`- **${k.title}** — ${k.description}`);
  return lines.join('\n');
}
