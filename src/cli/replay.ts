import { createInterface } from 'node:readline/promises';
import { InvalidCommandError } from '../errors.ts';
import { type Command, DEFAULT_DB, parseCommandArgs, UsageError } from './command.ts';
import { CONTROL_OPTIONS, CONTROL_OPTIONS_HELP, ConsumerControl, DELIVERY_HELP, parseComponent, parseWait, queuedMessage } from './control.ts';

const HELP = `Usage: recq replay <component> [--from SEQ] [--yes] [--db FILE] [--wait MS]

Rebuilds a consumer from the log: forgets every actor of the component (their snapshots), moves
its offset back to just before SEQ, and applies the log again from SEQ on. Events it emits
again carry the ids they had the first time, so the log gains nothing twice. Use it after
fixing a bug in a component's logic, or when a snapshot no longer fits the machine.

Asks for confirmation on a terminal. Without one (scripts, CI), pass --yes; without it, the
command is refused with exit code 2.

${DELIVERY_HELP}

Options:
  --from SEQ  the first seq to apply again (default 1: the whole log)
  -y, --yes   replay without asking
${CONTROL_OPTIONS_HELP}
`;

export const replayCommand: Command = {
  name: 'replay',
  summary: 'forget a consumer’s actors and rebuild them from the log (asks first)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'replay',
      argv,
      { ...CONTROL_OPTIONS, from: { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
      true,
    );
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const name = parseComponent('replay', positionals);
    const from = parseFrom(values.from);
    const control = ConsumerControl.open(values.db ?? DEFAULT_DB, parseWait('replay', values.wait));
    try {
      const { consumer, component } = control.consumer(name);
      const head = control.reader.head();
      if (from > head + 1) {
        throw new InvalidCommandError(
          `replay ${consumer} from seq ${from}`,
          `the log ends at seq ${head}, so the consumer would skip every event up to ${from - 1}`,
        );
      }
      const warning = `This forgets every actor of ${component} and rebuilds it from seq ${from}.`;
      if (!values.yes) {
        if (!process.stdin.isTTY) throw new UsageError(`${warning} stdin is not a terminal, so recq cannot ask: pass --yes to confirm`, 'replay');
        if (!(await confirm(`${warning} Continue? [y/N] `))) {
          process.stderr.write('recq: replay cancelled; nothing changed.\n');
          return 1;
        }
      }
      const what = `replay consumer ${consumer} from seq ${from}`;
      const delivery = await control.send(consumer, 'replay', from, what);
      process.stdout.write(delivery.kind === 'queued' ? queuedMessage(delivery, what, control.reader.file) : `${delivery.command.outcome}.\n`);
      return 0;
    } finally {
      control.close();
    }
  },
};

function parseFrom(value: string | undefined): number {
  if (value === undefined) return 1;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new UsageError(`--from expects a seq (a whole number ≥ 1), got ${JSON.stringify(value)}`, 'replay');
  }
  return Number(value);
}

/** Asks on the terminal; anything but y or yes, or closing stdin, is a no. */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const closed = new AbortController();
  prompt.once('close', () => closed.abort());
  try {
    const answer = await prompt.question(question, { signal: closed.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    prompt.close();
  }
}
