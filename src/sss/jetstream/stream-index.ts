import type { SqliteDatabase } from '../../db.ts';
import type { Envelope, PreparedAppend } from '../../envelope.ts';
import { createEventsTable, insertEvent, readEvent, readEventRange, readHead, readSeqOfId } from '../tables/events.ts';
import type { LeaseEntry, StreamRecord } from './stream-record.ts';

/** Why a record of the stream is not an event readers see. */
export type SkippedKind = 'epoch' | 'lease' | 'stale' | 'duplicate' | 'unreadable';

/** A record of the stream that readers skip: an epoch or a lease record, or one they must ignore. */
export interface SkippedRecord {
  seq: number;
  kind: SkippedKind;
  epoch: number;
  owner: string | null;
  time: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS stream_records (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    owner TEXT,
    time INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS stream_leases (
    resource TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    proof TEXT NOT NULL,
    released INTEGER NOT NULL,
    time INTEGER NOT NULL
  );
`;

/**
 * A supervisor's local copy of the log's stream, in its SQLite file, filled in stream order:
 * the events in the same `events` table the SQLite log uses (so reads, filters and the id
 * index work alike), and every other record in `stream_records`. Each stream sequence is in
 * exactly one of the two tables, so the log stays gap-free while readers see only events.
 * Lease records also keep, per consumer, the newest lease a leader granted or saw released
 * (`leases()`): what a new leader's term starts from.
 *
 * Readers ignore two kinds of record, which a correct leader never writes but the rule makes
 * harmless: an event of an older epoch after a newer epoch record (`stale`), and an event
 * whose id is already at an earlier seq (`duplicate`: idempotency outlives the stream's
 * duplicate window).
 *
 * @example
 * const index = new StreamIndex(db);
 * const events = index.apply(records); // the envelopes readers will see, in seq order
 */
export class StreamIndex {
  readonly #db: SqliteDatabase;
  readonly #apply: (records: readonly StreamRecord[]) => Envelope[];
  #head: number;
  #epoch: number;
  #leader: string | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    createEventsTable(db);
    db.exec(SCHEMA);
    const skippedHead = (db.prepare('SELECT COALESCE(MAX(seq), 0) FROM stream_records').pluck().get() as number | null) ?? 0;
    this.#head = Math.max(readHead(db), skippedHead);
    const last = db.prepare("SELECT epoch, owner FROM stream_records WHERE kind = 'epoch' ORDER BY seq DESC LIMIT 1").get() as
      | { epoch: number; owner: string }
      | undefined;
    this.#epoch = last?.epoch ?? 0;
    this.#leader = last?.owner;
    const skip = db.prepare('INSERT INTO stream_records (seq, kind, epoch, owner, time) VALUES (?, ?, ?, ?, ?)');
    // A lease's epoch only goes up: a grant or a release of an older one changes nothing.
    const keepLease = db.prepare(
      `INSERT INTO stream_leases (resource, owner, epoch, proof, released, time) VALUES (@resource, @owner, @epoch, @proof, @released, @time)
       ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, proof = excluded.proof, released = excluded.released, time = excluded.time
       WHERE excluded.epoch > stream_leases.epoch OR (excluded.epoch = stream_leases.epoch AND excluded.released = 1)`,
    );
    this.#apply = db.transaction((records: readonly StreamRecord[]) => {
      const events: Envelope[] = [];
      for (const record of records) {
        if (record.seq <= this.#head) continue;
        if (record.seq !== this.#head + 1) throw new Error(`stream record seq ${record.seq} does not follow the index head ${this.#head}`);
        if (record.kind === 'epoch') {
          skip.run(record.seq, 'epoch', record.epoch, record.owner, record.time);
          if (record.epoch > this.#epoch) {
            this.#epoch = record.epoch;
            this.#leader = record.owner;
          }
        } else if (record.kind === 'unreadable') {
          skip.run(record.seq, 'unreadable', 0, null, 0);
        } else if (record.kind === 'lease') {
          const stale = record.epoch < this.#epoch;
          skip.run(record.seq, stale ? 'stale' : 'lease', record.epoch, record.lease.owner, record.lease.time);
          if (!stale) keepLease.run({ ...record.lease, released: record.lease.released ? 1 : 0 });
        } else if (record.epoch < this.#epoch) {
          skip.run(record.seq, 'stale', record.epoch, null, record.envelope.time);
        } else if (!insertEvent(db, record.seq, record.envelope.time, preparedOf(record.envelope))) {
          skip.run(record.seq, 'duplicate', record.epoch, null, record.envelope.time);
        } else events.push(record.envelope);
        this.#head = record.seq;
      }
      return events;
    }).immediate;
  }

  /** The last stream sequence indexed (0 for an empty stream). */
  get head(): number {
    return this.#head;
  }

  /** The newest epoch an epoch record has claimed, and who claimed it. */
  get epoch(): number {
    return this.#epoch;
  }

  get leader(): string | undefined {
    return this.#leader;
  }

  /**
   * Indexes records that follow the head, in one transaction; records at or below the head are
   * already there and skipped. Returns the events readers will see. A gap throws: the caller
   * reads the stream again from the head.
   */
  apply(records: readonly StreamRecord[]): Envelope[] {
    const before = { head: this.#head, epoch: this.#epoch, leader: this.#leader };
    try {
      return this.#apply(records);
    } catch (error) {
      this.#head = before.head;
      this.#epoch = before.epoch;
      this.#leader = before.leader;
      throw error;
    }
  }

  seqOf(id: string): number | undefined {
    return readSeqOfId(this.#db, id);
  }

  get(seq: number): Envelope | undefined {
    return readEvent(this.#db, seq);
  }

  read(range: { after: number; until: number; patterns: readonly string[]; limit: number }): Envelope[] {
    return readEventRange(this.#db, range).envelopes;
  }

  /** Every consumer's newest lease, as the lease records of the stream left it. */
  leases(): LeaseEntry[] {
    const rows = this.#db.prepare('SELECT resource, owner, epoch, proof, released, time FROM stream_leases ORDER BY resource').all() as (Omit<
      LeaseEntry,
      'released'
    > & { released: number })[];
    return rows.map((row) => ({ ...row, released: row.released === 1 }));
  }

  /** The records readers skip, in seq order (epoch and lease records, and any stale or duplicate ones). */
  skipped(): SkippedRecord[] {
    return this.#db.prepare('SELECT seq, kind, epoch, owner, time FROM stream_records ORDER BY seq').all() as SkippedRecord[];
  }
}

function preparedOf(envelope: Envelope): PreparedAppend {
  const prepared: PreparedAppend = {
    id: envelope.id,
    topic: envelope.topic,
    key: envelope.key ?? null,
    json: JSON.stringify(envelope.event),
    causation: envelope.causation ?? null,
    correlationId: envelope.correlationId ?? null,
  };
  if (envelope.trace) prepared.trace = envelope.trace;
  return prepared;
}
