import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConsumerCommand } from '../css/commands.ts';
import type { DeadLetterStatus, StoredSnapshot } from '../css/consumer-store.ts';
import { readCommandListener } from '../css/tables/command-listeners.ts';
import { listAllQueuedCommands } from '../css/tables/commands.ts';
import { listConsumers } from '../css/tables/consumers.ts';
import { type ComponentDeadLetter, countWaitingDeadLetters, listComponentDeadLetters, readComponentDeadLetter } from '../css/tables/dead-letters.ts';
import { countSnapshotsByConsumer, readSnapshot } from '../css/tables/snapshots.ts';
import { openDatabase, type SqliteDatabase } from '../db.ts';
import { RecqError } from '../errors.ts';
import { consumerResource } from '../lease.ts';
import { ownerIsGone } from '../owner.ts';
import { countEventsByTopicAfter, type EventRangePage, readEventRange, readHead } from '../sss/tables/events.ts';
import { listLeases } from '../sss/tables/leases.ts';
import { countTables, hasTable } from '../sss/tables/sqlite-master.ts';
import { readSupervisorState, type SupervisorRecord } from '../sss/tables/supervisor-state.ts';
import { compilePatterns, inputTopicOf, type TopicMatcher } from '../topic.ts';

const ENDED_HOST_STATES = new Set(['stopped', 'failed', 'fenced']);

/** One consumer's durable progress, read from its CSS row. */
export interface ConsumerState {
  consumer: string;
  component: string;
  /** Seq of the last event the consumer has checkpointed. */
  offset: number;
  head: number;
  /** Events after the offset whose topic the consumer subscribes to; null if its stored patterns are unreadable. */
  lag: number | null;
  patterns: string[];
  version: string;
  storedActors: number;
  /**
   * The host state last recorded, or `down` when it claims to run (live, catching up, ...) but
   * nothing holds the consumer's lease any more, or its owner's process is gone.
   */
  hostState: string;
  /** Dead letters still waiting for an operator (parked, or blocking the consumer). */
  deadLetters: number;
  updatedAt: number;
}

export interface LeaseState {
  resource: string;
  owner: string;
  epoch: number;
  expiresAt: number;
  expired: boolean;
}

/** A consumer as the CSS names it, with the host state last recorded. */
export interface ConsumerName {
  consumer: string;
  component: string;
  hostState: string;
}

/** A dead letter as stored, with its id and the component of its consumer. */
export type DeadLetterState = ComponentDeadLetter;

/** What `recq status` reports about a database. */
export interface StoreStatus {
  db: string;
  head: number;
  consumers: ConsumerState[];
  leases: LeaseState[];
  /** The state the log's supervisor last recorded (`leading`, `stopped`, ...), if one ran on this file. */
  supervisor: SupervisorRecord | null;
}

/** A page of the log: the matching envelopes, and the last seq looked at (matching or not). */
export type EventPage = EventRangePage;

/**
 * Reads a recq database from outside the process that runs it. The connection is read-only
 * (SQLite WAL lets it read while a system writes) and never creates tables: a database whose
 * system has not started yet reads as empty.
 *
 * @example
 * const reader = StoreReader.open('./recq.db');
 * console.log(reader.status(Date.now()).consumers);
 * reader.close();
 */
export class StoreReader {
  readonly file: string;
  readonly #db: SqliteDatabase;

  private constructor(file: string, db: SqliteDatabase) {
    this.file = file;
    this.#db = db;
  }

  /** Opens `file` read-only; throws a `RecqError` naming the path if it is missing or not SQLite. */
  static open(file: string): StoreReader {
    const path = resolve(file);
    if (!existsSync(path)) {
      throw new RecqError('DB_NOT_FOUND', `No database at ${path}. Start a system on it with "recq run <module>", or pass --db FILE.`);
    }
    let db: SqliteDatabase | undefined;
    try {
      db = openDatabase(path, 'full', { readonly: true });
      countTables(db);
    } catch (error) {
      db?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new RecqError('DB_UNREADABLE', `Cannot read ${path} as a recq database: ${reason}.`, { cause: error });
    }
    return new StoreReader(path, db);
  }

