import Database from 'better-sqlite3';

/** Every row of each table, in a stable order, read through its own read-only connection. */
export type TableContents = Record<string, unknown[]>;

/** The tables that hold the SSS and every CSS: what bad input must leave untouched. */
export const STORE_TABLES = ['events', 'consumers', 'snapshots', 'dead_letters', 'leases'] as const;

/**
 * Reads the full content of `tables` from the SQLite file at `file`. A separate read-only
 * connection sees only what was committed, which is what a crash would leave behind.
 *
 * @example
 * const before = readTables(file);
 * await expect(system.publish('orders..x', { type: 'x' })).rejects.toThrow();
 * expect(readTables(file)).toEqual(before);
 */
export function readTables(file: string, tables: readonly string[] = STORE_TABLES): TableContents {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const contents: TableContents = {};
    for (const table of tables) {
      const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
      if (columns.length === 0) {
        contents[table] = [];
        continue;
      }
      // Ordering by every column keeps the dump stable whatever the table's key is.
      const order = columns.map((column) => `"${column.name}"`).join(', ');
      contents[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all();
    }
    return contents;
  } finally {
    db.close();
  }
}
