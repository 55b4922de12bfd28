import { ClientConfig, types as pgTypes } from 'pg';

// bigint columns come back as numbers: positions, times and sizes stay far below 2^53.
const INT8_OID = 20;
const numericBigints = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

/** `identifier` as a quoted SQL name. */
export const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** How to connect to the database at `url` with `schema` as the search path, bigints as numbers. */
export function schemaConnection(url: string, schema: string): ClientConfig {
  return { connectionString: url, options: `-c search_path=${quoted(schema)}`, types: numericBigints };
}
