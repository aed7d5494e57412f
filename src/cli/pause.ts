import { type Command, DEFAULT_DB, parseCommandArgs } from './command.ts';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_HELP, ConsumerControl, DELIVERY_HELP, parseComponent, parseWait, queuedMessage } from './control.ts';

const HELP = `Usage: recq pause <component> [--db FILE] [--wait MS]

Pauses a consumer: it commits what it has applied and stops applying events until
"recq resume <component>". Events published meanwhile wait in the log. A paused consumer
stays paused across restarts.

${DELIVERY_HELP}

Options:
${CONTROL_OPTIONS_HELP}
`;

export const pauseCommand: Command = {
  name: 'pause',
  summary: 'stop a consumer after its current batch, until resumed (survives restarts)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('pause', argv, CONTROL_OPTIONS, true);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const name = parseComponent('pause', positionals);
    const control = ConsumerControl.open(values.db ?? DEFAULT_DB, parseWait('pause', values.wait));
    try {
      const { consumer } = control.consumer(name);
      const what = `pause consumer ${consumer}`;
      const delivery = await control.send(consumer, 'pause', undefined, what);
      process.stdout.write(
        delivery.kind === 'queued'
          ? queuedMessage(delivery, what, control.reader.file)
          : `${delivery.command.outcome}: it stops after its current batch. "recq resume ${consumer}" to go on.\n`,
      );
      return 0;
    } finally {
      control.close();
    }
  },
};
