/**
 * Parse and validate a Sluice config document (YAML or JSON): syntax → `${ENV}` substitution → schema and
 * cross-references (pipeline source/target exist, unique pipeline names, URLs, table patterns), both in one
 * run. Every problem is reported with its key path and a fix; values (which may be secrets) are never echoed.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SluiceError } from '../errors.js';
import { checkWebhookUrl, isEmailAddress, parseSmtpUrl, splitList, type AlertSettingsInput, type SmtpSettings } from './alert-settings.js';
import { splitTablePattern } from '../source/table-filter.js';
import { ConfigProblem, configError } from './config-problem.js';
import type { ConfigPath } from './config-path.js';
import { substituteEnv, type Env } from './env-substitution.js';
import { parseMysqlUrl } from '../mysql/mysql-url.js';
import { alertEmailSchema, alertsSchema, configSchema, KNOWN_KEYS, pipelineSchema, sourceSchema, type RawConfig } from './schema.js';
import { attachRedaction } from './redact.js';
import { findTargetKind, targetKind, targetTypesText, type TargetBlock } from '../targets/registry.js';
import {
  DEFAULT_CHECKPOINT_DATABASE, DEFAULT_TUNING, type PipelineConfig, type SluiceConfig, type SourceConfig,
  type TargetConfig, type TuningConfig,
} from './types.js';

export interface ParseConfigOptions {
  /** `yaml` (default; also reads JSON) or `json` (strict JSON). */
  format?: 'yaml' | 'json';
  /** Environment for `${VAR}` (default process.env). */
  env?: Env;
  /** File name for messages. */
  origin?: string;
}

const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SOURCE_OR_TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Read and validate a config file; `.json` files are read as strict JSON, anything else as YAML. */
export async function loadConfig(path: string, opts: Omit<ParseConfigOptions, 'origin'> = {}): Promise<SluiceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SluiceError('BAD_CONFIG', `cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}`,
      'pass the path of an existing, readable YAML or JSON file with --config', { path }, { cause: err });
  }
  const format = opts.format ?? (extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
  return parseConfig(text, { ...opts, format, origin: path });
}

/** Parse and validate config text. Throws a BAD_CONFIG SluiceError listing every problem. */
export function parseConfig(text: string, opts: ParseConfigOptions = {}): SluiceConfig {
  const origin = opts.origin ?? '';
  const doc = parseSyntax(text, opts.format ?? 'yaml', origin);
  const problems: ConfigProblem[] = [];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw configError(origin, [new ConfigProblem([], 'the config must be a mapping with sources, targets and pipelines',
      'start from the example in the README: sources:, targets:, pipelines:')]);
  }
  const substituted = substituteEnv(doc, opts.env ?? process.env, problems);
  const parsed = configSchema.safeParse(substituted);
  // A key already reported (a variable that is not set) is not reported again for what follows from it.
  const add = (more: ConfigProblem[]): void => {
    const reported = [...problems];
    problems.push(...more.filter((p) => !reported.some((r) => isWithin(p.path, r.path))));
  };
  if (!parsed.success) add(parsed.error.issues.flatMap((issue) => describeIssue(issue, substituted)));
  // The cross-references, names, URLs and patterns are checked too, on what of the document the schema
  // accepts (all of it, or field by field when some of it is wrong), so that one run reports every problem.
  const semantic: ConfigProblem[] = [];
  const cfg = normalize(parsed.success ? parsed.data : salvage(substituted as Record<string, unknown>), semantic);
  add(semantic);
  if (problems.length > 0) throw configError(origin, problems);
  return cfg;
}

/** Whether `path` is `outer` or a key below it. */
function isWithin(path: ConfigPath, outer: ConfigPath): boolean {
  return outer.length <= path.length && outer.every((k, i) => k === path[i]);
}

/** The raw config with each block's fields optional: what the checks of normalize() can read of any document. */
interface LenientConfig {
  /** Absent when `sources:` is not a mapping (then pipelines' source names cannot be checked). */
  sources?: Record<string, Partial<RawConfig['sources'][string]>>;
  targets?: Record<string, Partial<TargetBlock>>;
  pipelines: Array<Partial<RawConfig['pipelines'][number]>>;
  tuning?: RawConfig['tuning'];
  alerts?: RawConfig['alerts'];
}

/**
 * What of a document that failed the schema can still be checked: every source, target and pipeline by its
 * name, with the fields its schema accepts one by one (a wrong field is left out: the schema reported it).
 */
