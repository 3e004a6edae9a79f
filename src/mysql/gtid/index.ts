/** GTID sets for both flavors. */
export * from './mysql-gtid-set.js';
export * from './mariadb-gtid-list.js';
