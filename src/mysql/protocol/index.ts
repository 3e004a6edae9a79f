/** The replication session and server status queries. */
export * from './replication-session.js';
export type { ServerInfo, BinlogStatus } from './server-info.js';
export { readEventHeader, type BinlogCoordinates, type EventHeaderInfo } from './position-tracker.js';
