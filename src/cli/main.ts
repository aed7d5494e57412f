import { readFileSync } from 'node:fs';
import { isRecqError } from '../errors.ts';
import { type CommandEntry, isGroup, runCommandLine, summaryRows, UsageError, usageLines } from './command.ts';
import { completionCommand } from './completion.ts';
import { dashboardCommand } from './dashboard.ts';
import { dlqCommand } from './dlq.ts';
import { eventsCommand } from './events.ts';
import { pauseCommand } from './pause.ts';
import { publishCommand } from './publish.ts';
import { queryCommand } from './query.ts';
import { commandsCommand } from './queued-commands.ts';
import { replayCommand } from './replay.ts';
import { resumeCommand } from './resume.ts';
import { runCommand } from './run.ts';
import { statusCommand } from './status.ts';
import { supervisorCommand } from './supervisor.ts';
import { workerCommand } from './worker.ts';

const COMMANDS: readonly CommandEntry[] = [
  runCommand,
  supervisorCommand,
  workerCommand,
  statusCommand,
  eventsCommand,
  dlqCommand,
  pauseCommand,
  resumeCommand,
  replayCommand,
  commandsCommand,
  queryCommand,
  publishCommand,
  dashboardCommand,
  completionCommand(() => COMMANDS),
];

/** After a command ends, how long code it loaded may keep the process alive before it exits anyway. */
const EXIT_GRACE_MS = 500;

const leaves = COMMANDS.flatMap((entry) => (isGroup(entry) ? entry.commands : [entry]));

const HELP = `recq: durable XState actors over an ordered event log

Usage:
${leaves
  .flatMap((c) => usageLines(c.help))
  .map((line) => `  ${line}`)
  .join('\n')}

Commands:
${summaryRows(COMMANDS)}

Options:
  -h, --help     show this help; "recq <command> --help" or "recq help <command>" for a
                 command's options
  -v, --version  print the version

The database file defaults to ./recq.db. status, events, dlq list and dlq show open it
read-only. dlq retry and skip, pause, resume and replay queue a command in it for the system
running the consumer, which applies it within one heartbeat (5 s by default) and reports back;
with no system running, the command waits for the next start.
Over NATS (the distributed deployment), supervisor and worker run the parts of one system as
separate processes; status and events with --nats ask the running supervisor and workers.

Environment: RECQ_DB, RECQ_NATS and RECQ_NAMESPACE give --db, --nats and --namespace to the
commands that take them. A flag on the command line wins over every variable: "--db FILE" reads
the file even with RECQ_NATS set. Where --db and --nats are alternatives and only the
variables say, RECQ_NATS wins: a shell set up for a distributed system asks it, not one file.
Exit codes: 0 done, 1 failed, 2 bad command line, 130/143 run interrupted by SIGINT/SIGTERM.
`;

/** Runs one command line and resolves with the process exit code. */
async function cli(argv: readonly string[]): Promise<number> {
  try {
    // "recq help dlq retry" is "recq dlq retry --help"; "recq help stauts" is refused as "recq stauts" is.
    const named = argv[0] === 'help' && (argv[1] === undefined || COMMANDS.some((c) => c.name === argv[1]));
    const line = argv[0] === 'help' ? [...argv.slice(1), ...(named ? ['--help'] : [])] : argv;
    return await runCommandLine({ name: 'recq', help: HELP, version: version(), commands: COMMANDS }, line);
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    const help = error.command === undefined ? 'recq --help' : `recq ${error.command} --help`;
    process.stderr.write(`recq: ${error.message}\nRun "${help}" for usage.\n`);
    return 2;
  }
  if (isRecqError(error)) {
    process.stderr.write(`recq: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`recq: unexpected error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** recq's version, from its package.json: two folders up from src/cli, three from dist/src/cli. */
function version(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const manifest: unknown = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
      if (typeof manifest === 'object' && manifest !== null && 'name' in manifest && manifest.name === 'recq' && 'version' in manifest) {
        return String(manifest.version);
      }
    } catch {
      // Not at this level; try the next.
    }
  }
  return 'unknown';
}

// A reader that goes away (`recq events | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await cli(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
