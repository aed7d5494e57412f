import { DELIVERY_HELP, defineConsumerCommand } from './control-command.ts';

export const resumeCommand = defineConsumerCommand({
  command: 'resume',
  summary: 'let a paused consumer go on from where it stopped',
  about: `Usage: recq resume <component> [--db FILE] [--wait MS]

Resumes a paused consumer: it reads the events it missed from the log, in order, and goes on.

${DELIVERY_HELP}
`,
  applied: (_consumer, { command }) => `${command.outcome}.\n`,
});
