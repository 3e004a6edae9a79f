/** Test helpers usable by tests, demos and benchmarks. */
export * from './mariadb-server.js';
export * from './seeded-random.js';
export * from './tcp-proxy.js';
export * from './serve-node.js';
export * from './cluster-bed.js';
