import type { JetStreamClient, PubAck } from 'nats';
import type { Clock } from '../../clock.ts';
import type { AppendResult, Envelope, PreparedAppend } from '../../envelope.ts';
import { NotLeadingError } from '../../errors.ts';
import type { StreamIndex } from './stream-index.ts';
import { encodeEventBody, encodeLeaseBody, envelopeOf, epochMsgId, type LeaseEntry, leaseMsgId, recordHeaders, type StreamRecord } from './stream-record.ts';

/** JetStream's error codes for a publish whose expected last sequence, or last message id, is not the stream's last. */
const WRONG_LAST = new Set([10071, 10070]);

export interface StreamWriterOptions {
  js: JetStreamClient;
  subject: string;
  index: StreamIndex;
  clock: Clock;
  /** The epoch this leader won; every record it writes carries it. */
  epoch: number;
  ackTimeoutMs: number;
  /** Hears each group of events indexed after their acks, in seq order (the router). */
  committed: (envelopes: readonly Envelope[]) => void;
  /** Hears, once, that an append was refused: another supervisor wrote the stream, this leader must step down. */
  deposed: (error: NotLeadingError) => void;
  /** Hears that a publish went unconfirmed, and the writer re-sends the chain from there. */
  onUnconfirmed?: (cause: unknown) => void;
}

/** The first pause between re-sends of an unconfirmed slot; it doubles up to the second. */
const RESEND_FIRST_PAUSE_MS = 100;
const RESEND_MAX_PAUSE_MS = 1000;

/** What a slot of the chain publishes: an event, or a lease granted or released. */
type Draft = { kind: 'event'; prepared: PreparedAppend } | { kind: 'lease'; entry: LeaseEntry };

interface Slot {
  seq: number;
  draft: Draft;
  /** Its `Nats-Msg-Id`. */
  id: string;
  /** The `Nats-Msg-Id` of the slot before it, which the stream must hold last. */
  previousId: string;
  body: string;
  time: number;
  acked: boolean;
  resolve: (seq: number) => void;
  reject: (error: unknown) => void;
}

/**
 * The leader's only way to write the log. Appends are published at once and pipelined, each
 * with `Nats-Msg-Id` = its event id, `Nats-Expected-Last-Sequence` = the seq before it and
 * `Nats-Expected-Last-Msg-Id` = the id of the record before it (its epoch record, for the
 * first), so the stream itself refuses them if anyone else has written since (a newer
 * leader's epoch record). The seq alone is not enough for a pipeline: once one append is
 * refused, a later one can still expect exactly the seq another writer's record took, and
 * land after it. An event is indexed and acknowledged only after JetStream's ack, in seq
 * order, and the acks that arrive together are indexed in one transaction. Lease records
 * (`recordLease`) take their place in the same chain.
 *
 * An unconfirmed publish (no ack in time, or no stream leader to answer: the stream may be
 * electing one) does not end the term: the writer sends the chain again from the first slot
 * not acknowledged, one slot at a time with the same ids and expectations, and pipelines again
 * once it is through. A refused publish (another supervisor has written since) breaks the
 * chain: the writer rejects everything not yet acknowledged with `NotLeadingError`, and the
 * supervisor steps down and reads the stream again. Producers retry with the same ids;
 * whatever did land is found in the index then.
 */
export class StreamWriter {
  readonly epoch: number;
  readonly #o: StreamWriterOptions;
  /** The seq of the last record published: the next one expects it as the stream's last. */
  #lastSent: number;
  /** The `Nats-Msg-Id` of that record. */
  #lastSentId: string;
  readonly #slots = new Map<number, Slot>();
  readonly #inFlight = new Map<string, Promise<AppendResult>>();
  #drainScheduled = false;
  #failure: NotLeadingError | undefined;
  /** Set while unconfirmed slots are re-sent in order: new slots wait for it. */
  #resending = false;

