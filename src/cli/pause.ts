import { DELIVERY_HELP, defineConsumerCommand } from './control-command.ts';

export const pauseCommand = defineConsumerCommand({
  command: 'pause',
  summary: 'stop a consumer after its current batch, until resumed (survives restarts)',
  about: `Usage: recq pause <component> [--db FILE] [--wait MS]

Pauses a consumer: it commits what it has applied and stops applying events until
"recq resume <component>". Events published meanwhile wait in the log. A paused consumer
stays paused across restarts.

${DELIVERY_HELP}
`,
  applied: (consumer, { command }) => `${command.outcome}: it stops after its current batch. "recq resume ${consumer}" to go on.\n`,
});
