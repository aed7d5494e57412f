import type { DeadLetterStatus } from '../css/consumer-store.ts';
import { UnknownComponentError } from '../errors.ts';
import { leaseHolder } from '../operator/nats-control.ts';
import { connectTo, type NatsTarget } from '../operator/nats-target.ts';
import { type DeadLetterState, StoreReader } from '../operator/store-reader.ts';
import { askWorker } from '../operator/worker-control.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import { defineCommand, UsageError } from './command.ts';
import { DEFAULT_DB, dbOrNatsFlags, FLAGS } from './flags.ts';
import { deadLetterJson, formatTable, isoTime } from './format.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';

const STATUSES: readonly DeadLetterStatus[] = ['parked', 'blocking', 'retried', 'skipped'];

/** Longest error shown in the table; `recq dlq show` and `--json` give the whole of it. */
const ERROR_WIDTH = 72;

export const dlqListCommand = defineCommand({
  name: 'dlq list',
  summary: 'list dead letters, by component and status (read-only)',
  about: `Usage: recq dlq list [--db FILE | --nats URL --component C] [--status STATUS] [--json]

Lists dead letters: events (or fired timers) a component could not apply, kept with their
errors. Opens the database read-only, so it is safe to run while a system is running on it.

Each row: id, component, seq, key ("-" if none), attempts, status, when it last failed, and
the first line of its error. With --nats, asks the worker that holds component C's lease for
its newest 100 letters (they are kept in that worker's file). Statuses:
  parked    failed for good; the consumer went on without it
  blocking  failed for good under the block policy; the consumer waits for an operator
  retried   an operator retried it and it was applied
  skipped   an operator skipped it
`,
  flags: {
    ...dbOrNatsFlags('ask the worker running --component C, over this NATS server'),
    component: { type: 'string', usage: '--component C', help: 'only the dead letters of component C' },
    status: { type: 'string', usage: '--status STATUS', help: `only letters with this status: ${STATUSES.join(', ')}` },
    json: { ...FLAGS.json, help: 'print one JSON array, each letter in full (event, error, stack)' },
  },
  async run({ values }) {
    const status = values.status;
    if (status !== undefined && !STATUSES.includes(status as DeadLetterStatus)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`, 'dlq list');
    }
    const nats = parseNatsInsteadOfDb('dlq list', values);
    const filter = { component: values.component, status: status as DeadLetterStatus | undefined };
    const letters = nats ? await lettersOverNats(nats, filter) : lettersInFile(values.db ?? DEFAULT_DB, filter);
    process.stdout.write(values.json ? `${JSON.stringify(letters.map(deadLetterJson))}\n` : formatLetters(letters));
    return 0;
  },
});

interface LetterFilter {
  component: string | undefined;
  status: DeadLetterStatus | undefined;
}

function lettersInFile(db: string, { component, status }: LetterFilter): DeadLetterState[] {
  const reader = StoreReader.open(db);
  try {
    if (component !== undefined) {
      const components = [...new Set(reader.consumers().map((c) => c.component))];
      if (!components.includes(component)) throw new UnknownComponentError(component, components);
    }
    return reader.deadLetters({ component, status });
  } finally {
    reader.close();
  }
}

/** The letters of one consumer, from the worker holding its lease; says on stderr when older ones are left out. */
async function lettersOverNats(target: NatsTarget, { component, status }: LetterFilter): Promise<DeadLetterState[]> {
  if (component === undefined) throw new UsageError('over --nats, name the component whose worker to ask with --component C', 'dlq list');
  const nc = await connectTo(target);
  try {
    const owner = await leaseHolder(new NatsLogAccess({ connection: nc, namespace: target.namespace }), component);
    const page = await askWorker(nc, target.namespace, owner, { op: 'deadLetters', consumer: component });
    if (page.total > page.letters.length)
      process.stderr.write(`recq: ${owner} holds ${page.total} dead letters of ${component}; these are the newest ${page.letters.length}\n`);
    return page.letters.filter((l) => status === undefined || l.status === status).map((l) => ({ ...l, id: l.id ?? 0, component }));
  } finally {
    await nc.close().catch(() => {});
  }
}

function formatLetters(letters: readonly DeadLetterState[]): string {
  if (letters.length === 0) return 'No dead letters.\n';
  const table = formatTable(
    [
      { header: 'id', align: 'right' },
      { header: 'component' },
      { header: 'seq', align: 'right' },
      { header: 'key' },
      { header: 'attempts', align: 'right' },
      { header: 'status' },
      { header: 'last failed' },
      { header: 'error' },
    ],
    letters.map((l) => [String(l.id), l.component, String(l.seq), l.key ?? '-', String(l.attempts), l.status, isoTime(l.lastFailedAt), oneLine(l.error)]),
  );
  return `${table}\n`;
}

function oneLine(error: string): string {
  const [first = ''] = error.split('\n');
  const line = first.trim();
  return line.length > ERROR_WIDTH || first !== error.trimEnd() ? `${line.slice(0, ERROR_WIDTH - 1)}…` : line;
}
