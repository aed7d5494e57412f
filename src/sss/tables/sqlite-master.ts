import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from './prepared.ts';

const selectTable = preparedOnce("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", { pluck: true });

/** Whether the file has the table yet: a reader must not prepare statements for one it lacks. */
export function hasTable(db: SqliteDatabase, name: string): boolean {
  return selectTable(db).get(name) !== undefined;
}

const selectTableCount = preparedOnce("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", { pluck: true });

/** How many tables the file has; reading it is also what finds a file that is not SQLite. */
export function countTables(db: SqliteDatabase): number {
  return selectTableCount(db).get() as number;
}
