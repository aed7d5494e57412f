import { DELIVERY_HELP, defineControlCommand, parseComponent } from './control-command.ts';

export const pauseCommand = defineControlCommand({
  name: 'pause',
  summary: 'stop a consumer after its current batch, until resumed (survives restarts)',
  about: `Usage: recq pause <component> [--db FILE] [--wait MS]

Pauses a consumer: it commits what it has applied and stops applying events until
"recq resume <component>". Events published meanwhile wait in the log. A paused consumer
stays paused across restarts.

${DELIVERY_HELP}
`,
  overNats: ({ positionals }) => {
    const consumer = parseComponent('pause', positionals);
    return { consumer, command: 'pause', what: `pause consumer ${consumer}` };
  },
  plan({ positionals }) {
    const name = parseComponent('pause', positionals);
    return (control) => {
      const { consumer } = control.consumer(name);
      return {
        consumer,
        command: 'pause',
        what: `pause consumer ${consumer}`,
        applied: ({ command }) => `${command.outcome}: it stops after its current batch. "recq resume ${consumer}" to go on.\n`,
      };
    };
  },
});
