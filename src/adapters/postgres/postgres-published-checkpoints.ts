import { Logger } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Pool } from 'pg';
import { PublishedCheckpoint, PublishedCheckpoints } from '../../ports/published-checkpoints.port';
import { migrate } from './postgres-migrations';
import { schemaConnection } from './schema-connection';

/** Options of {@link PostgresPublishedCheckpoints.open}. */
export interface PostgresPublishedCheckpointsOptions {
  /** The database of the event log (env DATABASE_URL). */
  url: string;
  /** The schema of the log, which holds its checkpoints too. */
  schema: string;
  /** The size of one stored piece of a checkpoint file. Default: 4 MiB. */
  pieceBytes?: number;
}

interface CheckpointRow {
  id: number;
  identity: string;
  position: number;
  published_at: number;
  size_bytes: number;
}

/** Downloads that may start again because a newer checkpoint replaced the one being read. */
const DOWNLOAD_TRIES = 3;

/**
 * Published checkpoints in the log's own schema (tables `checkpoints` and `checkpoint_pieces`,
 * migration 2): a file is stored in pieces of `pieceBytes`, each its own statement, so that
 * neither side holds a whole checkpoint in memory and no transaction lasts as long as the copy.
 * It counts as published once whole (`complete`), in the transaction that drops the ones before.
 */
export class PostgresPublishedCheckpoints extends PublishedCheckpoints {
  private readonly logger = new Logger(PostgresPublishedCheckpoints.name);

  private constructor(
    private readonly pool: Pool,
    private readonly pieceBytes: number,
  ) {
    super();
  }

  /** Connects, and creates or migrates the schema (as the event store does; each step runs once). */
  static async open(options: PostgresPublishedCheckpointsOptions): Promise<PostgresPublishedCheckpoints> {
    const pool = new Pool({ ...schemaConnection(options.url, options.schema), max: 2 });
    const shelf = new PostgresPublishedCheckpoints(pool, options.pieceBytes ?? 4 * 1024 * 1024);
    pool.on('error', (error) =>
      shelf.logger.warn(`A connection to the published checkpoints ended: ${error.message}`),
    );
    try {
      const client = await pool.connect();
      try {
        await migrate(client, options.schema);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return shelf;
  }

  async latest(): Promise<PublishedCheckpoint | undefined> {
    const row = await this.latestRow();
    return row && about(row);
  }

  async publish(
    file: string,
    published: Omit<PublishedCheckpoint, 'sizeBytes'>,
  ): Promise<PublishedCheckpoint> {
    const { rows } = await this.pool.query<{ id: number }>(
      'INSERT INTO checkpoints (identity, position, published_at) VALUES ($1, $2, $3) RETURNING id',
      [published.identity, published.position, published.publishedAt],
    );
    const id = rows[0].id;
    try {
      let piece = 0;
      let sizeBytes = 0;
      for await (const data of createReadStream(file, {
        highWaterMark: this.pieceBytes,
      }) as AsyncIterable<Buffer>) {
        await this.pool.query(
          'INSERT INTO checkpoint_pieces (checkpoint_id, piece, data) VALUES ($1, $2, $3)',
          [id, piece++, data],
        );
        sizeBytes += data.length;
      }
      await this.completeAndDropOthers(id, sizeBytes);
      return { ...published, sizeBytes };
    } catch (error) {
      await this.pool.query('DELETE FROM checkpoints WHERE id = $1', [id]).catch(() => undefined);
      throw error;
    }
  }

  async download(file: string): Promise<PublishedCheckpoint | undefined> {
    for (let tries = 1; ; tries++) {
      const row = await this.latestRow();
      if (!row) {
        await rm(file, { force: true });
        return undefined;
      }
      if (await this.writePieces(row, file)) return about(row);
      // A newer checkpoint was published meanwhile, and this one dropped: take that one.
      if (tries === DOWNLOAD_TRIES)
        throw new Error(`The published checkpoint changed ${tries} times while it was being downloaded`);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async latestRow(): Promise<CheckpointRow | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>(
      `SELECT id, identity, position, published_at, size_bytes FROM checkpoints
       WHERE complete ORDER BY id DESC LIMIT 1`,
    );
    return rows[0];
  }

  private async completeAndDropOthers(id: number, sizeBytes: number): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        'UPDATE checkpoints SET complete = true, size_bytes = $2 WHERE id = $1',
        [id, sizeBytes],
      );
      // A later publisher completed meanwhile and dropped this one: theirs stays.
      if (rowCount === 0) throw new Error('A checkpoint published meanwhile replaced this one');
      // Only those begun before it (and what a publisher that died midway left), never a later
      // one: two publishers at once leave the later one whole, whichever completes first.
      await client.query('DELETE FROM checkpoints WHERE id < $1', [id]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Writes the checkpoint's pieces into `file`; false if it was dropped before they were all read. */
  private async writePieces(row: CheckpointRow, file: string): Promise<boolean> {
    const handle = await open(file, 'w');
    try {
      let written = 0;
      for (let piece = 0; written < row.size_bytes; piece++) {
        const { rows } = await this.pool.query<{ data: Buffer }>(
          'SELECT data FROM checkpoint_pieces WHERE checkpoint_id = $1 AND piece = $2',
          [row.id, piece],
        );
        if (rows.length === 0) return false;
        await handle.write(rows[0].data);
        written += rows[0].data.length;
      }
      return true;
    } finally {
      await handle.close();
    }
  }
}

function about(row: CheckpointRow): PublishedCheckpoint {
  return {
    identity: row.identity,
    position: row.position,
    publishedAt: row.published_at,
    sizeBytes: row.size_bytes,
  };
}
