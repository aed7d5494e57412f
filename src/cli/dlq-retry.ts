import { RecqError } from '../errors.ts';
import { type Command, DEFAULT_DB, parseCommandArgs } from './command.ts';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_HELP, ConsumerControl, DELIVERY_HELP, parseLetterId, parseWait, queuedMessage } from './control.ts';

const HELP = `Usage: recq dlq retry <id> [--db FILE] [--wait MS]

Applies a parked dead letter's event again, against the current state of its actor; for a
consumer blocked on the letter, lets it try the event again in order. The outcome is recorded
on the letter: retried, or still parked (or blocking) with more attempts and the new error.

${DELIVERY_HELP}

Exit codes: 0 retried, or queued for the next start; 1 refused, failed again, or no outcome
within --wait.

Options:
${CONTROL_OPTIONS_HELP}
`;

export const dlqRetryCommand: Command = {
  name: 'dlq retry',
  summary: "apply a dead letter again against its actor's current state",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('dlq retry', argv, CONTROL_OPTIONS, true);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const id = parseLetterId('dlq retry', positionals);
    const control = ConsumerControl.open(values.db ?? DEFAULT_DB, parseWait('dlq retry', values.wait));
    try {
      const before = control.letter('retry', id);
      const what = `retry dead letter ${id}`;
      const delivery = await control.send(before.consumer, 'retry', id, what);
      if (delivery.kind === 'queued') {
        process.stdout.write(queuedMessage(delivery, what, control.reader.file));
        return 0;
      }
      // A paused consumer, or one blocked on another letter, applies the retry only once it goes on.
      const { hostState } = control.consumer(before.consumer);
      if (hostState === 'paused') {
        process.stdout.write(
          `Dead letter ${id} is queued for retry, but consumer ${before.consumer} is paused: it is applied once "recq resume ${before.consumer}" runs.\n`,
        );
        return 0;
      }
      if (hostState === 'blocked' && before.status !== 'blocking') {
        process.stdout.write(
          `Dead letter ${id} is queued for retry, but consumer ${before.consumer} is blocked on another dead letter: it is applied once that one is retried or skipped.\n`,
        );
        return 0;
      }
      const after = await control.poll(() => {
        const letter = control.reader.deadLetter(id);
        return letter && (letter.status !== before.status || letter.attempts > before.attempts) ? letter : undefined;
      });
      if (!after) {
        throw new RecqError(
          'OUTCOME_PENDING',
          `consumer ${before.consumer} is retrying dead letter ${id}, but no outcome was recorded within ${control.waitMs} ms. See "recq dlq show ${id}" later.`,
        );
      }
      if (after.status !== 'retried') {
        throw new RecqError('RETRY_FAILED', `dead letter ${id} failed again (attempt ${after.attempts}) and is still ${after.status}: ${after.error}`);
      }
      const actor = after.key === undefined ? after.component : `${after.component} key ${JSON.stringify(after.key)}`;
      process.stdout.write(`Dead letter ${id} retried: seq ${after.seq} was applied to ${actor} on attempt ${after.attempts}.\n`);
      return 0;
    } finally {
      control.close();
    }
  },
};
