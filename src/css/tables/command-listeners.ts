import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';

/** A process that reads a consumer's command queue, and until when it has promised to look again. */
export interface CommandListener {
  consumer: string;
  owner: string;
  expiresAt: number;
}

/**
 * Who reads each consumer's commands. A worker's file holds no leases (they live in the
 * supervisor's), so this row is how another process on the file tells that a system will
 * take a queued command; the host refreshes it on every heartbeat.
 */
export function createCommandListenersTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS command_listeners (
      consumer TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );
  `);
}

const upsert = preparedOnce(
  'INSERT INTO command_listeners (consumer, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at',
);

/** Records that `owner` reads `consumer`'s commands until `expiresAt`. */
export function storeCommandListener(db: SqliteDatabase, listener: CommandListener): void {
  upsert(db).run(listener.consumer, listener.owner, listener.expiresAt);
}

const remove = preparedOnce('DELETE FROM command_listeners WHERE consumer = ? AND owner = ?');

/** `owner` stopped reading `consumer`'s commands (its host ended). */
export function deleteCommandListener(db: SqliteDatabase, consumer: string, owner: string): void {
  remove(db).run(consumer, owner);
}

const select = preparedOnce('SELECT consumer, owner, expires_at AS expiresAt FROM command_listeners WHERE consumer = ?');

/** Who last promised to read `consumer`'s commands, expired or not. */
export function readCommandListener(db: SqliteDatabase, consumer: string): CommandListener | undefined {
  return select(db).get(consumer) as CommandListener | undefined;
}
