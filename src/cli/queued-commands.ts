import { CommandQueue } from '../css/commands.ts';
import { openDatabase } from '../db.ts';
import { CommandDoneError, DatabaseError, UnknownCommandError } from '../errors.ts';
import { StoreReader } from '../operator/store-reader.ts';
import { type Command, defineCommand, parseOnePositional, UsageError } from './command.ts';
import { DEFAULT_DB, FLAGS } from './flags.ts';
import { formatTable, isoTime } from './format.ts';

/** Age as people read it: 42 s, 7 min, 3 h, 2 d. */
function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

const listCommand = defineCommand({
  name: 'commands',
  summary: 'operator commands queued in a file and not run yet, with their age (read-only)',
  about: `Usage: recq commands [--db FILE] [--json]
       recq commands cancel <id> [--db FILE]

Lists the commands (dlq retry and skip, pause, resume, replay) queued in the file that no
system has run yet, oldest first: id, consumer, command, its argument, how long it has waited,
and who takes it (the process running the consumer) or "next start". Opens the file read-only.

"recq commands cancel <id>" takes a queued command off the queue before it runs.
`,
  flags: { db: FLAGS.db, json: { ...FLAGS.json, help: 'print one JSON array of the queued commands' } },
  positionals: true,
  positionalWords: ['cancel'],
  async run({ values, positionals }) {
    if (positionals[0] === 'cancel') return cancel(positionals.slice(1), values.db);
    if (positionals[0] !== undefined) throw new UsageError(`unknown subcommand ${JSON.stringify(positionals[0])}. Subcommands: cancel`, 'commands');
    const reader = StoreReader.open(values.db ?? DEFAULT_DB);
    try {
      const now = Date.now();
      const queued = reader.queuedCommands().map((command) => ({
        ...command,
        ageMs: now - command.requestedAt,
        takenBy: reader.runner(command.consumer, now)?.owner ?? null,
      }));
      if (values.json) {
        process.stdout.write(`${JSON.stringify(queued)}\n`);
        return 0;
      }
      if (queued.length === 0) {
        process.stdout.write(`No commands queued in ${reader.file}.\n`);
        return 0;
      }
      const table = formatTable(
        [
          { header: 'id', align: 'right' },
          { header: 'consumer' },
          { header: 'command' },
          { header: 'arg' },
          { header: 'queued' },
          { header: 'age', align: 'right' },
          { header: 'taken by' },
        ],
        queued.map((c) => [String(c.id), c.consumer, c.command, c.arg ?? '-', isoTime(c.requestedAt), age(c.ageMs), c.takenBy ?? 'next start']),
      );
      process.stdout.write(`${table}\n`);
      return 0;
    } finally {
      reader.close();
    }
  },
});

function cancel(positionals: readonly string[], db: string | undefined): number {
  const text = parseOnePositional('commands', positionals, 'missing <id>: the command, as "recq commands" lists it');
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`<id> must be a command id (a whole number ≥ 1), got ${JSON.stringify(text)}`, 'commands');
  }
  const id = Number(text);
  const reader = StoreReader.open(db ?? DEFAULT_DB);
  const file = reader.file;
  try {
    if (!reader.isRecqDatabase()) throw DatabaseError.notRecq(file);
  } finally {
    reader.close();
  }
  const writer = openDatabase(file);
  try {
    const queue = new CommandQueue(writer);
    const command = queue.get(id);
    if (!command) throw new UnknownCommandError(id);
    if (!queue.cancel(id)) {
      const after = queue.get(id);
      throw new CommandDoneError(id, after?.error !== undefined ? `ended (${after.error})` : `ran (${after?.outcome ?? 'done'})`);
    }
    process.stdout.write(
      `Cancelled command ${id}: ${command.command}${command.arg === undefined ? '' : ` ${command.arg}`} for consumer ${command.consumer}; it will not run.\n`,
    );
    return 0;
  } finally {
    writer.close();
  }
}

export const commandsCommand: Command = listCommand;
