import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A fresh directory under the OS temp dir for one test's SQLite files. SQLite in WAL mode
 * writes `-wal` and `-shm` files next to the database, so the whole directory is removed.
 * Tests that start systems want `useScratch()`, which makes one of these per test.
 *
 * @example
 * const dir = new TempDir();
 * const db = openDatabase(dir.file());
 * // ...
 * db.close();
 * dir.remove();
 */
export class TempDir {
  readonly path: string = fs.mkdtempSync(path.join(os.tmpdir(), 'recq-'));

  /** A path to a SQLite file inside this directory; the file is created by whoever opens it. */
  file(name = 'recq.db'): string {
    return path.join(this.path, name);
  }

  remove(): void {
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}
