import { type Command, DEFAULT_DB, parseCommandArgs } from './command.ts';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_HELP, ConsumerControl, DELIVERY_HELP, parseComponent, parseWait, queuedMessage } from './control.ts';

const HELP = `Usage: recq resume <component> [--db FILE] [--wait MS]

Resumes a paused consumer: it reads the events it missed from the log, in order, and goes on.

${DELIVERY_HELP}

Options:
${CONTROL_OPTIONS_HELP}
`;

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'let a paused consumer go on from where it stopped',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('resume', argv, CONTROL_OPTIONS, true);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const name = parseComponent('resume', positionals);
    const control = ConsumerControl.open(values.db ?? DEFAULT_DB, parseWait('resume', values.wait));
    try {
      const { consumer } = control.consumer(name);
      const what = `resume consumer ${consumer}`;
      const delivery = await control.send(consumer, 'resume', undefined, what);
      process.stdout.write(delivery.kind === 'queued' ? queuedMessage(delivery, what, control.reader.file) : `${delivery.command.outcome}.\n`);
      return 0;
    } finally {
      control.close();
    }
  },
};
