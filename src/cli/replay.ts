import { createInterface } from 'node:readline/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidCommandError } from '../errors.ts';
import type { ConsumerControl } from '../operator/consumer-control.ts';
import { UsageError } from './command.ts';
import { DELIVERY_HELP, defineControlCommand, parseComponent } from './control-command.ts';
import { replayOffline } from './offline-replay.ts';
import { ProgressBar } from './progress.ts';

/** How often a rebuild's progress is read from the file. */
const REBUILD_POLL_MS = 200;

export const replayCommand = defineControlCommand({
  name: 'replay',
  summary: 'forget a consumer’s actors and rebuild them from the log (asks first)',
  about: `Usage: recq replay <component> [--from SEQ] [--yes] [--offline] [--db FILE] [--wait MS]

Rebuilds a consumer from the log: forgets every actor of the component (their snapshots), moves
its offset back to just before SEQ, and applies the log again from SEQ on. Events it emits
again carry the ids they had the first time, so the log gains nothing twice. Use it after
fixing a bug in a component's logic, or when a snapshot no longer fits the machine.

A system running the consumer applies the replay; one whose consumer failed to start (its
snapshots no longer fit the machine) starts it again with the replay applied before any actor
is restored. With no system running the consumer, the replay is done in the file at once,
under the consumer's lease (refused while a live process holds it); --offline insists on that.

Asks for confirmation on a terminal. Without one (scripts, CI), pass --yes; without it, the
command is refused with exit code 2.

${DELIVERY_HELP}
`,
  flags: {
    from: { type: 'string', usage: '--from SEQ', help: 'the first seq to apply again (default 1: the whole log)' },
    yes: { type: 'boolean', short: 'y', usage: '-y, --yes', help: 'replay without asking' },
    offline: { type: 'boolean', usage: '--offline', help: 'reset the consumer in the file now; refused while a process runs it' },
  },
  overNats: ({ values, positionals }) => {
    const consumer = parseComponent('replay', positionals);
    const from = parseFrom(values.from);
    if (!values.yes) throw new UsageError('over --nats, pass --yes to confirm the replay', 'replay');
    return { consumer, command: 'replay', arg: from, what: `replay consumer ${consumer} from seq ${from}` };
  },
  plan({ values, positionals }) {
    const name = parseComponent('replay', positionals);
    const from = parseFrom(values.from);
    return async (control) => {
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
          return undefined;
        }
      }
      return {
        consumer,
        command: 'replay',
        arg: from,
        what: `replay consumer ${consumer} from seq ${from}`,
        applied: async ({ command }) => {
          await watchRebuild(control, consumer, from);
          return `${command.outcome}.\n`;
        },
        offline: { always: values.offline === true, run: () => replayOffline(control.reader.file, consumer, from) },
      };
    };
  },
});

/**
 * On a terminal, shows the rebuild a replay started: the consumer's offset toward the head the
 * log had when the replay was applied, until it gets there, its host fails, or Ctrl-C (the
 * rebuild goes on without recq watching).
 */
async function watchRebuild(control: ConsumerControl, consumer: string, from: number): Promise<void> {
  const bar = ProgressBar.on(process.stderr, `rebuilding ${consumer}`);
  if (!bar) return;
  const target = control.reader.head();
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const state = control.reader.status(Date.now()).consumers.find((c) => c.consumer === consumer);
      const offset = state?.offset ?? 0;
      bar.update(offset - (from - 1), target - (from - 1));
      if (offset >= target || state?.lag === 0) return bar.done(`recq: consumer ${consumer} rebuilt up to seq ${target}`);
      if (state?.hostState === 'failed') return bar.done(`recq: consumer ${consumer} failed at seq ${offset} while rebuilding; "recq status" says more`);
      try {
        await delay(REBUILD_POLL_MS, undefined, { signal: stopped.signal });
      } catch {
        return bar.done(`recq: stopped watching at seq ${offset}; consumer ${consumer} goes on rebuilding`);
      }
    }
  } finally {
    process.off('SIGINT', stop);
  }
}

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