  /** Consumers, their lag, stored actors and dead letters, and the leases, as of one read transaction. */
  status(now: number): StoreStatus {
    return this.#db.transaction(() => {
      const head = this.head();
      const consumers = this.#hasTable('consumers') ? listConsumers(this.#db) : [];
      const actors = this.#hasTable('snapshots') ? countSnapshotsByConsumer(this.#db) : new Map<string, number>();
      const leases = this.leases(now);
      const parked = this.#hasTable('dead_letters') ? countWaitingDeadLetters(this.#db) : new Map<string, number>();
      return {
        db: this.file,
        head,
        consumers: consumers.map((row) => {
          const patterns = parsePatterns(row.patterns);
          return {
            consumer: row.consumer,
            component: row.component,
            offset: row.offset,
            head,
            // Its own input records are events it has still to apply too.
            lag: patterns === undefined ? null : this.#lag(row.offset, [...patterns, inputTopicOf(row.consumer)]),
            patterns: patterns ?? [],
            version: row.version,
            storedActors: actors.get(row.consumer) ?? 0,
            hostState: this.#hostState(row.consumer, row.host_state, leases),
            deadLetters: parked.get(row.consumer) ?? 0,
            updatedAt: row.updated_at,
          };
        }),
        leases,
        supervisor: this.#hasTable('supervisor') ? (readSupervisorState(this.#db) ?? null) : null,
      };
    })();
  }

  /** The seq of the last committed event (0 for an empty log). */
  head(): number {
    if (!this.#hasTable('events')) return 0;
    return readHead(this.#db);
  }

  /** A host that ended says so itself; one that claims to run is believed only while its lease holds and its process runs. */
  #hostState(consumer: string, recorded: string, leases: readonly LeaseState[]): string {
    if (ENDED_HOST_STATES.has(recorded)) return recorded;
    const lease = leases.find((l) => l.resource === consumerResource(consumer));
    return !lease || lease.expired || ownerIsGone(lease.owner) ? 'down' : recorded;
  }

  leases(now: number): LeaseState[] {
    if (!this.#hasTable('leases')) return [];
    return listLeases(this.#db).map((lease) => ({ ...lease, expired: lease.expiresAt <= now }));
  }

  /**
   * Up to `limit` events after `after` whose topic matches any of `patterns` (all topics when
   * there are none), in seq order.
   */
  readEvents(after: number, patterns: readonly string[], limit: number): EventPage {
    if (limit <= 0 || !this.#hasTable('events')) return { envelopes: [], lastSeq: after };
    return readEventRange(this.#db, { after, until: Number.MAX_SAFE_INTEGER, patterns, limit });
  }

  /**
   * The process that takes `consumer`'s queued commands now: the holder of its unexpired lease
   * (a file with the log holds the leases), else the host that last promised, within its lease
   * TTL, to read the queue again (a worker's file), unless that process is known to be gone.
   */
  runner(consumer: string, now: number): LeaseState | undefined {
    const lease = this.leases(now).find((l) => l.resource === consumerResource(consumer) && !l.expired && !ownerIsGone(l.owner));
    if (lease) return lease;
    if (!this.#hasTable('command_listeners')) return undefined;
    const listener = readCommandListener(this.#db, consumer);
    if (!listener || listener.expiresAt <= now || ownerIsGone(listener.owner)) return undefined;
    return { resource: consumerResource(consumer), owner: listener.owner, epoch: 0, expiresAt: listener.expiresAt, expired: false };
  }

  /** Commands no host has run yet, oldest first. */
  queuedCommands(): ConsumerCommand[] {
    if (!this.#hasTable('consumer_commands')) return [];
    return listAllQueuedCommands(this.#db);
  }

  /** The stored snapshot of `consumer`'s actor under `key` ('' for a singleton), if it has one. */
  snapshot(consumer: string, key: string): StoredSnapshot | undefined {
    if (!this.#hasTable('snapshots')) return undefined;
    return readSnapshot(this.#db, consumer, key);
  }

  /** Every consumer in the CSS, by name (none before a system has run on the file). */
  consumers(): ConsumerName[] {
    if (!this.#hasTable('consumers')) return [];
    return listConsumers(this.#db).map((row) => ({ consumer: row.consumer, component: row.component, hostState: row.host_state }));
  }

  /** Dead letters, ordered by consumer and seq; all of them, or one component's, or only those with `status`. */
  deadLetters(filter: { component?: string; status?: DeadLetterStatus } = {}): DeadLetterState[] {
    if (!this.#hasTable('dead_letters')) return [];
    return listComponentDeadLetters(this.#db, filter);
  }

  deadLetter(id: number): DeadLetterState | undefined {
    if (!this.#hasTable('dead_letters')) return undefined;
    return readComponentDeadLetter(this.#db, id);
  }

  /** An embedded or supervisor file (it holds the log), a worker's file (consumers and outbox), or an empty one. */
  isRecqDatabase(): boolean {
    if (this.#hasTable('events') || (this.#hasTable('consumers') && this.#hasTable('outbox'))) return true;
    return countTables(this.#db) === 0;
  }

  close(): void {
    this.#db.close();
  }

  #hasTable(name: string): boolean {
    return hasTable(this.#db, name);
  }

  /** Counts per topic in SQL, then matches each distinct topic once with the log's own NATS semantics. */
  #lag(offset: number, patterns: readonly string[]): number | null {
    if (!this.#hasTable('events')) return 0;
    let matches: TopicMatcher;
    try {
      matches = compilePatterns(patterns);
    } catch {
      return null;
    }
    return countEventsByTopicAfter(this.#db, offset).reduce((lag, row) => (matches(row.topic) ? lag + row.n : lag), 0);
  }
}

function parsePatterns(json: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) && value.every((p) => typeof p === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}
