import Database from 'better-sqlite3';
import type { DeadLetterRow } from '../../src/css/consumer-store.ts';
import type { EventRow } from '../../src/sss/event-log.ts';

/** A row of each table the tests read field by field, with every column, as SQLite returns it. */
export interface StoreRows {
  events: EventRow;
  consumers: { consumer: string; component: string; offset: number; version: string; patterns: string; host_state: string; paused: number; updated_at: number };
  snapshots: { consumer: string; key: string; version: string; seq: number; snapshot: string; timers: string | null };
  dead_letters: DeadLetterRow;
  leases: { resource: string; owner: string; epoch: number; expires_at: number };
}

/** The tables that hold the SSS and every CSS: what bad input must leave untouched. */
export const STORE_TABLES = ['events', 'consumers', 'snapshots', 'dead_letters', 'leases', 'journal'] as const;

export type StoreTable = (typeof STORE_TABLES)[number];

type RowOf<T extends string> = T extends keyof StoreRows ? StoreRows[T] : Record<string, unknown>;

/** Every row of each table, in a stable order; tables outside `StoreRows` come untyped. */
export type TableContents<T extends string = StoreTable> = { [K in T]: RowOf<K>[] };

/** Some columns of some tables: which to read, when the others may change without mattering. */
export type ColumnSelection = { readonly [table: string]: readonly string[] };

/** The chosen columns of each chosen table, in a stable order. */
export type ColumnContents<S extends ColumnSelection> = { [K in keyof S & string]: Pick<RowOf<K>, S[K][number] & keyof RowOf<K>>[] };

/**
 * Reads the content of `tables` (every column), or of the columns `tables` names per table,
 * from the SQLite file at `file`. A separate read-only connection sees only what was committed,
 * which is what a crash would leave behind.
 *
 * @example
 * const before = readTables(file);
 * await expect(system.publish('orders..x', { type: 'x' })).rejects.toThrow();
 * expect(readTables(file)).toEqual(before);
 * const [recorder] = readTables(file, ['consumers']).consumers;
 * const offsets = readTables(file, { consumers: ['consumer', 'offset'] }).consumers;
 */
export function readTables(file: string): TableContents;
export function readTables<T extends string>(file: string, tables: readonly T[]): TableContents<T>;
export function readTables<const S extends ColumnSelection>(file: string, columns: S): ColumnContents<S>;
export function readTables(file: string, tables: readonly string[] | ColumnSelection = STORE_TABLES): Record<string, unknown[]> {
  const chosen: [string, readonly string[] | undefined][] = isTableList(tables) ? tables.map((table) => [table, undefined]) : Object.entries(tables);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // One read transaction, so the tables agree with each other even while a writer commits.
    return db.transaction(() => {
      const contents: Record<string, unknown[]> = {};
      for (const [table, only] of chosen) {
        const columns = only ?? (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((column) => column.name);
        if (columns.length === 0) {
          contents[table] = [];
          continue;
        }
        // Ordering by every column read keeps the dump stable whatever the table's key is.
        const list = columns.map((column) => `"${column}"`).join(', ');
        contents[table] = db.prepare(`SELECT ${list} FROM "${table}" ORDER BY ${list}`).all();
      }
      return contents;
    })();
  } finally {
    db.close();
  }
}

function isTableList(tables: readonly string[] | ColumnSelection): tables is readonly string[] {
  return Array.isArray(tables);
}
