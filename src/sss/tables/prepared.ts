import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../db.ts';

/** One SQL statement of a table module, prepared for whichever database it is asked for. */
export type PreparedStatement = (db: SqliteDatabase) => Statement;

/**
 * A statement prepared the first time it runs on a database and reused after, so a table
 * module's functions can take the database on every call, hot paths included. Preparing is
 * lazy: a read-only connection never prepares statements for tables its file lacks.
 *
 * @example
 * const selectHead = preparedOnce('SELECT COALESCE(MAX(seq), 0) FROM events', { pluck: true });
 * const head = selectHead(db).get() as number;
 */
export function preparedOnce(sql: string, options: { pluck?: boolean } = {}): PreparedStatement {
  const byDatabase = new WeakMap<SqliteDatabase, Statement>();
  // Most processes run one database: answering it without the map keeps appends cheap.
  let lastDb: SqliteDatabase | undefined;
  let last: Statement | undefined;
  return (db) => {
    if (db === lastDb && last) return last;
    let statement = byDatabase.get(db);
    if (!statement) {
      statement = db.prepare(sql);
      if (options.pluck) statement.pluck();
      byDatabase.set(db, statement);
    }
    lastDb = db;
    last = statement;
    return statement;
  };
}

/**
 * A family of statements whose SQL depends on a small number (how many topic patterns a read
 * has), each prepared once per database and count.
 */
export function preparedPerCount(sqlFor: (count: number) => string): (db: SqliteDatabase, count: number) => Statement {
  const byCount = new Map<number, PreparedStatement>();
  return (db, count) => {
    let statement = byCount.get(count);
    if (!statement) {
      statement = preparedOnce(sqlFor(count));
      byCount.set(count, statement);
    }
    return statement(db);
  };
}
