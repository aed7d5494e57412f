import type { BatchOutcome } from '../../actors/host.machine.ts';
import type { ActorCell } from '../actor/actor-cell.ts';
import type { ActorTable } from '../actor/actor-table.ts';
import type { SettledChild } from '../actor/child-journal.ts';
import { type PendingTimer, timerTag } from '../actor/durable-timers.ts';
import type { Clock } from '../clock.ts';
import { type Component, validateEvent } from '../component/component.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import type { Envelope } from '../envelope.ts';
import { MissingKeyError } from '../errors.ts';
import { eventFields } from '../logging/event-fields.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { processSpan } from '../tracing/process-span.ts';
import { timerSpan } from '../tracing/timer-span.ts';
import type { Checkpointer } from './checkpoint.ts';
import type { DeadLetterBook } from './dead-letter-book.ts';
import { deadLetterOf, type FailedInput, type FailureTracker, inputOfEnvelope } from './failures.ts';
import type { InboxItem } from './inbox.ts';
import type { PassivationSweep } from './passivation-sweep.ts';
import { type ConsumerPosition, DONE } from './position.ts';

export interface EventApplierOptions {
  component: Component;
  consumer: string;
  store: ConsumerStore;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  actors: ActorTable;
  failures: FailureTracker;
  letters: DeadLetterBook;
  position: ConsumerPosition;
  checkpoint: Checkpointer;
  sweep: PassivationSweep;
}

/**
 * Applies a consumer's work to its actors, one inbox item at a time: events in seq order (gaps
 * read from the log first), due timers, and operators' retries of dead letters. A failure rolls
 * the actor back and ends, per the retry policy, in a retry after a backoff, a parked letter
 * (the consumer goes on) or a blocking one (it waits for an operator).
 */
export class EventApplier {
  readonly #o: EventApplierOptions;

  constructor(options: EventApplierOptions) {
    this.#o = options;
  }

  /** Applies one inbox item; anything but done leaves it at the head of the inbox. */
  async handle(item: InboxItem): Promise<BatchOutcome<DeadLetter>> {
    const { position } = this.#o;
    switch (item.kind) {
      case 'event': {
        const { envelope, prev } = item;
        if (envelope.seq <= position.offset) return DONE;
        if (prev > position.offset) {
          const outcome = await this.#readThrough(prev);
          if (outcome.outcome !== 'done') return outcome;
          if (envelope.seq <= position.offset) return DONE;
        }
        // Live only when it continues the offset exactly; otherwise it is news to read from the log.
        if (prev !== position.offset) return this.#readThrough(envelope.seq);
        position.continuedTo(envelope.seq);
        return this.#applyInOrder(envelope);
      }
      case 'sync':
        return this.#readThrough(item.prev);
      case 'timer':
        return this.#fireTimer(item.key, item.timer);
      case 'dead-letter':
        await this.#applyDeadLetter(item.id);
        return DONE;
    }
  }

  /** The event of `letter`, which the consumer was blocked on, decides the letter's outcome on its next attempt. */
  retryBlocked(letter: DeadLetter): void {
    this.#o.letters.retrying(letter);
    this.#o.failures.reset();
  }

  /** The consumer goes on past `letter`, which it was blocked on. */
  skipBlocked(letter: DeadLetter): void {
    this.#o.letters.skipped(letter);
    this.#o.checkpoint.changed(true);
    this.#o.position.advance(letter.seq);
  }