  constructor(options: StreamWriterOptions) {
    this.#o = options;
    this.epoch = options.epoch;
    // A leader's writer starts right after the epoch record that won it the lead.
    this.#lastSent = options.index.head;
    this.#lastSentId = epochMsgId(options.epoch);
  }

  /** The seq of the last record this leader has published (acknowledged or not). */
  get lastSent(): number {
    return this.#lastSent;
  }

  /** Set once the writer has stopped: why. */
  get failure(): NotLeadingError | undefined {
    return this.#failure;
  }

  /** Publishes the events the log does not hold yet; resolves once each is acknowledged and indexed. */
  append(prepared: readonly PreparedAppend[]): Promise<AppendResult[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const time = this.#o.clock.now();
    return Promise.all(prepared.map((p) => this.#appendOne(p, time)));
  }

  /** Publishes a lease granted or released; resolves with its seq once it is acknowledged and indexed. */
  recordLease(entry: LeaseEntry): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#publish({ kind: 'lease', entry }, leaseMsgId(entry), encodeLeaseBody(entry), this.#o.clock.now());
  }

  /** Stops writing: what is not acknowledged yet is rejected with `reason`. */
  stop(reason: NotLeadingError): void {
    this.#fail(reason, false);
  }

  #appendOne(p: PreparedAppend, time: number): Promise<AppendResult> {
    const seq = this.#o.index.seqOf(p.id);
    if (seq !== undefined) return Promise.resolve({ seq, id: p.id, duplicate: true });
    const pending = this.#inFlight.get(p.id);
    if (pending) return pending.then((result) => ({ ...result, duplicate: true }));
    const result = this.#publish({ kind: 'event', prepared: p }, p.id, encodeEventBody(p, time), time).then((at) => ({ seq: at, id: p.id, duplicate: false }));
    this.#inFlight.set(p.id, result);
    return result;
  }

  /** Takes the next slot of the chain and publishes into it, expecting the record before it as the stream's last. */
  #publish(draft: Draft, id: string, body: string, time: number): Promise<number> {
    const seq = ++this.#lastSent;
    const previousId = this.#lastSentId;
    this.#lastSentId = id;
    let slot: Slot | undefined;
    const result = new Promise<number>((resolve, reject) => {
      slot = { seq, draft, id, previousId, body, time, acked: false, resolve, reject };
    });
    this.#slots.set(seq, slot as Slot);
    // While the chain is being re-sent, the new slot waits its turn there.
    if (!this.#resending) void this.#send(slot as Slot);
    return result;
  }

