import type { BatchOutcome } from '../../actors/host.work.ts';
import type { ActorCell } from '../actor/actor-cell.ts';
import type { ActorTable } from '../actor/actor-table.ts';
import type { Clock } from '../clock.ts';
import { type Component, validateEvent } from '../component/component.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import type { Envelope } from '../envelope.ts';
import { MissingKeyError } from '../errors.ts';
import { eventFields } from '../logging/event-fields.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { processSpan } from '../tracing/process-span.ts';
import type { Checkpointer } from './checkpoint.ts';
import type { DeadLetterBook } from './dead-letter-book.ts';
import { type FailureTracker, inputOfEnvelope } from './failures.ts';
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
 * Applies a consumer's work to its actors, one inbox item at a time: events and its own input
 * records (timer firings, children's outcomes and events) in seq order, gaps read from the log
 * first, and operators' retries of dead letters. A failure rolls the actor back and ends, per
 * the retry policy, in a retry after a backoff, a parked letter (the consumer goes on) or a
 * blocking one (it waits for an operator).
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

  /** An operator's retry of a parked letter: applied against the actor's current state. */
  async #applyDeadLetter(id: number): Promise<void> {
    const { store, log, clock, logger, actors, letters, checkpoint } = this.#o;
    const letter = store.deadLetter(id);
    if (letter?.status !== 'parked') return;
    letters.retrying(letter);
    // Letters of earlier versions, whose outcomes and firings were not in the log.
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
