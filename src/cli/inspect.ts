import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type DeadLetter, type DeadLetterRow, type DeadLetterStatus, toDeadLetter } from '../css/consumer-store.ts';
import { openDatabase, type SqliteDatabase } from '../db.ts';
import type { Envelope } from '../envelope.ts';
import { RecqError } from '../errors.ts';
import { type EventRow, toEnvelope } from '../sss/event-log.ts';
import { compilePatterns, patternToGlob, type TopicMatcher } from '../topic.ts';

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
  /** The host state last recorded; a process that crashed leaves its last state behind. */
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
export interface DeadLetterState extends DeadLetter {
  id: number;
  component: string;
}

/** What `recq status` reports about a database. */
export interface StoreStatus {
  db: string;
  head: number;
  consumers: ConsumerState[];
  leases: LeaseState[];
}

/** A page of the log: the matching envelopes, and the last seq looked at (matching or not). */
export interface EventPage {
  envelopes: Envelope[];
  lastSeq: number;
}

interface ConsumerRow {
  consumer: string;
  component: string;
  offset: number;
  version: string;
  patterns: string;
  host_state: string;
  updated_at: number;
}

/** A dead letter row with its consumer's component (from a join). */
type DeadLetterJoinRow = DeadLetterRow & { component: string | null };

interface LeaseRow {
  resource: string;
  owner: string;
  epoch: number;
  expires_at: number;
}

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
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
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
      const consumers = this.#hasTable('consumers')
        ? (this.#db
            .prepare('SELECT consumer, component, "offset", version, patterns, host_state, updated_at FROM consumers ORDER BY consumer')
            .all() as ConsumerRow[])
        : [];
      const actors = this.#countBy('snapshots', '');
      const parked = this.#countBy('dead_letters', "WHERE status IN ('parked', 'blocking')");
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
            lag: patterns === undefined ? null : this.#lag(row.offset, patterns),
            patterns: patterns ?? [],
            version: row.version,
            storedActors: actors.get(row.consumer) ?? 0,
            hostState: row.host_state,
            deadLetters: parked.get(row.consumer) ?? 0,
            updatedAt: row.updated_at,
          };
        }),
        leases: this.leases(now),
      };
    })();
  }

  /** The seq of the last committed event (0 for an empty log). */
  head(): number {
    if (!this.#hasTable('events')) return 0;
    return this.#db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck().get() as number;
  }

  leases(now: number): LeaseState[] {
    if (!this.#hasTable('leases')) return [];
    const rows = this.#db.prepare('SELECT resource, owner, epoch, expires_at FROM leases ORDER BY resource').all() as LeaseRow[];
    return rows.map((row) => ({ resource: row.resource, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at, expired: row.expires_at <= now }));
  }

  /**
   * Up to `limit` events after `after` whose topic matches any of `patterns` (all topics when
   * there are none), in seq order.
   */
  readEvents(after: number, patterns: readonly string[], limit: number): EventPage {
    if (limit <= 0 || !this.#hasTable('events')) return { envelopes: [], lastSeq: after };
    const filter = patterns.length === 0 ? '' : ` AND (${patterns.map(() => 'topic GLOB ?').join(' OR ')})`;
    const statement = this.#db.prepare(`SELECT * FROM events WHERE seq > ?${filter} ORDER BY seq LIMIT ?`);
    const globs = patterns.map(patternToGlob);
    const matches: TopicMatcher | undefined = patterns.length === 0 ? undefined : compilePatterns(patterns);
    const envelopes: Envelope[] = [];
    let lastSeq = after;
    // GLOB accepts a superset of the NATS match, so a page can shrink once code filters it.
    while (envelopes.length < limit) {
      const wanted = limit - envelopes.length;
      const rows = statement.all(lastSeq, ...globs, wanted) as EventRow[];
      for (const row of rows) {
        lastSeq = row.seq;
        if (!matches || matches(row.topic)) envelopes.push(toEnvelope(row));
      }
      if (rows.length < wanted) break;
    }
    return { envelopes, lastSeq };
  }

  /** Every consumer in the CSS, by name (none before a system has run on the file). */
  consumers(): ConsumerName[] {
    if (!this.#hasTable('consumers')) return [];
    return this.#db.prepare('SELECT consumer, component, host_state AS hostState FROM consumers ORDER BY consumer').all() as ConsumerName[];
  }

  /** Dead letters, ordered by consumer and seq; all of them, or one component's, or only those with `status`. */
  deadLetters(filter: { component?: string; status?: DeadLetterStatus } = {}): DeadLetterState[] {
    if (!this.#hasTable('dead_letters')) return [];
    const where = [
      filter.component === undefined ? '' : 'COALESCE(c.component, d.consumer) = @component',
      filter.status === undefined ? '' : 'd.status = @status',
    ];
    const conditions = where.filter(Boolean);
    const rows = this.#db
      .prepare(`${DEAD_LETTER_SELECT}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY d.consumer, d.seq, d.id`)
      .all({ ...(filter.component === undefined ? {} : { component: filter.component }), ...(filter.status === undefined ? {} : { status: filter.status }) });
    return (rows as DeadLetterJoinRow[]).map(toDeadLetterState);
  }

  deadLetter(id: number): DeadLetterState | undefined {
    if (!this.#hasTable('dead_letters')) return undefined;
    const row = this.#db.prepare(`${DEAD_LETTER_SELECT} WHERE d.id = ?`).get(id) as DeadLetterJoinRow | undefined;
    return row && toDeadLetterState(row);
  }

  /** An embedded or supervisor file (it holds the log), a worker's file (consumers and outbox), or an empty one. */
  isRecqDatabase(): boolean {
    if (this.#hasTable('events') || (this.#hasTable('consumers') && this.#hasTable('outbox'))) return true;
    return this.#db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").pluck().get() === 0;
  }

  close(): void {
    this.#db.close();
  }

  #hasTable(name: string): boolean {
    return this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  #countBy(table: string, where: string): Map<string, number> {
    if (!this.#hasTable(table)) return new Map();
    const rows = this.#db.prepare(`SELECT consumer, COUNT(*) AS n FROM ${table} ${where} GROUP BY consumer`).all() as { consumer: string; n: number }[];
    return new Map(rows.map((row) => [row.consumer, row.n]));
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
    const rows = this.#db.prepare('SELECT topic, COUNT(*) AS n FROM events WHERE seq > ? GROUP BY topic').all(offset) as { topic: string; n: number }[];
    return rows.reduce((lag, row) => (matches(row.topic) ? lag + row.n : lag), 0);
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

const DEAD_LETTER_SELECT = 'SELECT d.*, c.component FROM dead_letters d LEFT JOIN consumers c ON c.consumer = d.consumer';

function toDeadLetterState(row: DeadLetterJoinRow): DeadLetterState {
  return { ...toDeadLetter(row), id: row.id, component: row.component ?? row.consumer };
}
