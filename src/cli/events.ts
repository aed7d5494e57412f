import { setTimeout as delay } from 'node:timers/promises';
import type { Envelope } from '../envelope.ts';
import { type Command, DB_OPTION, DEFAULT_DB, parseCommandArgs, parseCount, parsePatterns } from './command.ts';
import { isoTime } from './format.ts';
import { StoreReader } from './inspect.ts';

/** How often `--follow` looks for new rows. */
const POLL_MS = 200;
/** Events read per query, so a long log streams without being held in memory. */
const PAGE_SIZE = 1000;

const HELP = `Usage: recq events [--db FILE] [--topic PATTERN ...] [--after SEQ] [--limit N] [--follow] [--json]

Lists the event log in seq order. Opens the database read-only, so it is safe to run while a
system is running on the same file.

Each line: seq  time (ISO)  topic  key ("-" if none)  id  event as JSON

Options:
  --db FILE          database file (default ${DEFAULT_DB})
  --topic PATTERN    only events whose topic matches; NATS wildcards: '*' is one token,
                     a final '>' is one or more ("orders.*", "payments.>"). Repeatable:
                     an event matching any of them is listed
  --after SEQ        only events with seq greater than SEQ (default 0)
  --limit N          stop after N events
  --follow           keep listing new events as they are committed, until Ctrl-C
  --json             print each event as one JSON envelope per line
  -h, --help         show this help
`;

export const eventsCommand: Command = {
  name: 'events',
  summary: 'list the event log, filtered by topic; --follow to tail it',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('events', argv, {
      ...DB_OPTION,
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

    const reader = StoreReader.open(values.db ?? DEFAULT_DB);
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      let cursor = after;
      let remaining = limit;
      for (;;) {
        // Drain everything committed so far, a page at a time.
        for (;;) {
          const wanted = Math.min(PAGE_SIZE, remaining);
          const page = reader.readEvents(cursor, patterns, wanted);
          cursor = page.lastSeq;
          remaining -= page.envelopes.length;
          if (page.envelopes.length > 0) process.stdout.write(`${page.envelopes.map(print).join('\n')}\n`);
          if (page.envelopes.length < wanted || remaining <= 0) break;
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
      reader.close();
    }
    return 0;
  },
};

function formatEvent(envelope: Envelope): string {
  return [envelope.seq, isoTime(envelope.time), envelope.topic, envelope.key ?? '-', envelope.id, JSON.stringify(envelope.event)].join('  ');
}
