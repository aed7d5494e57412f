import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from './prepared.ts';

/** The supervisor's state as last recorded next to the log, for `recq status` in other processes. */
export interface SupervisorRecord {
  owner: string;
  /** The supervisor machine's state: `leading`, `degraded`, `stopping`, `stopped`, ... */
  state: string;
  /** When it entered that state (clock milliseconds). */
  since: number;
}

/** One row: the supervisor that last held the log's lease, and its state. */
export function createSupervisorTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS supervisor (
      log TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      state TEXT NOT NULL,
      since INTEGER NOT NULL
    );
  `);
}

const upsertState = preparedOnce(
  "INSERT INTO supervisor (log, owner, state, since) VALUES ('log', ?, ?, ?) ON CONFLICT (log) DO UPDATE SET owner = excluded.owner, state = excluded.state, since = excluded.since",
);

/** Records the state the log's supervisor has entered. */
export function storeSupervisorState(db: SqliteDatabase, record: SupervisorRecord): void {
  upsertState(db).run(record.owner, record.state, record.since);
}

const selectState = preparedOnce("SELECT owner, state, since FROM supervisor WHERE log = 'log'");

/** The supervisor's state as last recorded, if one ever ran on this file. */
export function readSupervisorState(db: SqliteDatabase): SupervisorRecord | undefined {
  return selectState(db).get() as SupervisorRecord | undefined;
}
