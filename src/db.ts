import Database from 'better-sqlite3';
import { InvalidOptionError, StorageError } from './errors.ts';

export type SqliteDatabase = Database.Database;

/**
 * How hard a commit is pushed to disk.
 * - `full` (default): WAL with `synchronous=FULL`. A commit that returned survives a power cut.
 * - `may-lose-on-power-loss`: WAL with `synchronous=NORMAL`. Survives a process crash; the
 *   last commits can be lost if the machine loses power.
 */
export type Durability = 'full' | 'may-lose-on-power-loss';

export const DURABILITY_MODES: readonly Durability[] = ['full', 'may-lose-on-power-loss'];

/** Opens (creating if needed) a SQLite file in WAL mode with the given durability. */
export function openDatabase(file: string, durability: Durability = 'full', options: { readonly?: boolean; busyTimeoutMs?: number } = {}): SqliteDatabase {
  if (!DURABILITY_MODES.includes(durability)) {
    throw new InvalidOptionError('durability', durability, `expected one of ${DURABILITY_MODES.join(', ')}`);
  }
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    db.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
      // The log's id index and the snapshot table are hot; a 64 MiB page cache keeps them in memory.
      db.pragma('cache_size = -65536');
    }
    // Reading the schema is what finds a file that is not a database, or a damaged one.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').pluck().get();
  } catch (error) {
    db?.close();
    throw new StorageError(`open ${JSON.stringify(file)}`, error, 'Check the path, and that the file is a recq database and not damaged.');
  }
  return db;
}
