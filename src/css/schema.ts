import type { SqliteDatabase } from '../db.ts';
import { createCommandsTable } from './tables/commands.ts';
import { createConsumersTable } from './tables/consumers.ts';
import { createDeadLettersTable } from './tables/dead-letters.ts';
import { createJournalTable } from './tables/journal.ts';
import { createSnapshotsTable } from './tables/snapshots.ts';

/**
 * The Consumer State Store tables. A consumer's row (offset, version) and its snapshots,
 * journal (invoked children's outcomes), dead letters and (in the distributed deployment) outbox rows change in one transaction.
 * The singleton actor of a component is stored under key ''. `consumer_commands` queues
 * operator commands from other processes for the host that runs the consumer.
 */
export function createConsumerStoreSchema(db: SqliteDatabase): void {
  createConsumersTable(db);
  createSnapshotsTable(db);
  createDeadLettersTable(db);
  createJournalTable(db);
  createCommandsTable(db);
}
