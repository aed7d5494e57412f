import type { JetStreamClient } from 'nats';
import type { Clock } from '../../clock.ts';
import { SystemStoppedError } from '../../errors.ts';
import type { Logger } from '../../logging/logger.ts';
import type { LeaderEntry, Liveness } from './liveness.ts';
import type { StreamIndex } from './stream-index.ts';
import { encodeEpochBody, epochMsgId, recordHeaders } from './stream-record.ts';
import type { StreamTail } from './stream-tail.ts';

export interface EpochClaimOptions {
  js: JetStreamClient;
  subject: string;
  index: StreamIndex;
  tail: StreamTail;
  liveness: Liveness;
  clock: Clock;
  logger: Logger;
  owner: string;
  /** How often a standby looks at the leader's liveness entry. */
  checkEveryMs: number;
  /** How long the entry lives: a leader this standby has just seen claim its epoch gets this long to write it. */
  livenessTtlMs: number;
  ackTimeoutMs: number;
  /** Whether this owner's own entry may be claimed: on a (re)start, not after this process was deposed. */
  claimOwnEntry: boolean;
  /** Hears each look at the leader's entry while standing by (the supervisor reports itself then). */
  onLook?: () => void;
}

/**
 * A standby's wait for the lead: it tails the stream into its index and looks at the
 * leader's liveness entry every `checkEveryMs`. When the entry has lapsed (or names this
 * process: a restart of the same owner), it stops tailing and appends an epoch record with
 * `Nats-Expected-Last-Sequence` = the index head. The stream accepts it only if nothing was
 * written after what this standby has read, so of several claimants at most one wins, and a
 * claim can never skip records. A refused claim goes back to tailing. A new leader writes its
 * entry only after its epoch record: a standby that has just read that record gives it
 * `livenessTtlMs` to do so, instead of claiming the next epoch right behind it.
 */
export class EpochClaim {
  readonly #o: EpochClaimOptions;
  #cancelled = false;
  #wake: (() => void) | undefined;
  #timer: unknown;
  /** The newest epoch the index knew at the last look, and since when (by this process's clock). */
  #epoch: number;
  #epochSince = Number.NEGATIVE_INFINITY;
  /** The tail's start while it is under way. */
  #starting: Promise<void> | undefined;

  constructor(options: EpochClaimOptions) {
    this.#o = options;
    this.#epoch = options.index.epoch;
  }

  /** Resolves with the epoch this process won; rejects with `SystemStoppedError` once cancelled. */
  async won(): Promise<number> {
    const { logger } = this.#o;
    let said = false;
    for (;;) {
      if (this.#cancelled) throw new SystemStoppedError('stand by for the log');
      this.#startTail();
      const leader = await this.#look();
      this.#noteEpoch();
      this.#o.onLook?.();
      if (this.#mayClaim(leader)) {
        const epoch = await this.#claim();
        if (epoch !== undefined) return epoch;
      } else if (!said && leader !== 'unknown' && leader !== undefined) {
        said = true;
        // At warn, like leading and stepping down: an operator sees each change of role at the default level.
        logger.warn(`stands by: ${leader.owner} leads the log at epoch ${leader.epoch}`, {});
      }
      await this.#sleep(this.#o.checkEveryMs);
    }
  }

  /**
   * A lapsed entry may be claimed, and so may this owner's own entry for the newest epoch the
   * index knows (this process led it and was restarted). An entry of an older epoch is a
   * deposed leader's last beat: it lapses soon, or the leader overwrites it.
   */
  #mayClaim(leader: LeaderEntry | undefined | 'unknown'): boolean {
    // No entry yet from a leader whose epoch record this standby read just now: it has not beaten yet.
    if (leader === undefined) return this.#o.clock.now() - this.#epochSince >= this.#o.livenessTtlMs;
    if (leader === 'unknown') return false;
    const { index, owner } = this.#o;
    return this.#o.claimOwnEntry && leader.owner === owner && leader.epoch === index.epoch && index.leader === owner;
  }

  /**
   * Starts tailing the stream unless it runs or is starting: in the background, so that a
   * slow start (JetStream requests wait out their timeout while a server restarts) does not
   * hold back the looks at the leader's entry.
   */
  #startTail(): void {
    if (this.#starting || this.#o.tail.running) return;
    this.#starting = this.#o.tail
      .start()
      .catch((error: unknown) => this.#o.logger.warn('could not read the log stream; trying again', { error }))
      .finally(() => {
        this.#starting = undefined;
      });
  }

  /** The leader's entry, or 'unknown' if the bucket does not answer within a look's interval. */
  #look(): Promise<LeaderEntry | undefined | 'unknown'> {
    const { clock, checkEveryMs } = this.#o;
    let timer: unknown;
    const late = new Promise<'unknown'>((resolve) => {
      timer = clock.setTimeout(() => resolve('unknown'), checkEveryMs);
    });
    const entry = this.#o.liveness.leader().catch(() => 'unknown' as const);
    return Promise.race([entry, late]).finally(() => clock.clearTimeout(timer));
  }

  cancel(): void {
    this.#cancelled = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #claim(): Promise<number | undefined> {
    const { index, js, logger } = this.#o;
    await this.#o.tail.stop();
    // What the tail had read but not indexed is in now: a new leader's epoch record among it is waited for as above.
    if (this.#noteEpoch()) return undefined;
    const tail = index.head;
    const epoch = index.epoch + 1;
    const time = this.#o.clock.now();
    try {
      const ack = await js.publish(this.#o.subject, encodeEpochBody(this.#o.owner, time), {
        msgID: epochMsgId(epoch),
        expect: { lastSequence: tail },
        headers: recordHeaders('epoch', epoch),
        timeout: this.#o.ackTimeoutMs,
      });
      // A duplicate is another claimant's record of the same epoch: it won.
      if (ack.duplicate || ack.seq !== tail + 1) return undefined;
      index.apply([{ kind: 'epoch', seq: ack.seq, epoch, owner: this.#o.owner, time }]);
      return epoch;
    } catch (error) {
      logger.info(`claim of epoch ${epoch} after seq ${tail} refused; reading on`, { error });
      return undefined;
    }
  }

  /** Notes when the index first showed its newest epoch; true if that was now. */
  #noteEpoch(): boolean {
    if (this.#o.index.epoch === this.#epoch) return false;
    this.#epoch = this.#o.index.epoch;
    this.#epochSince = this.#o.clock.now();
    return true;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#o.clock.setTimeout(resolve, ms);
    });
  }
}