function salvage(doc: Record<string, unknown>): LenientConfig {
  const blocks = (v: unknown): Array<[string, unknown]> | undefined => (isMapping(v) ? Object.entries(v) : undefined);
  const sources = blocks(doc['sources'])?.map(([name, s]) => [name, acceptedFields(sourceSchema, s)] as const);
  const targets = blocks(doc['targets'])?.map(([name, t]) => {
    const type = isMapping(t) ? t['type'] : undefined;
    const kind = typeof type === 'string' ? findTargetKind(type) : null;
    return [name, kind ? acceptedFields(kind.configSchema, t) : {}] as const;
  });
  const alerts = doc['alerts'];
  const email = isMapping(alerts) && isMapping(alerts['email']) ? alerts['email'] : undefined;
  const emailFields = email ? acceptedFields(alertEmailSchema, email) : {};
  return {
    ...(sources ? { sources: Object.fromEntries(sources) } : {}),
    ...(targets ? { targets: Object.fromEntries(targets) as Record<string, Partial<TargetBlock>> } : {}),
    pipelines: Array.isArray(doc['pipelines']) ? doc['pipelines'].map((p) => acceptedFields(pipelineSchema, p)) : [],
    ...(isMapping(alerts) ? {
      // An email block whose every field was wrong is left out, not checked as an empty one.
      alerts: { ...acceptedFields(alertsSchema, alerts), ...(email && (Object.keys(emailFields).length > 0 || Object.keys(email).length === 0) ? { email: emailFields } : {}) },
    } : {}),
  };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The fields of `value` that the object schema `schema` accepts one by one. */
function acceptedFields<S extends z.ZodObject>(schema: S, value: unknown): Partial<z.infer<S>> {
  const out: Record<string, unknown> = {};
  if (!isMapping(value)) return out as Partial<z.infer<S>>;
  for (const [key, field] of Object.entries(schema.shape)) {
    const r = (field as z.ZodType).safeParse(value[key]);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out as Partial<z.infer<S>>;
}

function parseSyntax(text: string, format: 'yaml' | 'json', origin: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw configError(origin, [new ConfigProblem([], `invalid JSON: ${(err as Error).message}`, 'fix the JSON syntax at the position shown')]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const at = pos ? `line ${pos.line}, column ${pos.col}` : `offset ${e.pos[0]}`;
    const msg = e.message.split('\n')[0] ?? e.message;
    throw configError(origin, [new ConfigProblem([], `invalid YAML at ${at}: ${msg}`,
      'fix the YAML syntax there (check indentation, and quote values containing ": " or " #")')]);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

type Issue = z.ZodError['issues'][number];

function valueAt(doc: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/** Which kind of object a path points into, for listing its known keys. */
function objectKind(path: ReadonlyArray<PropertyKey>): keyof typeof KNOWN_KEYS {
  if (path.length === 0) return 'top';
  if (path[path.length - 1] === 'tuning') return 'tuning';
  if (path[0] === 'alerts') return path.length === 1 ? 'alerts' : 'alertEmail';
  if (path[0] === 'sources') return 'source';
  if (path[0] === 'targets') return 'target';
  return 'pipeline';
}

function toPath(path: ReadonlyArray<PropertyKey>): ConfigPath {
  return path.map((p) => (typeof p === 'number' ? p : String(p)));
}

function describeIssue(issue: Issue, doc: unknown): ConfigProblem[] {
  const path = toPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = KNOWN_KEYS[objectKind(issue.path)];
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        return new ConfigProblem([...path, key], 'unknown key',
          `${guess ? `did you mean '${guess}'? ` : ''}allowed keys here: ${known.join(', ')}`);
      });
    }
    case 'invalid_type': {
      const got = valueAt(doc, issue.path);
      if (got === undefined) {
        return [new ConfigProblem(path, 'required key is missing', `add ${String(issue.path[issue.path.length - 1] ?? 'it')}: (${expectedText(issue.expected)})`)];
      }
      return [new ConfigProblem(path, `expected ${expectedText(issue.expected)}, got ${kindOf(got)}`, `write ${expectedText(issue.expected)} here`)];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      const got = valueAt(doc, issue.path);
      const gotText = typeof got === 'string' && got.length <= 40 ? ` '${got}'` : '';
      const guess = typeof got === 'string' ? closest(got, allowed) : undefined;
      // A target's type: one entry per kind, with its aliases (`mysql (or mariadb)`), not every alias as a kind of its own.
      const choices = objectKind(issue.path) === 'target' && path[path.length - 1] === 'type' ? targetTypesText() : allowed.join(', ');
      return [new ConfigProblem(path, `unsupported value${gotText}`, `${guess ? `did you mean '${guess}'? ` : ''}use one of: ${choices}`)];
    }
    case 'too_small': {
      if (issue.origin === 'array') return [new ConfigProblem(path, 'the list is empty', `list at least ${String(issue.minimum)} entry`)];
      if (issue.origin === 'string') return [new ConfigProblem(path, 'the value is empty', 'write a non-empty value')];
      return [new ConfigProblem(path, `must be at least ${String(issue.minimum)}`, `use a value ≥ ${String(issue.minimum)}`)];
    }
    case 'too_big':
      return [new ConfigProblem(path, `must be at most ${String(issue.maximum)}`, `use a value ≤ ${String(issue.maximum)}`)];
    default:
      return [new ConfigProblem(path, issue.message, 'see the configuration reference in the README')];
  }
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'object': case 'record': return 'a mapping';
    case 'array': return 'a list';
    case 'int': return 'an integer';
    default: return `a ${expected}`;
  }
}

