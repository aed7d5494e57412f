import type { BatchOutcome, HeldLetter } from '../../actors/host.work.ts';
import type { Envelope } from '../envelope.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { Inbox } from './inbox.ts';

/** What reading a gap needs to know of the consumer. */
export interface GapRead {
  log: LogAccess;
  patterns: readonly string[];
  pageSize: number;
}

/**
 * Where a consumer stands in the log: the seq it applied through (`offset`), the seq its last
 * checkpoint holds (`committedOffset`), the highest seq known to be routed to it, and the work
 * waiting in its inbox. Gaps between what was applied and what was routed are read from the log.
 */
export class ConsumerPosition {
  /** Seq up to which events are applied in memory (ahead of the checkpoint between commits). */
  offset = 0;
  committedOffset = 0;
  /** Highest seq known to be routed to this consumer (a hint: a delivery may claim any seq). */
  routedThrough = 0;
  /** Highest seq the log is known to hold: read from it, or said by the supervisor. The offset never passes it. */
  logHead = 0;
  readonly inbox = new Inbox();
  readonly #gap: GapRead;
  readonly #moved: () => void;

  /** `moved` hears of each forward move of the offset (the next checkpoint has something to write). */
  constructor(gap: GapRead, moved: () => void) {
    this.#gap = gap;
    this.#moved = moved;
  }

  /** The offset a checkpoint (or a replay's reset) left: applied and committed agree. */
  restoredAt(offset: number): void {
    this.offset = offset;
    this.committedOffset = offset;
  }

  /** The supervisor registered the route at `watermark`, the log head then. */
  registeredAt(watermark: number): void {
    this.routed(watermark);
    this.logHead = Math.max(this.logHead, watermark);
  }

  /** A delivery from the current supervisor continued the offset exactly to `seq`: the log holds it. */
  continuedTo(seq: number): void {
    this.logHead = Math.max(this.logHead, seq);
  }

  /** The route has reached `seq`. */
  routed(seq: number): void {
    this.routedThrough = Math.max(this.routedThrough, seq);
  }

  /** Moves the offset forward to `seq`; false if it was already there. */
  advance(seq: number): boolean {
    if (seq <= this.offset) return false;
    this.offset = seq;
    this.#moved();
    return true;
  }

  /** A checkpoint holding `offset` committed. */
  committed(): void {
    this.committedOffset = this.offset;
  }

  get hasUncommittedOffset(): boolean {
    return this.offset !== this.committedOffset;
  }

  /**
   * Hands every matching event in (offset, until] from the log to `apply`, in order, then moves
   * the offset to `until` (events in between matched nobody). Stops at the first that did not
   * end done. `until` comes from deliveries and heartbeats, so it is only a hint: past the head
   * the log is known to hold, the head is asked for, and the offset stops there.
   */
  async readThrough<Letter extends HeldLetter>(until: number, apply: (envelope: Envelope) => BatchOutcome<Letter>): Promise<BatchOutcome<Letter>> {
    const { log, patterns, pageSize } = this.#gap;
    if (until <= this.offset) return DONE;
    if (until > this.logHead) this.logHead = Math.max(this.logHead, await log.head());
    const through = Math.min(until, this.logHead);
    while (this.offset < through) {
      const page = await log.read({ after: this.offset, until: through, patterns, limit: pageSize });
      for (const envelope of page) {
        const outcome = apply(envelope);
        if (outcome.outcome !== 'done') return outcome;
      }
      if (page.length < pageSize) this.advance(through);
    }
    return DONE;
  }
}

/** The outcome of work that was applied (or skipped) and lets the batch go on. */
export const DONE: { readonly outcome: 'done' } = Object.freeze({ outcome: 'done' });
