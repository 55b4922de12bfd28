import Database from 'better-sqlite3';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { FleetHistory, FleetPoint } from './fleet-history';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS fleet_history (
    at      INTEGER PRIMARY KEY,
    backlog INTEGER NOT NULL,
    fleet   INTEGER NOT NULL
  );
`;

/** The backlog/fleet history's part of the checkpoint: its newest points, one row each. */
export class FleetHistoryCheckpoint implements CheckpointPart {
  readonly schema = SCHEMA;
  private statements?: ReturnType<typeof prepare>;
  private writtenSinceTrim = 0;

  /** @param onRestore called once the history has its points back. */
  constructor(
    private readonly history: FleetHistory,
    private readonly onRestore: () => void = () => {},
  ) {}

  restore(db: Database.Database): void {
    this.statements = prepare(db);
    this.history.restore(this.statements.newest.all(this.history.maxPoints).reverse());
    this.onRestore();
  }

  write(): void {
    if (!this.statements) return;
    const points = this.history.takeUnwritten();
    for (const point of points) this.statements.upsert.run(point);
    this.writtenSinceTrim += points.length;
    // Trimmed now and then, as the history trims itself.
    if (this.writtenSinceTrim > this.history.maxPoints / 2) {
      this.statements.trim.run(this.history.maxPoints);
      this.writtenSinceTrim = 0;
    }
  }
}

function prepare(db: Database.Database) {
  return {
    newest: db.prepare<[number], FleetPoint>(
      'SELECT at, backlog, fleet FROM fleet_history ORDER BY at DESC LIMIT ?',
    ),
    upsert: db.prepare<FleetPoint>(
      'INSERT OR REPLACE INTO fleet_history (at, backlog, fleet) VALUES (@at, @backlog, @fleet)',
    ),
    trim: db.prepare<[number]>(
      'DELETE FROM fleet_history WHERE at < (SELECT MIN(at) FROM (SELECT at FROM fleet_history ORDER BY at DESC LIMIT ?))',
    ),
  };
}
