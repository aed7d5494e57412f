import { setTimeout as delay } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import type { Envelope } from '../envelope.ts';
import { SupervisorUnreachableError } from '../errors.ts';
import { NatsLogAccess } from '../nats/log-client.ts';
import { type Command, DB_OPTION, DEFAULT_DB, parseCommandArgs, parseCount, parsePatterns, UsageError } from './command.ts';
import { isoTime } from './format.ts';
import { type EventPage, StoreReader } from './inspect.ts';
import { connectTo, NATS_OPTIONS, type NatsTarget, parseNatsTarget } from './nats-target.ts';

/** How often `--follow` looks for new rows. */
const POLL_MS = 200;
/** Events read per query, so a long log streams without being held in memory. */
const PAGE_SIZE = 1000;

const HELP = `Usage: recq events [--db FILE | --nats URL [--namespace NS]] [--topic PATTERN ...] [--after SEQ]
                   [--limit N] [--follow] [--json]

Lists the event log in seq order. Opens the database read-only, so it is safe to run while a
system is running on the same file. With --nats, reads the log from the running supervisor of
a distributed system instead, a page at a time.

Each line: seq  time (ISO)  topic  key ("-" if none)  id  event as JSON

Options:
  --db FILE          database file (default ${DEFAULT_DB})
  --nats URL         read from the supervisor that serves this NATS server
  --namespace NS     its namespace (default recq); only with --nats
  --topic PATTERN    only events whose topic matches; NATS wildcards: '*' is one token,
                     a final '>' is one or more ("orders.*", "payments.>"). Repeatable:
                     an event matching any of them is listed
  --after SEQ        only events with seq greater than SEQ (default 0)
  --limit N          stop after N events
  --follow           keep listing new events as they are committed, until Ctrl-C; over NATS,
                     waits out a supervisor that stops answering
  --json             print each event as one JSON envelope per line
  -h, --help         show this help
`;

/** Where the events come from: the file, or the supervisor over NATS. */
interface EventSource {
  /** Up to `limit` events after `after` matching `patterns`; `lastSeq` is where the next page starts. */
  page(after: number, patterns: readonly string[], limit: number): Promise<EventPage>;
  close(): Promise<void>;
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'list the event log, filtered by topic; --follow to tail it; --nats from a supervisor',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('events', argv, {
      ...DB_OPTION,
      ...NATS_OPTIONS,
      topic: { type: 'string', multiple: true },
      after: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const patterns = parsePatterns('events', values.topic);
    const after = parseCount('events', '--after', values.after) ?? 0;
    const limit = parseCount('events', '--limit', values.limit) ?? Number.POSITIVE_INFINITY;
    const print = values.json ? (e: Envelope) => JSON.stringify(e) : formatEvent;
    const nats = parseNatsTarget('events', values);
    if (nats && values.db !== undefined) throw new UsageError('give --db FILE or --nats URL, not both', 'events');

    const source = nats ? natsSource(nats, await connectTo(nats)) : fileSource(values.db ?? DEFAULT_DB);
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let waitingSince: number | undefined;
    try {
      let cursor = after;
      let remaining = limit;
      for (;;) {
        try {
          // Drain everything committed so far, a page at a time.
          for (;;) {
            const wanted = Math.min(PAGE_SIZE, remaining);
            const page = await source.page(cursor, patterns, wanted);
            cursor = page.lastSeq;
            remaining -= page.envelopes.length;
            if (page.envelopes.length > 0) process.stdout.write(`${page.envelopes.map(print).join('\n')}\n`);
            if (page.envelopes.length < wanted || remaining <= 0) break;
          }
          if (waitingSince !== undefined) process.stderr.write('recq: the supervisor answers again\n');
          waitingSince = undefined;
        } catch (error) {
          // Following, a supervisor that restarts is waited out; a one-off listing fails at once.
          if (!values.follow || !(error instanceof SupervisorUnreachableError)) throw error;
          if (waitingSince === undefined) process.stderr.write(`recq: ${error.message} Waiting for it.\n`);
          waitingSince ??= Date.now();
        }
        if (!values.follow || remaining <= 0 || stopped.signal.aborted) break;
        try {
          await delay(POLL_MS, undefined, { signal: stopped.signal });
        } catch {
          break;
        }
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await source.close();
    }
    return 0;
  },
};

function fileSource(db: string): EventSource {
  const reader = StoreReader.open(db);
  return {
    page: async (after, patterns, limit) => reader.readEvents(after, patterns, limit),
    close: async () => reader.close(),
  };
}

function natsSource(target: NatsTarget, nc: NatsConnection): EventSource {
  const access = new NatsLogAccess({ connection: nc, namespace: target.namespace });
  return {
    async page(after, patterns, limit) {
      if (limit <= 0) return { envelopes: [], lastSeq: after };
      const envelopes = await access.read({ after, limit, ...(patterns.length > 0 ? { patterns } : {}) });
      return { envelopes, lastSeq: envelopes[envelopes.length - 1]?.seq ?? after };
    },
    close: () => nc.close().catch(() => {}),
  };
}

function formatEvent(envelope: Envelope): string {
  return [envelope.seq, isoTime(envelope.time), envelope.topic, envelope.key ?? '-', envelope.id, JSON.stringify(envelope.event)].join('  ');
}
