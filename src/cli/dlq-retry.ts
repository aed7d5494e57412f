import { OutcomePendingError, RetryFailedError } from '../errors.ts';
import type { ConsumerControl } from '../operator/consumer-control.ts';
import type { DeadLetterState } from '../operator/store-reader.ts';
import { DELIVERY_HELP, defineLetterCommand } from './control-command.ts';

export const dlqRetryCommand = defineLetterCommand({
  command: 'retry',
  summary: "apply a dead letter again against its actor's current state",
  about: `Usage: recq dlq retry <id> [--db FILE] [--wait MS]

Applies a parked dead letter's event again, against the current state of its actor; for a
consumer blocked on the letter, lets it try the event again in order. The outcome is recorded
on the letter: retried, or still parked (or blocking) with more attempts and the new error.

${DELIVERY_HELP}

Exit codes: 0 retried, or queued for the next start; 1 refused, failed again, or no outcome
within --wait.
`,
  applied: retryOutcome,
});

/** Waits for the retry's outcome on the letter, and says what it was. */
async function retryOutcome(control: ConsumerControl, before: DeadLetterState): Promise<string> {
  const { id, consumer } = before;
  // A paused consumer, or one blocked on another letter, applies the retry only once it goes on.
  const { hostState } = control.consumer(consumer);
  if (hostState === 'paused') {
    return `Dead letter ${id} is queued for retry, but consumer ${consumer} is paused: it is applied once "recq resume ${consumer}" runs.\n`;
  }
  if (hostState === 'blocked' && before.status !== 'blocking') {
    return `Dead letter ${id} is queued for retry, but consumer ${consumer} is blocked on another dead letter: it is applied once that one is retried or skipped.\n`;
  }
  const after = await control.poll(() => {
    const letter = control.reader.deadLetter(id);
    return letter && (letter.status !== before.status || letter.attempts > before.attempts) ? letter : undefined;
  });
  if (!after) throw new OutcomePendingError(consumer, 'retry', id, control.waitMs);
  if (after.status !== 'retried') throw new RetryFailedError(id, after.attempts, after.status, after.error);
  const actor = after.key === undefined ? after.component : `${after.component} key ${JSON.stringify(after.key)}`;
  return `Dead letter ${id} retried: seq ${after.seq} was applied to ${actor} on attempt ${after.attempts}.\n`;
}
