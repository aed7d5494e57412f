import { DELIVERY_HELP, defineControlCommand, parseComponent } from './control-command.ts';

export const resumeCommand = defineControlCommand({
  name: 'resume',
  summary: 'let a paused consumer go on from where it stopped',
  about: `Usage: recq resume <component> [--db FILE] [--wait MS]

Resumes a paused consumer: it reads the events it missed from the log, in order, and goes on.

${DELIVERY_HELP}
`,
  overNats: ({ positionals }) => {
    const consumer = parseComponent('resume', positionals);
    return { consumer, command: 'resume', what: `resume consumer ${consumer}` };
  },
  plan({ positionals }) {
    const name = parseComponent('resume', positionals);
    return (control) => {
      const { consumer } = control.consumer(name);
      return { consumer, command: 'resume', what: `resume consumer ${consumer}`, applied: ({ command }) => `${command.outcome}.\n` };
    };
  },
});
