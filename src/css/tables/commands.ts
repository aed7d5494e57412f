import type { SqliteDatabase } from '../../db.ts';
import { preparedOnce } from '../../sss/tables/prepared.ts';
import type { ConsumerCommand, ConsumerCommandName } from '../records.ts';
import { createCommandListenersTable } from './command-listeners.ts';

/** A row of the `consumer_commands` table. */
export interface CommandRow {
  id: number;
  consumer: string;
  command: ConsumerCommandName;
  arg: string | null;
  requested_at: number;
  done_at: number | null;
  outcome: string | null;
  error: string | null;
}

/** Operator commands, queued by the CLI and run by the consumer's host; the partial index holds only the queued ones. */
export function createCommandsTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS consumer_commands (
      id INTEGER PRIMARY KEY,
      consumer TEXT NOT NULL,
      command TEXT NOT NULL,
      arg TEXT,
      requested_at INTEGER NOT NULL,
      done_at INTEGER,
      outcome TEXT,
      error TEXT
    );
    CREATE INDEX IF NOT EXISTS consumer_commands_queued ON consumer_commands (consumer, id) WHERE done_at IS NULL;
  `);
  createCommandListenersTable(db);
}

/** The command a row of the `consumer_commands` table holds. */
export function toCommand(row: CommandRow): ConsumerCommand {
  return {
    id: row.id,
    consumer: row.consumer,
    command: row.command,
    arg: row.arg ?? undefined,
    requestedAt: row.requested_at,
    doneAt: row.done_at ?? undefined,
    outcome: row.outcome ?? undefined,
    error: row.error ?? undefined,
  };
}

const insert = preparedOnce('INSERT INTO consumer_commands (consumer, command, arg, requested_at) VALUES (?, ?, ?, ?) RETURNING *');

/** Queues a command and returns it as stored, with its id. */
export function insertCommand(db: SqliteDatabase, consumer: string, command: ConsumerCommandName, arg: string | null, requestedAt: number): ConsumerCommand {
  return toCommand(insert(db).get(consumer, command, arg, requestedAt) as CommandRow);
}

const selectSame = preparedOnce('SELECT * FROM consumer_commands WHERE consumer = ? AND command = ? AND arg IS ? AND done_at IS NULL ORDER BY id LIMIT 1');

/** The oldest queued command that asks exactly this, if there is one. */
export function readQueuedSame(db: SqliteDatabase, consumer: string, command: ConsumerCommandName, arg: string | null): ConsumerCommand | undefined {
  const row = selectSame(db).get(consumer, command, arg) as CommandRow | undefined;
  return row && toCommand(row);
}

const selectAllQueued = preparedOnce('SELECT * FROM consumer_commands WHERE done_at IS NULL ORDER BY id');

/** Every consumer's commands not run yet, oldest first. */
export function listAllQueuedCommands(db: SqliteDatabase): ConsumerCommand[] {
  return (selectAllQueued(db).all() as CommandRow[]).map(toCommand);
}

const selectQueued = preparedOnce('SELECT * FROM consumer_commands WHERE consumer = ? AND done_at IS NULL ORDER BY id');

/** The consumer's commands not run yet, oldest first. */
export function listQueuedCommands(db: SqliteDatabase, consumer: string): ConsumerCommand[] {
  return (selectQueued(db).all(consumer) as CommandRow[]).map(toCommand);
}

const updateDone = preparedOnce('UPDATE consumer_commands SET done_at = ?, outcome = ?, error = ? WHERE id = ? AND done_at IS NULL');

/** Records how a queued command ended; one already done keeps its first ending (and false is returned). */
export function completeCommand(db: SqliteDatabase, id: number, doneAt: number, outcome: string | null, error: string | null): boolean {
  return updateDone(db).run(doneAt, outcome, error, id).changes > 0;
}

const selectById = preparedOnce('SELECT * FROM consumer_commands WHERE id = ?');

/** The command with this id, queued or done. */
export function readCommand(db: SqliteDatabase, id: number): ConsumerCommand | undefined {
  const row = selectById(db).get(id) as CommandRow | undefined;
  return row && toCommand(row);
}
