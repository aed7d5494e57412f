import { OutcomePendingError } from '../errors.ts';
import { DELIVERY_HELP, defineLetterCommand } from './control-command.ts';

export const dlqSkipCommand = defineLetterCommand({
  command: 'skip',
  summary: 'give up on a dead letter; a consumer blocked on it goes on',
  about: `Usage: recq dlq skip <id> [--db FILE] [--wait MS]

Marks a parked or blocking dead letter skipped: its event is never applied, and a consumer
blocked on it goes on with the events after it.

${DELIVERY_HELP}

Exit codes: 0 skipped, or queued for the next start; 1 refused, or not applied within --wait.
`,
  async applied(control, letter) {
    const { id, consumer } = letter;
    const skipped = await control.poll(() => (control.reader.deadLetter(id)?.status === 'skipped' ? true : undefined));
    if (!skipped) throw new OutcomePendingError(consumer, 'skip', id, control.waitMs);
    return `Dead letter ${id} skipped: consumer ${consumer} goes on without seq ${letter.seq}.\n`;
  },
});