  #readThrough(until: number): Promise<BatchOutcome<DeadLetter>> {
    return this.#o.position.readThrough(until, (envelope) => {
      const outcome = this.#applyInOrder(envelope);
      if (outcome.outcome === 'done') this.#o.checkpoint.commitIfFull();
      return outcome;
    });
  }

  /** Applies the next event of the consumer's order; on failure retries later, parks or blocks. */
  #applyInOrder(envelope: Envelope): BatchOutcome<DeadLetter> {
    const { component, consumer, store, logger, clock, failures, letters, checkpoint, position } = this.#o;
    const failure = this.#apply(envelope);
    const key = component.keyOf(envelope);
    if (failure === undefined) {
      failures.succeeded(envelope.id);
      letters.applied(envelope.id);
      checkpoint.changed(true);
      position.advance(envelope.seq);
      return DONE;
    }
    // An operator skipped this event before (a replay meets it again): it stays skipped.
    if (failures.attempts(envelope.id) === 0 && store.deadLetterFor(consumer, envelope.id)?.status === 'skipped') {
      logger.info(
        `component ${component.name} skips seq ${envelope.seq} again, as an operator did before`,
        eventFields(component.name, consumer, key, envelope.seq),
      );
      checkpoint.changed(true);
      position.advance(envelope.seq);
      return DONE;
    }
    const now = clock.now();
    const verdict = failures.failed(inputOfEnvelope(envelope, key), failure.error, now);
    const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
    if (verdict.action === 'retry') {
      logger.warn(
        `component ${component.name} failed on seq ${envelope.seq} (attempt ${verdict.attempts}); retrying in ${verdict.delayMs} ms: ${message}`,
        eventFields(component.name, consumer, key, envelope.seq, { attempt: verdict.attempts, error: failure.error }),
      );
      return { outcome: 'retry', delayMs: verdict.delayMs };
    }
    const letter = letters.record({ ...verdict.letter, consumer });
    if (verdict.action === 'block') {
      logger.error(
        `component ${component.name} is blocked on seq ${envelope.seq} after ${letter.attempts} attempts: ${message}. Retry or skip the dead letter to go on.`,
        eventFields(component.name, consumer, key, envelope.seq, { deadLetter: letter.id, error: failure.error }),
      );
      return { outcome: 'blocked', letter };
    }
    logger.warn(
      `component ${component.name} parked seq ${envelope.seq} after ${letter.attempts} attempts: ${message}`,
      eventFields(component.name, consumer, key, envelope.seq, { topic: envelope.topic, deadLetter: letter.id, error: failure.error }),
    );
    checkpoint.changed(true);
    position.advance(envelope.seq);
    return DONE;
  }

  /** Validates and applies one event to its actor, in its process span. Returns the failure, after rolling the actor back. */
  #apply(envelope: Envelope): { error: unknown } | undefined {
    const { component, consumer } = this.#o;
    const key = component.keyOf(envelope);
    return processSpan(envelope, { consumer, component: component.name, key }, () => this.#applyToActor(envelope, key));
  }

  #applyToActor(envelope: Envelope, key: string | undefined): { error: unknown } | undefined {
    const { component, clock, actors } = this.#o;
    if (component.keyed && (typeof key !== 'string' || key.length === 0)) return { error: new MissingKeyError(component.name, envelope.seq, envelope.topic) };
    const rejected = validateEvent(component, envelope);
    if (rejected) return { error: rejected };
    let cell: ActorCell;
    try {
      cell = actors.activate(key, envelope);
    } catch (error) {
      return { error };
    }
    if (cell.process(envelope)) {
      cell.lastActive = clock.now();
      actors.markDirty(cell);
      this.#o.sweep.schedule();
      return undefined;
    }
    const error = cell.failure;
    actors.rollBack(cell);
    return { error };
  }

  #fireTimer(key: string, timer: PendingTimer): BatchOutcome<DeadLetter> {
    if (timer.child) return this.#deliverOutcome(key, timer.child);
    const { component, consumer, clock, logger, actors, letters, checkpoint } = this.#o;
    const cell = actors.get(key);
    if (!cell || timer.cancelled || !cell.timers.pending.has(timer)) return DONE;
    const eventId = timerTag(timer.stored);
    const fired = { consumer, component: component.name, key: cell.key, timer: eventId, causation: timer.stored.causation };
    const applied = timerSpan(
      fired,
      (trace) => cell.fireTimer(timer, trace),
      () => cell.failure,
    );
    if (applied) {
      cell.lastActive = clock.now();
      actors.markDirty(cell);
      letters.applied(eventId);
      checkpoint.changed(true);
      return DONE;
    }
    // A failing timer is not retried on a backoff (it would fire again from the checkpoint at
    // once): it is parked, and dropped from the actor rolled back to its checkpoint.
    const error = cell.failure;
    const restored = actors.rollBack(cell);
    restored?.timers.drop(eventId);
    const now = clock.now();
    const input: FailedInput = { seq: timer.stored.scheduledSeq, eventId, key: cell.key, topic: 'timer', event: JSON.stringify(timer.stored) };
    const letter = letters.record({ ...deadLetterOf(input, error, 1, now, now, 'parked'), consumer });
    logger.warn(
      `component ${component.name} parked timer ${timer.stored.id}: ${letter.error}`,
      eventFields(component.name, consumer, cell.key, timer.stored.scheduledSeq, { timer: timer.stored.id, deadLetter: letter.id }),
    );
    checkpoint.changed(true);
    return DONE;
  }

  /**
   * Delivers a settled child's outcome to its actor, to be journaled with the checkpoint. A
   * failing delivery is parked, not retried (the child cannot settle again): the actor goes back
   * to its checkpoint, and the child there is neither invoked nor answered again.
   */
  #deliverOutcome(key: string, child: SettledChild): BatchOutcome<DeadLetter> {
    const { component, consumer, clock, logger, actors, letters, checkpoint } = this.#o;
    const cell = actors.get(key);
    if (!cell) return DONE;
    if (cell.deliverOutcome(child)) {
      cell.lastActive = clock.now();
      actors.markDirty(cell);
      checkpoint.changed(true);
      return DONE;
    }
    const error = cell.failure;
    const parked = cell.journal.parked(child, cell.lastSeq);
    actors.rollBack(cell, parked);
    const now = clock.now();
    const input: FailedInput = { seq: cell.lastSeq, eventId: `outcome/${child.effect.id}`, key: cell.key, topic: 'outcome', event: JSON.stringify(parked) };
    const letter = letters.record({ ...deadLetterOf(input, error, 1, now, now, 'parked'), consumer });
    logger.warn(
      `component ${component.name} parked the outcome of child ${child.effect.id}: ${letter.error}`,
      eventFields(component.name, consumer, cell.key, cell.lastSeq, { child: child.effect.id, deadLetter: letter.id }),
    );
    checkpoint.changed(true);
    return DONE;
  }

  /** An operator's retry of a parked letter: applied against the actor's current state. */
  async #applyDeadLetter(id: number): Promise<void> {
    const { store, log, clock, logger, actors, letters, checkpoint } = this.#o;
    const letter = store.deadLetter(id);
    if (letter?.status !== 'parked') return;
    letters.retrying(letter);
    if (letter.eventId.startsWith('outcome/')) {
      // The child's actor went back to before it; its outcome cannot be delivered to it again.
      letters.abandon(letter.eventId);
      logger.error(
        `dead letter ${id} holds the outcome of an invoked child, which cannot be applied again; skip it`,
        eventFields(this.#o.component.name, letter.consumer, letter.key, letter.seq, { deadLetter: id }),
      );
      return;
    }
    if (letter.eventId.startsWith('timer/')) {
      const cell = actors.activate(letter.key, undefined);
      cell.timers.restore([{ ...JSON.parse(letter.event), due: clock.now() }]);
      return;
    }
    const [envelope] = await log.read({ after: letter.seq - 1, until: letter.seq, limit: 1 });
    if (!envelope) {
      letters.abandon(letter.eventId);
      logger.error(
        `dead letter ${id} names seq ${letter.seq}, which the log does not hold`,
        eventFields(this.#o.component.name, letter.consumer, letter.key, letter.seq, { deadLetter: id }),
      );
      return;
    }
    const failure = this.#apply(envelope);
    if (failure === undefined) letters.applied(envelope.id);
    else letters.failedAgain(letter, failure.error, clock.now());
    checkpoint.changed(failure === undefined);
  }
}
