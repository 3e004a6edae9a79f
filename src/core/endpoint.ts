/** A server connection as its URL describes it (host, port, user, password, database, query options). */
export interface EndpointParts {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Default database from the URL path, if any. */
  database?: string;
  /** Query-string parameters of the URL as text (e.g. TLS settings). */
  options: Record<string, string>;
}
