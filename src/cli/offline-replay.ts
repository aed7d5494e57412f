import { systemClock } from '../clock.ts';
import { CommandQueue } from '../css/commands.ts';
import { readCommandListener } from '../css/tables/command-listeners.ts';
import { storeOffset } from '../css/tables/consumers.ts';
import { deleteSnapshots } from '../css/tables/snapshots.ts';
import { openDatabase } from '../db.ts';
import { ConsumerRunningError, LeaseHeldError } from '../errors.ts';
import { consumerResource } from '../lease.ts';
import { ownerIsGone, processOwner } from '../owner.ts';
import { LeaseTable } from '../sss/lease-table.ts';
import { hasTable } from '../sss/tables/sqlite-master.ts';

/** How long the CLI holds a consumer's lease while it resets the consumer: far longer than the reset takes. */
const RESET_LEASE_MS = 30_000;

/**
 * Resets a consumer in its file while no process runs it: forgets its snapshots and moves its
 * offset to `from - 1`, so the next start rebuilds it from the log. In a file with leases (the
 * log's), the reset is written under the consumer's lease, taken for it and given back, so a
 * live owner refuses it; in a worker's file, a host that still reads the consumer's queue does.
 * The reset is recorded as a command that ran, for the history of the queue. Returns what it did.
 *
 * @example
 * replayOffline('./shop.db', 'orders', 1); // 'consumer orders was reset offline: ...'
 */
export function replayOffline(file: string, consumer: string, from: number): string {
  const db = openDatabase(file);
  try {
    const now = Date.now();
    const reset = db.transaction((fence: () => void) => {
      fence();
      deleteSnapshots(db, consumer);
      storeOffset(db, consumer, from - 1, now);
    }).immediate;
    const listener = hasTable(db, 'command_listeners') ? readCommandListener(db, consumer) : undefined;
    if (listener && listener.expiresAt > now && !ownerIsGone(listener.owner)) throw new ConsumerRunningError(consumer, listener.owner, listener.expiresAt);
    if (hasTable(db, 'leases')) {
      const leases = new LeaseTable(db, systemClock);
      let lease: ReturnType<LeaseTable['acquire']>;
      try {
        lease = leases.acquire(consumerResource(consumer), processOwner(), RESET_LEASE_MS);
      } catch (error) {
        if (error instanceof LeaseHeldError) throw new ConsumerRunningError(consumer, error.owner, error.expiresAt);
        throw error;
      }
      try {
        reset(() => leases.assertCurrent(lease));
      } finally {
        leases.release(lease);
      }
    } else {
      reset(() => {});
    }
    const outcome = `consumer ${consumer} was reset offline: its actors are forgotten and its offset is ${from - 1}, so the next start rebuilds it from seq ${from}`;
    const queue = new CommandQueue(db);
    const record = queue.enqueue(consumer, 'replay', from);
    queue.complete(record.id, { outcome });
    return outcome;
  } finally {
    db.close();
  }
}
