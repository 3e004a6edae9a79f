/** The control-plane store (SQLite): see store.ts. */
export * from './store.js';
export { SecretBox } from './secret-box.js';
export { hashPassword, verifyPassword, DUMMY_HASH } from './passwords.js';
export { importConfig, exportConfig, exportConfigText, passwordEnvName } from './config-sync.js';
