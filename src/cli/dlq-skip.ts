import { RecqError } from '../errors.ts';
import { type Command, DEFAULT_DB, parseCommandArgs } from './command.ts';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_HELP, ConsumerControl, DELIVERY_HELP, parseLetterId, parseWait, queuedMessage } from './control.ts';

const HELP = `Usage: recq dlq skip <id> [--db FILE] [--wait MS]

Marks a parked or blocking dead letter skipped: its event is never applied, and a consumer
blocked on it goes on with the events after it.

${DELIVERY_HELP}

Exit codes: 0 skipped, or queued for the next start; 1 refused, or not applied within --wait.

Options:
${CONTROL_OPTIONS_HELP}
`;

export const dlqSkipCommand: Command = {
  name: 'dlq skip',
  summary: 'give up on a dead letter; a consumer blocked on it goes on',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('dlq skip', argv, CONTROL_OPTIONS, true);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const id = parseLetterId('dlq skip', positionals);
    const control = ConsumerControl.open(values.db ?? DEFAULT_DB, parseWait('dlq skip', values.wait));
    try {
      const letter = control.letter('skip', id);
      const what = `skip dead letter ${id}`;
      const delivery = await control.send(letter.consumer, 'skip', id, what);
      if (delivery.kind === 'queued') {
        process.stdout.write(queuedMessage(delivery, what, control.reader.file));
        return 0;
      }
      const skipped = await control.poll(() => (control.reader.deadLetter(id)?.status === 'skipped' ? true : undefined));
      if (!skipped) {
        throw new RecqError(
          'OUTCOME_PENDING',
          `consumer ${letter.consumer} took the skip of dead letter ${id}, but has not recorded it within ${control.waitMs} ms. See "recq dlq show ${id}" later.`,
        );
      }
      process.stdout.write(`Dead letter ${id} skipped: consumer ${letter.consumer} goes on without seq ${letter.seq}.\n`);
      return 0;
    } finally {
      control.close();
    }
  },
};
