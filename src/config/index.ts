/** Sluice configuration: loading, validation, secrets redaction. */
export { loadConfig, parseConfig, type ParseConfigOptions } from './parse-config.js';
export { redactConfig, REDACTED } from './redact.js';
export {
  parseMysqlUrl, parseTlsOptions, SSL_MODES, URL_PARAMETERS, type MysqlConnectionOptions, type SslMode, type TlsParseResult, type TlsSettings,
  type UrlParseResult,
} from '../mysql/mysql-url.js';
export type { Env } from './env-substitution.js';
export {
  DEFAULT_CHECKPOINT_DATABASE, DEFAULT_TUNING, type DdlPolicy, type PipelineConfig, type SluiceConfig, type SnapshotMode,
  type SourceConfig, type TargetConfig, type TuningConfig,
} from './types.js';
