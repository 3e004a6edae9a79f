/**
 * `${ENV_VAR}` substitution in the string values of a parsed config document. Substitution happens
 * after parsing, so a value containing YAML syntax (`#`, `:`, quotes) cannot change the document's
 * structure. `$${X}` is an escape for a literal `${X}`.
 */
import { ConfigProblem } from './config-problem.js';
import type { ConfigPath } from './config-path.js';

const PLACEHOLDER = /\$(\$?)\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Keys whose values are URLs with credentials: substituted parts (other than a whole-value `${X}`) are
 * percent-encoded (`url` of sources/targets, `smtp` of alerts.email). `alerts.webhook` is not: a substituted
 * part there is usually a path (a Slack token `T0/B0/xyz`), whose slashes must stay.
 */
const URL_KEYS = new Set(['url', 'smtp']);

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Walk a parsed document and return a copy with every `${NAME}` replaced from `env`. Collects one
 * problem per missing or malformed variable (naming the key path and the variable, never a value).
 */
export function substituteEnv(doc: unknown, env: Env, problems: ConfigProblem[], path: ConfigPath = []): unknown {
  if (typeof doc === 'string') return substituteString(doc, env, problems, path);
  if (Array.isArray(doc)) return doc.map((v, i) => substituteEnv(v, env, problems, [...path, i]));
  if (doc !== null && typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) out[k] = substituteEnv(v, env, problems, [...path, k]);
    return out;
  }
  return doc;
}

function substituteString(s: string, env: Env, problems: ConfigProblem[], path: ConfigPath): string {
  const last = path[path.length - 1];
  const isUrl = typeof last === 'string' && URL_KEYS.has(last);
  const whole = /^\$\{[^}]*\}$/.test(s);
  return s.replace(PLACEHOLDER, (match, escape: string, name: string) => {
    if (escape) return match.slice(1);
    if (!VAR_NAME.test(name)) {
      problems.push(new ConfigProblem(path, `'\${${name}}' is not a valid environment variable reference`,
        'write ${NAME} with letters, digits and underscores (or $${…} for a literal ${…})'));
      return '';
    }
    const value = env[name];
    if (value === undefined) {
      problems.push(new ConfigProblem(path, `environment variable ${name} is not set`,
        `export ${name} before starting sluice (an empty value is allowed: export ${name}=)`));
      return '';
    }
    return isUrl && !whole ? encodeURIComponent(value) : value;
  });
}

