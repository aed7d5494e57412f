import { setTimeout as delay } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import type { Envelope } from '../envelope.ts';
import { SupervisorUnreachableError } from '../errors.ts';
import { connectTo, type NatsTarget } from '../operator/nats-target.ts';
import { type EventPage, StoreReader } from '../operator/store-reader.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import { compilePatterns, isInputTopic } from '../topic.ts';
import { defineCommand, parseCount, parsePatterns } from './command.ts';
import { DEFAULT_DB, dbOrNatsFlags, FLAGS } from './flags.ts';
import { isoTime } from './format.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';

/** How often `--follow` looks for new rows. */
const POLL_MS = 200;
/** Events read per query, so a long log streams without being held in memory. */
const PAGE_SIZE = 1000;

/** Where the events come from: the file, or the supervisor over NATS. */
interface EventSource {
  /** Where the events come from, for messages: the file, or the supervisor's NATS servers. */
  name: string;
  /** Up to `limit` events after `after` matching `patterns`; `lastSeq` is where the next page starts. */
  page(after: number, patterns: readonly string[], limit: number): Promise<EventPage>;
  close(): Promise<void>;
}

export const eventsCommand = defineCommand({
  name: 'events',
  summary: 'list the event log, filtered by topic; --follow to tail it; --nats from a supervisor',
  about: `Usage: recq events [--db FILE | --nats URL [--namespace NS]] [--topic PATTERN ...] [--after SEQ]
                   [--limit N] [--inputs] [--follow] [--json]

Lists the event log in seq order. Opens the database read-only, so it is safe to run while a
system is running on the same file. With --nats, reads the log from the running supervisor of
a distributed system instead, a page at a time.

Input records are left out unless asked for: what a consumer's host appends on
$input.<consumer> when a timer of one of its actors fires, or an invoked child settles, sends an
event back or emits a value. --inputs lists them all too; --topic '$input.<consumer>' lists one
consumer's (no wildcard matches them).

Each line: seq  time (ISO)  topic  key ("-" if none)  id  event as JSON
`,
  flags: {
    ...dbOrNatsFlags('read from the supervisor that serves this NATS server'),
    topic: {
      type: 'string',
      multiple: true,
      usage: '--topic PATTERN',
      help: 'only events whose topic matches; NATS wildcards: \'*\' is one token,\na final \'>\' is one or more ("orders.*", "payments.>"). Repeatable:\nan event matching any of them is listed',
    },
    inputs: {
      type: 'boolean',
      usage: '--inputs',
      help: "also list input records ($input.<consumer>: timers fired, children's\noutcomes, events and values), whatever --topic says",
    },
    after: { type: 'string', usage: '--after SEQ', help: 'only events with seq greater than SEQ (default 0)' },
    limit: { type: 'string', usage: '--limit N', help: 'stop after N events' },
    follow: {
      type: 'boolean',
      usage: '--follow',
      help: 'keep listing new events as they are committed, until Ctrl-C; over NATS,\nwaits out a supervisor that stops answering',
    },
    json: { ...FLAGS.json, help: 'print each event as one JSON envelope per line' },
  },
  async run({ values }) {
    const { read, keep } = selectionOf(parsePatterns('events', values.topic), values.inputs === true);
    const after = parseCount('events', '--after', values.after) ?? 0;
    const limit = parseCount('events', '--limit', values.limit) ?? Number.POSITIVE_INFINITY;
    const print = values.json ? (e: Envelope) => JSON.stringify(e) : formatEvent;
    const nats = parseNatsInsteadOfDb('events', values);

    const source = nats ? natsSource(nats, await connectTo(nats)) : fileSource(values.db ?? DEFAULT_DB);
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let waitingSince: number | undefined;
    let following = false;
    try {
      let cursor = after;
      let remaining = limit;
      for (;;) {
        try {
          // Drain everything committed so far, a page at a time.
          for (;;) {
            // A page the listing filters may hold fewer to print than it read: read whole pages then.
            const wanted = keep ? PAGE_SIZE : Math.min(PAGE_SIZE, remaining);
            const page = await source.page(cursor, read, wanted);
            cursor = page.lastSeq;
            const shown = (keep ? page.envelopes.filter(keep) : page.envelopes).slice(0, remaining);
            remaining -= shown.length;
            if (shown.length > 0) process.stdout.write(`${shown.map(print).join('\n')}\n`);
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
        if (!following) process.stderr.write(`recq: waiting for new events after seq ${cursor} in ${source.name}; stop with Ctrl-C\n`);
        following = true;
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
});

/** What a listing reads (`read`, the patterns sent to the log) and which of those it prints (`keep`, when not all). */
interface Selection {
  read: readonly string[];
  keep?: (envelope: Envelope) => boolean;
}

/**
 * Input records are listed with `--inputs`, or where a pattern names their topic (no wildcard
 * matches one). Without patterns, the log gives every topic, input records too; with
 * `--inputs` and patterns, it gives every topic, and the listing keeps what they match and
 * every input record.
 */
function selectionOf(patterns: readonly string[], inputs: boolean): Selection {
  if (patterns.length === 0) return inputs ? { read: [] } : { read: [], keep: (e) => !isInputTopic(e.topic) };
  if (!inputs) return { read: patterns };
  const matches = compilePatterns(patterns);
  return { read: [], keep: (e) => isInputTopic(e.topic) || matches(e.topic) };
}

function fileSource(db: string): EventSource {
  const reader = StoreReader.open(db);
  return {
    name: reader.file,
    page: async (after, patterns, limit) => reader.readEvents(after, patterns, limit),
    close: async () => reader.close(),
  };
}

function natsSource(target: NatsTarget, nc: NatsConnection): EventSource {
  const access = new NatsLogAccess({ connection: nc, namespace: target.namespace });
  return {
    name: `the log of the supervisor at ${target.url} (namespace ${target.namespace})`,
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
