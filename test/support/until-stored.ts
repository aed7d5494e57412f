import { watch } from 'node:fs';
import { dirname } from 'node:path';
import { WAIT_MS } from './child-process.ts';

/**
 * Resolves once `read()` returns something other than undefined, reading again whenever a file
 * in the directory of the SQLite file `db` changes (every commit writes its WAL): for a row that
 * another process commits. Rejects after `timeoutMs`, naming what it waited for.
 *
 * @example
 * await untilStored(db, () => (readTables(db, ['consumers']).consumers[0]?.host_state === 'paused' ? true : undefined), 'jobs paused');
 */
export function untilStored<T>(db: string, read: () => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    let last = '';
    let scheduled = false;
    let done = false;
    const watcher = watch(dirname(db), () => schedule());
    const finish = () => {
      done = true;
      watcher.close();
      clearTimeout(timer);
    };
    const look = () => {
      scheduled = false;
      if (done) return;
      try {
        const found = read();
        if (found === undefined) return;
        finish();
        resolve(found);
      } catch (error) {
        // The file may not exist yet, or be mid-checkpoint; the next change reads it again.
        last = error instanceof Error ? error.message : String(error);
      }
    };
    // Several changes in one turn need one read.
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(look);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`waited ${timeoutMs} ms for ${what} in ${db}${last ? ` (last read failed: ${last})` : ''}`));
    }, timeoutMs);
    look();
  });
}