/** The known word within edit distance 2 of `word`, if any. */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) { best = k; bestD = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * Checks what the schema cannot (names, URLs, cross-references, table patterns, alert settings) and builds
 * the config. Reads a lenient document: a field that is absent (left out by salvage()) is not checked, and the
 * config built from such a document is not used.
 */
function normalize(raw: LenientConfig, problems: ConfigProblem[]): SluiceConfig {
  const sources: Record<string, SourceConfig> = {};
  for (const [name, s] of Object.entries(raw.sources ?? {})) {
    if (!SOURCE_OR_TARGET_NAME.test(name)) {
      problems.push(new ConfigProblem(['sources', name], 'invalid source name', 'use letters, digits, _ . - (at most 64 characters)'));
    }
    if (s.url === undefined || s.type === undefined) continue;
    const url = parseMysqlUrl(s.url);
    if (!url.ok) { problems.push(new ConfigProblem(['sources', name, 'url'], url.message, url.fix)); continue; }
    sources[name] = attachRedaction({ name, type: s.type, url: s.url, connection: url.value, ...(s.serverId !== undefined ? { serverId: s.serverId } : {}) });
  }
  const targets: Record<string, TargetConfig> = {};
  for (const [name, t] of Object.entries(raw.targets ?? {})) {
    if (!SOURCE_OR_TARGET_NAME.test(name)) {
      problems.push(new ConfigProblem(['targets', name], 'invalid target name', 'use letters, digits, _ . - (at most 64 characters)'));
    }
    const checkpointDatabase = t.checkpointDatabase ?? DEFAULT_CHECKPOINT_DATABASE;
    checkIdentifier(checkpointDatabase, ['targets', name, 'checkpointDatabase'], problems);
    if (t.url === undefined || t.type === undefined) continue;
    const url = targetKind(t.type).endpoint.parseUrl(t.url);
    if (!url.ok) { problems.push(new ConfigProblem(['targets', name, 'url'], url.message, url.fix)); continue; }
    targets[name] = attachRedaction({ name, type: t.type, url: t.url, connection: url.value, checkpointDatabase });
  }
  if (raw.sources && Object.keys(raw.sources).length === 0) problems.push(new ConfigProblem(['sources'], 'no sources defined', 'define at least one source under sources:'));
  if (raw.targets && Object.keys(raw.targets).length === 0) problems.push(new ConfigProblem(['targets'], 'no targets defined', 'define at least one target under targets:'));

  const baseTuning: TuningConfig = { ...DEFAULT_TUNING, ...stripUndefined(raw.tuning ?? {}) };
  const seen = new Map<string, number>();
  const pipelines: PipelineConfig[] = raw.pipelines.map((p, i) => {
    const { name = '', source = '', target = '', tables = [] } = p;
    if (p.name !== undefined) {
      if (!PIPELINE_NAME.test(name)) {
        problems.push(new ConfigProblem(['pipelines', i, 'name'], `invalid pipeline name '${name.slice(0, 80)}'`,
          'use 1-64 letters, digits, _ . - starting with a letter or digit'));
      }
      const dup = seen.get(name);
      if (dup !== undefined) {
        problems.push(new ConfigProblem(['pipelines', i, 'name'], `duplicate pipeline name '${name}' (also pipelines[${dup}])`,
          'give every pipeline a unique name (it keys the checkpoint on the target)'));
      } else seen.set(name, i);
    }
    if (p.source !== undefined && raw.sources && !(source in raw.sources)) {
      problems.push(new ConfigProblem(['pipelines', i, 'source'], `unknown source '${source}' — defined sources: ${Object.keys(raw.sources).join(', ') || '(none)'}`,
        'use one of the names under sources:, or define this source there'));
    }
    if (p.target !== undefined && raw.targets && !(target in raw.targets)) {
      problems.push(new ConfigProblem(['pipelines', i, 'target'], `unknown target '${target}' — defined targets: ${Object.keys(raw.targets).join(', ') || '(none)'}`,
        'use one of the names under targets:, or define this target there'));
    }
    checkPatterns(tables, ['pipelines', i, 'tables'], problems);
    checkPatterns(p.exclude ?? [], ['pipelines', i, 'exclude'], problems);
    if (p.targetDatabase !== undefined) checkIdentifier(p.targetDatabase, ['pipelines', i, 'targetDatabase'], problems);
    const tuning: TuningConfig = { ...baseTuning, ...stripUndefined(p.tuning ?? {}) };
    return {
      name, source, target, tables: [...tables], exclude: [...(p.exclude ?? [])],
      ...(p.targetDatabase !== undefined ? { targetDatabase: p.targetDatabase } : {}),
      snapshot: p.snapshot ?? 'initial', ddl: p.ddl ?? 'apply', tuning,
    };
  });
  const cfg: SluiceConfig = { sources, targets, pipelines };
  if (raw.alerts) cfg.alerts = normalizeAlerts(raw.alerts, problems);
  return attachRedaction(cfg);
}

/**
 * `alerts:` → the settings layer it declares, checked with the rules of the API and the flags
 * (checkWebhookUrl, parseSmtpUrl, e-mail addresses). Only the fields written in the file are set.
 */
function normalizeAlerts(a: NonNullable<RawConfig['alerts']>, problems: ConfigProblem[]): AlertSettingsInput {
  const out: AlertSettingsInput = {};
  const check = <T>(path: ConfigPath, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      problems.push(new ConfigProblem(path, err.message, err.fix));
      return undefined;
    }
  };
  if (a.webhook !== undefined) {
    const url = check(['alerts', 'webhook'], () => checkWebhookUrl(a.webhook!));
    if (url !== undefined) out.webhookUrl = url;
  }
  if (a.email) {
    const e = a.email;
    const smtp: Partial<SmtpSettings> = {};
    if (e.smtp === undefined && e.to === undefined && e.from === undefined) {
      problems.push(new ConfigProblem(['alerts', 'email'], 'the email section is empty',
        'write smtp: (smtp://user:password@host:587 or smtps://…:465) and to: (the recipients), or remove email:'));
    }
    if (e.smtp !== undefined) {
      const parsed = check(['alerts', 'email', 'smtp'], () => parseSmtpUrl(e.smtp!));
      if (parsed && !parsed.host) {
        problems.push(new ConfigProblem(['alerts', 'email', 'smtp'], 'the SMTP URL has no host', 'use smtp://user:password@host:587 or smtps://user:password@host:465'));
      } else if (parsed) Object.assign(smtp, parsed);
    }
    if (e.to !== undefined) {
      const list = typeof e.to === 'string' ? splitList(e.to) : e.to.flatMap(splitList);
      if (list.length === 0) problems.push(new ConfigProblem(['alerts', 'email', 'to'], 'no recipient', 'list at least one e-mail address'));
      list.forEach((addr, i) => {
        if (!isEmailAddress(addr)) {
          problems.push(new ConfigProblem(typeof e.to === 'string' ? ['alerts', 'email', 'to'] : ['alerts', 'email', 'to', i],
            `recipient ${i + 1} is not an e-mail address`, 'write addresses like ops@example.com, as a list or separated by commas'));
        }
      });
      smtp.to = list;
    }
    if (e.from !== undefined) {
      if (!/@/.test(e.from)) problems.push(new ConfigProblem(['alerts', 'email', 'from'], 'the sender is not an e-mail address', 'write e.g. sluice@example.com or "Sluice <sluice@example.com>"'));
      else smtp.from = e.from;
    }
    if (Object.keys(smtp).length > 0) out.smtp = smtp;
  }
  if (a.lagSeconds !== undefined) out.lagSeconds = a.lagSeconds;
  if (a.lagForSeconds !== undefined) out.lagForSeconds = a.lagForSeconds;
  if (a.purgeWarnFiles !== undefined) out.purgeWarnFiles = a.purgeWarnFiles;
  if (a.nodeLostSeconds !== undefined) out.nodeLostSeconds = a.nodeLostSeconds;
  if (a.ownerlessSeconds !== undefined) out.ownerlessSeconds = a.ownerlessSeconds;
  return out;
}

function checkPatterns(patterns: readonly string[], path: ConfigPath, problems: ConfigProblem[]): void {
  patterns.forEach((pattern, j) => {
    try {
      splitTablePattern(pattern);
    } catch (err) {
      const e = err as SluiceError;
      problems.push(new ConfigProblem([...path, j], e.message, e.fix));
    }
  });
}

function checkIdentifier(name: string, path: ConfigPath, problems: ConfigProblem[]): void {
  if (name.length > 64 || /[\0/\\.]/.test(name) || name !== name.trim()) {
    problems.push(new ConfigProblem(path, `'${name.slice(0, 80)}' is not a valid database name`,
      'use at most 64 characters, without dots, slashes, NUL or surrounding spaces'));
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
