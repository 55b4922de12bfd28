import { ClientConfig, types as pgTypes } from 'pg';

// bigint columns come back as numbers: positions, times and sizes stay far below 2^53.
const INT8_OID = 20;
const numericBigints = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

/** `identifier` as a quoted SQL name. */
export const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** Default of {@link schemaConnection}'s `queryTimeoutMs`. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/**
 * How to connect to the database at `url` with `schema` as the search path, bigints as numbers.
 * @param queryTimeoutMs how long a query may wait for its answer before it fails (default 30 000),
 *   so that a connection gone silent (its server's host vanished, a failover left it half-open)
 *   fails its queries, and a pool drops it, rather than holding them for good.
 */
export function schemaConnection(
  url: string,
  schema: string,
  queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS,
): ClientConfig {
  return {
    connectionString: url,
    options: `-c search_path=${quoted(schema)}`,
    types: numericBigints,
    query_timeout: queryTimeoutMs,
  };
}
