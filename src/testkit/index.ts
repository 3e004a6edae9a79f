/** Test helpers usable by tests, demos and benchmarks. */
export * from './mariadb-server.js';
