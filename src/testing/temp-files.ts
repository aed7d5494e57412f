import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const left = new Set<string>();
// A test process that ends without closing its test systems still leaves no files behind.
process.once('exit', () => {
  for (const dir of left) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh directory under the OS temp dir for one test system's SQLite files (the database and
 * its `-wal` and `-shm` files). Removed by `remove()`, or when the process exits.
 *
 * @example
 * const dir = tempDirectory();
 * const db = join(dir.path, 'recq.db');
 * // ...
 * dir.remove();
 */
export function tempDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'recq-test-'));
  left.add(path);
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      left.delete(path);
    },
  };
}
