/**
 * A target kind (MySQL/MariaDB, PostgreSQL, …) as the rest of Sluice sees it: everything that differs per kind is
 * declared here, once, in the kind's own folder (`targets/<kind>/kind.ts`), and listed in `registry.ts`. The config
 * validation, the store's endpoints, the API and its OpenAPI document, the connection test, the preflight, the
 * UI's endpoint form and the docs all read the registry; the pipeline gets its targets from `factory`.
 */
import type { z } from 'zod';
import type { CheckResult } from '../core/check-result.js';
import type { EndpointParts } from '../core/endpoint.js';
import type { SourceTable, TableRef, TargetFactory } from './target.js';

/** A target's connection as the store keeps it and the endpoint form edits it (the URL's parts). */
export type { EndpointParts } from '../core/endpoint.js';

/** One field of the endpoint form (UI wizard, API body, docs). */
export interface EndpointField {
  /** The key in the API body and the store (`host`, `port`, `user`, `password`, `database`, `checkpointDatabase`). */
  name: 'host' | 'port' | 'user' | 'password' | 'database' | 'checkpointDatabase';
  label: string;
  input: 'text' | 'number' | 'password';
  required: boolean;
  /** Shown as the placeholder, and used when the field is left empty. */
  default?: string | number;
  help?: string;
}

/** A target as a kind needs it: the validated config block (the config module's TargetConfig is a superset). */
export interface TargetKindConfig {
  /** One of the kind's `types`. */
  type: string;
  url: string;
  /** Where the kind keeps the checkpoint and the snapshot progress (a database, a schema). */
  checkpointDatabase: string;
}

/** What the pipeline preflight asks the target kind about (read-only). */
export interface PipelineTargetCheck {
  pipeline: string;
  /** Target database (schema) for every table; default: the source table's database. */
  targetDatabase?: string;
  /** The source tables in scope. */
  tables: readonly TableRef[];
  /** The pipeline starts over (resync): an old checkpoint and the existing tables' definitions do not matter. */
  resync: boolean;
  /** The source's model of some of `tables` (for comparing existing target tables with it). */
  sourceTables(tables: readonly TableRef[]): Promise<SourceTable[]>;
}

export interface PipelineTargetCheckResult {
  results: CheckResult[];
  /** The pipeline's saved checkpoint position on the target, null on a first run. */
  saved: { file: string; pos: string } | null;
}

export interface TargetKind {
  /** The config's `type` values of this kind (the first is the main one): `mysql`, `mariadb`. */
  readonly types: readonly [string, ...string[]];
  /** Human name (UI, docs): `MySQL / MariaDB`. */
  readonly title: string;
  /** One paragraph for the docs: what the kind does and needs. */
  readonly description: string;
  /** The target block of the config file for this kind (`type`, `url`, … — strict: unknown keys are errors). */
  readonly configSchema: z.ZodObject;
  /** Where its checkpoint lives, for the docs and the form (`database`, `schema`). */
  readonly checkpointPlace: string;
  readonly endpoint: {
    /** URL scheme(s), the first used when building a URL: `mysql`. */
    schemes: readonly [string, ...string[]];
    defaultPort: number;
    fields: readonly EndpointField[];
    /** The URL of stored parts (`passwordText` replaces the password, e.g. `***` for display). */
    url(parts: EndpointParts, passwordText?: string): string;
    parseUrl(url: string): { ok: true; value: EndpointParts } | { ok: false; message: string; fix: string };
    /** Check the URL's query options (e.g. TLS): an error message and fix, or null when fine. */
    checkOptions?(options: Record<string, string>): { message: string; fix: string } | null;
  };
  /** Preflight of a target (also the API's connection test): reachable, privileges on the checkpoint place. Read-only. */
  checkTarget(config: TargetKindConfig): Promise<CheckResult[]>;
  /** The target side of a pipeline's preflight: existing tables compatible, privileges, the saved checkpoint. Read-only. */
  checkPipeline(config: TargetKindConfig, check: PipelineTargetCheck): Promise<PipelineTargetCheckResult>;
  /** The target maker of one pipeline (`parallelism`: connections a target may use at once, e.g. creating tables). */
  factory(config: TargetKindConfig, shared: { parallelism?: number }): TargetFactory;
}
