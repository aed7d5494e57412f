import { OutcomePendingError } from '../errors.ts';
import { UsageError } from './command.ts';
import { COMPONENT_FLAG, DELIVERY_HELP, defineControlCommand, parseLetterId } from './control-command.ts';

export const dlqSkipCommand = defineControlCommand({
  name: 'dlq skip',
  summary: 'give up on a dead letter; a consumer blocked on it goes on',
  about: `Usage: recq dlq skip <id> [--db FILE] [--wait MS]

Marks a parked or blocking dead letter skipped: its event is never applied, and a consumer
blocked on it goes on with the events after it.

${DELIVERY_HELP}

Exit codes: 0 skipped, or queued for the next start; 1 refused, or not applied within --wait.
`,
  flags: { component: COMPONENT_FLAG },
  overNats: ({ values, positionals }) => {
    const id = parseLetterId('dlq skip', positionals);
    if (values.component === undefined) throw new UsageError("over --nats, name the letter's component with --component C", 'dlq skip');
    return { consumer: values.component, command: 'skip', arg: id, what: `skip dead letter ${id}` };
  },
  plan({ positionals }) {
    const id = parseLetterId('dlq skip', positionals);
    return (control) => {
      const letter = control.letter('skip', id);
      return {
        consumer: letter.consumer,
        command: 'skip',
        arg: id,
        what: `skip dead letter ${id}`,
        async applied() {
          const skipped = await control.poll(() => (control.reader.deadLetter(id)?.status === 'skipped' ? true : undefined));
          if (!skipped) throw new OutcomePendingError(letter.consumer, 'skip', id, control.waitMs);
          return `Dead letter ${id} skipped: consumer ${letter.consumer} goes on without seq ${letter.seq}.\n`;
        },
      };
    };
  },
});
