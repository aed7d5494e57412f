import { type Command, UsageError } from './command.ts';
import { dlqListCommand } from './dlq-list.ts';
import { dlqRetryCommand } from './dlq-retry.ts';
import { dlqShowCommand } from './dlq-show.ts';
import { dlqSkipCommand } from './dlq-skip.ts';

const SUBCOMMANDS: readonly Command[] = [dlqListCommand, dlqShowCommand, dlqRetryCommand, dlqSkipCommand];
const NAMES = SUBCOMMANDS.map((c) => c.name.slice('dlq '.length));

const HELP = `Usage: recq dlq <${NAMES.join('|')}> ...

Dead letters: events (or fired timers) a component could not apply after its retries, kept
with their errors in the dead_letters table.

  recq dlq list [--db FILE] [--component C] [--status STATUS] [--json]
  recq dlq show <id> [--db FILE] [--json]
  recq dlq retry <id> [--db FILE] [--wait MS]
  recq dlq skip <id> [--db FILE] [--wait MS]

${SUBCOMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`).join('\n')}

"recq dlq <subcommand> --help" for a subcommand's options.
`;

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'dead letters: list, show, retry, skip',
  help: HELP,
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === '-h' || name === '--help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (name === undefined) throw new UsageError(`missing subcommand: ${NAMES.join(', ')}`, 'dlq');
    const command = SUBCOMMANDS.find((c) => c.name === `dlq ${name}`);
    if (!command) throw new UsageError(`unknown subcommand ${JSON.stringify(name)}. Subcommands: ${NAMES.join(', ')}`, 'dlq');
    return command.run(rest);
  },
};
