import { readFileSync } from 'node:fs';
import { type Command, isRecqError, UsageError } from './command.ts';
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

const COMMANDS: readonly Command[] = [
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
];

/** After a command ends, how long code it loaded may keep the process alive before it exits anyway. */
const EXIT_GRACE_MS = 500;

const HELP = `recq: durable XState actors over an ordered event log

Usage:
  recq run <module> [--db FILE] [--fresh] [--nats URL [--namespace NS]] [--owner NAME] [-- args...]
  recq supervisor --nats URL --db FILE [--namespace NS]
  recq worker <module> --nats URL --db FILE [--components A,B] [--owner NAME] [--namespace NS]
  recq status [--db FILE | --nats URL [--namespace NS]] [--json]
  recq events [--db FILE | --nats URL [--namespace NS]] [--topic PATTERN ...] [--after SEQ]
              [--limit N] [--follow] [--json]
  recq dlq list [--db FILE] [--component C] [--status STATUS] [--json]
  recq dlq show <id> [--db FILE] [--json]
  recq dlq retry|skip <id> [--db FILE [--wait MS] | --nats URL --component C]
  recq pause|resume <component> [--db FILE [--wait MS] | --nats URL]
  recq replay <component> [--from SEQ] [--yes] [--offline] [--db FILE [--wait MS] | --nats URL]
  recq commands [--db FILE] [--json]
  recq commands cancel <id> [--db FILE]
  recq query <component> [key] [--db FILE | --nats URL] [--json]
  recq publish <topic> <json> [--key K] [--id ID] [--db FILE | --nats URL]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join('\n')}

Options:
  -h, --help     show this help; "recq <command> --help" for a command's options
  -v, --version  print the version

The database file defaults to ./recq.db. status, events, dlq list and dlq show open it
read-only. dlq retry and skip, pause, resume and replay queue a command in it for the system
running the consumer, which applies it within one heartbeat (5 s by default) and reports back;
with no system running, the command waits for the next start.
Over NATS (the distributed deployment), supervisor and worker run the parts of one system as
separate processes; status and events with --nats ask the running supervisor and workers.
Exit codes: 0 done, 1 failed, 2 bad command line, 130/143 run interrupted by SIGINT/SIGTERM.
`;

/** Runs one command line and resolves with the process exit code. */
async function cli(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      process.stderr.write(HELP);
      return 2;
    }
    if (name === '-h' || name === '--help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (name === '-v' || name === '--version') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    if (name === 'help') return rest[0] === undefined ? cli(['--help']) : cli([rest[0], '--help']);
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      const what = name.startsWith('-') ? `unknown option ${JSON.stringify(name)}` : `unknown command ${JSON.stringify(name)}`;
      throw new UsageError(`${what}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    return await command.run(rest);
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
