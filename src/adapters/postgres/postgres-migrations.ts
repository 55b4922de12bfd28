import type { ClientBase } from 'pg';

/** One step of the schema: applied once, in order, in a transaction of its own. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The event log's schema (and its published checkpoints), step by step. A step is never changed
 * once released: a change is a new step. Appends take a transaction-scoped advisory lock (one per
 * schema) before they read the last position, so positions are handed out in commit order: no
 * reader can see a position while a smaller one is still to commit (a sequence would let a slow
 * transaction commit a smaller position after a larger one was read past).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'the events table and the append function',
    sql: `
      CREATE TABLE events (
        position       bigint  PRIMARY KEY,
        stream_id      text    NOT NULL,
        version        integer NOT NULL,
        type           text    NOT NULL,
        schema_version integer NOT NULL,
        data           json    NOT NULL,
        recorded_at    bigint  NOT NULL,
        UNIQUE (stream_id, version)
      );

      -- Appends a batch of appends in one transaction, in order, each with its own version check:
      -- p_appends is [{ "stream": text, "expected": integer (-1: any), "events": [{ "type": text,
      -- "schemaVersion": integer, "data": json }] }]. Returns a row per appended event, and one
      -- with the stream's version in conflict_version for an append whose check failed (it
      -- writes nothing; the others go on).
      CREATE FUNCTION append_batch(p_appends json, p_recorded_at bigint)
      RETURNS TABLE (item integer, appended_position bigint, appended_version integer, conflict_version integer)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_append json;
        v_item integer;
        v_event json;
        v_stream text;
        v_expected integer;
        v_current integer;
        v_last bigint;
        v_first bigint;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.events'));
        SELECT coalesce(max(e.position), 0) INTO v_last FROM events e;
        v_first := v_last;
        -- One pass over the batch: json's -> on an array index parses the text up to it each time.
        FOR v_append, v_item IN SELECT value, ordinality - 1 FROM json_array_elements(p_appends) WITH ORDINALITY LOOP
          v_stream := v_append ->> 'stream';
          v_expected := (v_append ->> 'expected')::integer;
          SELECT coalesce(max(e.version), 0) INTO v_current FROM events e WHERE e.stream_id = v_stream;
          item := v_item;
          IF v_expected >= 0 AND v_current <> v_expected THEN
            appended_position := NULL;
            appended_version := NULL;
            conflict_version := v_current;
            RETURN NEXT;
            CONTINUE;
          END IF;
          conflict_version := NULL;
          FOR v_event IN SELECT * FROM json_array_elements(v_append -> 'events') LOOP
            v_last := v_last + 1;
            v_current := v_current + 1;
            INSERT INTO events (position, stream_id, version, type, schema_version, data, recorded_at)
            VALUES (v_last, v_stream, v_current, v_event ->> 'type', (v_event ->> 'schemaVersion')::integer,
                    v_event -> 'data', p_recorded_at);
            appended_position := v_last;
            appended_version := v_current;
            RETURN NEXT;
          END LOOP;
        END LOOP;
        IF v_last > v_first THEN
          PERFORM pg_notify(current_schema() || '.events', v_last::text);
        END IF;
      END
      $$;
    `,
  },
  {
    version: 2,
    description: 'published checkpoints, in pieces',
    sql: `
      -- A checkpoint is whole once complete; until then its pieces are still being written.
      CREATE TABLE checkpoints (
        id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        identity     text    NOT NULL,
        position     bigint  NOT NULL,
        published_at bigint  NOT NULL,
        size_bytes   bigint  NOT NULL DEFAULT 0,
        complete     boolean NOT NULL DEFAULT false
      );
      CREATE TABLE checkpoint_pieces (
        checkpoint_id bigint  NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
        piece         integer NOT NULL,
        data          bytea   NOT NULL,
        PRIMARY KEY (checkpoint_id, piece)
      );
    `,
  },
];

/**
 * Creates `schema` if missing and brings it up to the last migration (the connection's
 * `search_path` must name it), each step in a transaction of its own, recorded in
 * `schema_migrations`. Control planes starting together take turns (an advisory lock): each step
 * runs once.
 */
export async function migrate(
  client: ClientBase,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  const lock = `${schema}.migrations`;
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version     integer     PRIMARY KEY,
        description text        NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    for (const step of migrations.filter((m) => !applied.has(m.version))) {
      await client.query('BEGIN');
      try {
        await client.query(step.sql);
        await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
          step.version,
          step.description,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(
          `Migration ${step.version} (${step.description}) failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    return Math.max(0, ...migrations.map((m) => m.version));
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
  }
}