  /**
   * Publishes `slot` (again, when re-sending: the same id and expectations) and says how it
   * went. js.publish sends before its first await, so publishes leave in seq order.
   */
  async #send(slot: Slot): Promise<'acked' | 'unconfirmed' | 'failed'> {
    const resend = this.#resending;
    try {
      const ack = await this.#o.js.publish(this.#o.subject, slot.body, {
        msgID: slot.id,
        expect: { lastSequence: slot.seq - 1, lastMsgID: slot.previousId },
        headers: recordHeaders(slot.draft.kind, this.epoch),
        timeout: this.#o.ackTimeoutMs,
      });
      return this.#acked(slot, ack, resend) ? 'acked' : 'failed';
    } catch (error) {
      if (this.#failure || slot.acked) return 'failed';
      const code = (error as { api_error?: { err_code?: number } }).api_error?.err_code;
      // An earlier slot unconfirmed explains a refusal of this one: re-send the chain from there.
      if (code === undefined || this.#unackedBefore(slot.seq)) {
        if (!this.#resending) void this.#resend(error);
        return 'unconfirmed';
      }
      const reason = WRONG_LAST.has(code)
        ? `the stream refused seq ${slot.seq}: another supervisor has written since (${(error as Error).message})`
        : `the stream refused seq ${slot.seq}: ${(error as Error).message}`;
      this.#fail(new NotLeadingError('append', this.epoch, reason, error), true);
      return 'failed';
    }
  }

  /**
   * Re-sends, one at a time and in seq order, every slot not acknowledged yet, each with its
   * own id and expectations, until each is acknowledged, or one is refused (another supervisor
   * wrote the stream: step down), or the writer stops. A slot that did land is acknowledged as
   * a duplicate at its own seq. The stream may be electing a leader: unconfirmed sends are
   * tried again after a pause that doubles up to a second.
   */
  async #resend(cause: unknown): Promise<void> {
    this.#resending = true;
    this.#o.onUnconfirmed?.(cause);
    let pause = RESEND_FIRST_PAUSE_MS;
    try {
      for (;;) {
        if (this.#failure) return;
        const next = this.#firstUnacked();
        if (!next) return;
        const outcome = await this.#send(next);
        if (outcome === 'failed' && !next.acked) return;
        if (outcome === 'unconfirmed') {
          await new Promise<void>((resolve) => this.#o.clock.setTimeout(() => resolve(), pause));
          pause = Math.min(RESEND_MAX_PAUSE_MS, pause * 2);
        } else pause = RESEND_FIRST_PAUSE_MS;
      }
    } finally {
      this.#resending = false;
    }
  }

  #firstUnacked(): Slot | undefined {
    let first: Slot | undefined;
    for (const slot of this.#slots.values()) if (!slot.acked && (!first || slot.seq < first.seq)) first = slot;
    return first;
  }

  #unackedBefore(seq: number): boolean {
    for (const slot of this.#slots.values()) if (slot.seq < seq && !slot.acked) return true;
    return false;
  }

  /** Marks `slot` acknowledged; false (and the writer failed) if the stream put it anywhere else. */
  #acked(slot: Slot, ack: PubAck, resend: boolean): boolean {
    if (this.#failure) return false;
    if (slot.acked) return true;
    // A re-sent slot that had landed comes back as a duplicate of itself.
    if (ack.seq !== slot.seq || (ack.duplicate && !resend)) {
      // JetStream checks duplicates before the expected sequence: a newer leader wrote this id, or the index is behind the stream.
      const reason = ack.duplicate
        ? `the stream already holds ${slot.draft.kind} ${slot.id} at seq ${ack.seq}, written since by another supervisor`
        : `the stream placed ${slot.draft.kind} ${slot.id} at seq ${ack.seq}, not ${slot.seq}`;
      this.#fail(new NotLeadingError('append', this.epoch, reason), true);
      return false;
    }
    slot.acked = true;
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      setImmediate(() => this.#drain());
    }
    return true;
  }

  /** Indexes the acknowledged slots that follow the index head, in one transaction, and acknowledges them. */
  #drain(): void {
    this.#drainScheduled = false;
    const ready: Slot[] = [];
    for (let seq = this.#o.index.head + 1; ; seq++) {
      const slot = this.#slots.get(seq);
      if (!slot?.acked) break;
      ready.push(slot);
    }
    if (ready.length === 0) return;
    const records: StreamRecord[] = ready.map(({ draft, seq, time }) =>
      draft.kind === 'event'
        ? { kind: 'event', seq, epoch: this.epoch, envelope: envelopeOf(draft.prepared, seq, time) }
        : { kind: 'lease', seq, epoch: this.epoch, lease: draft.entry },
    );
    let events: Envelope[];
    try {
      events = this.#o.index.apply(records);
    } catch (error) {
      this.#fail(new NotLeadingError('append', this.epoch, 'the local index could not be written', error), false);
      return;
    }
    for (const slot of ready) {
      this.#slots.delete(slot.seq);
      this.#inFlight.delete(slot.id);
      slot.resolve(slot.seq);
    }
    if (events.length > 0) this.#o.committed(events);
  }

  #fail(reason: NotLeadingError, notify: boolean): void {
    if (this.#failure) return;
    // What the stream acknowledged before the break is the log's: index and acknowledge it first.
    if (this.#drainScheduled) this.#drain();
    this.#failure = reason;
    for (const slot of this.#slots.values()) slot.reject(reason);
    this.#slots.clear();
    this.#inFlight.clear();
    if (notify) this.#o.deposed(reason);
  }
}
