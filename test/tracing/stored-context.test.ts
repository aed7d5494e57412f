import { headers } from 'nats';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.ts';
import { Outbox } from '../../src/css/outbox.ts';
import { openDatabase } from '../../src/db.ts';
import { prepareAppend } from '../../src/envelope.ts';
import { InvalidEnvelopeError, MalformedMessageError } from '../../src/errors.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../../src/nats/wire-message.ts';
import { EventLog } from '../../src/sss/event-log.ts';
import { decodeRecord, encodeEventBody, recordHeaders } from '../../src/sss/jetstream/stream-record.ts';
import { traceContextProblem } from '../../src/trace-context.ts';
import { decodeAnnouncement } from '../../src/transport/wire-delivery.ts';
import { useScratch } from '../support/scratch.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const event = { type: 'add', amount: 1 };

describe('the trace context an envelope stores', () => {
  const scratch = useScratch();

  it('accepts W3C trace contexts and says what is wrong with any other', () => {
    expect(traceContextProblem({ traceparent: TRACEPARENT })).toBeUndefined();
    expect(traceContextProblem({ traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' })).toBeUndefined();
    // A later version may add fields; version 00 may not.
    expect(traceContextProblem({ traceparent: `01${TRACEPARENT.slice(2)}-what-comes-next` })).toBeUndefined();
    const refused: [unknown, RegExp][] = [
      ['00-4bf9', /expected \{ traceparent, tracestate\? \}/],
      [{ traceparent: TRACEPARENT.toUpperCase() }, /lowercase/],
      [{ traceparent: `${TRACEPARENT}-extra` }, /exactly four fields/],
      [{ traceparent: `ff${TRACEPARENT.slice(2)}` }, /version ff/],
      [{ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, /trace id .* all zeros/],
      [{ traceparent: 42 }, /traceparent must be a string/],
      [{ traceparent: TRACEPARENT, tracestate: 'no-equals-sign' }, /key=value/],
      [{ traceparent: TRACEPARENT, tracestate: `k=${'v'.repeat(600)}` }, /longer than 512/],
      [{ traceparent: TRACEPARENT, baggage: 'x' }, /other than traceparent and tracestate \(baggage\)/],
    ];
    for (const [value, problem] of refused) expect(traceContextProblem(value)).toMatch(problem);
    expect(() => prepareAppend({ topic: 'inv.a', event, trace: { traceparent: 'nope' } }, 1024)).toThrow(InvalidEnvelopeError);
  });

  it('adds the trace columns to a log file written before events carried one, whose events read back without it', async () => {
    const file = scratch.file('old.db');
    const old = openDatabase(file);
    old.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, key TEXT, time INTEGER NOT NULL,
      event TEXT NOT NULL, causation TEXT, correlation_id TEXT)`);
    old.prepare('INSERT INTO events VALUES (1, \'before\', \'inv.a\', NULL, 5, \'{"type":"add","amount":1}\', NULL, NULL)').run();
    old.close();

    const db = openDatabase(file);
    const log = new EventLog(db, { clock: new SimulatedClock(10) });
    await log.appendMany([
      { topic: 'inv.a', event, id: 'after', trace: { traceparent: TRACEPARENT, tracestate: 'vendor=v' } },
      { topic: 'inv.a', event, id: 'untraced' },
    ]);
    expect(log.read().map((envelope) => [envelope.id, envelope.trace])).toEqual([
      ['before', undefined],
      ['after', { traceparent: TRACEPARENT, tracestate: 'vendor=v' }],
      ['untraced', undefined],
    ]);
    log.close();
    db.close();
  });

  it("keeps an emitted event's trace context in the worker outbox, also in an outbox file from before traces", () => {
    const file = scratch.file('worker.db');
    const old = openDatabase(file);
    old.exec(`CREATE TABLE outbox (position INTEGER PRIMARY KEY, consumer TEXT NOT NULL, id TEXT NOT NULL, topic TEXT NOT NULL, key TEXT,
      event TEXT NOT NULL, causation TEXT, correlation_id TEXT)`);
    old.close();

    const db = openDatabase(file);
    const outbox = new Outbox(db);
    const traced = prepareAppend({ topic: 'recorded.add', event, id: 'c/k/1/0', trace: { traceparent: TRACEPARENT } }, 1024);
    const untraced = prepareAppend({ topic: 'recorded.add', event, id: 'c/k/1/1' }, 1024);
    outbox.transaction(() => outbox.appendWithinTransaction([traced, untraced], 'c'));
    expect(outbox.pending('c', 10).map((entry) => entry.input)).toEqual([
      { id: 'c/k/1/0', topic: 'recorded.add', event, trace: { traceparent: TRACEPARENT } },
      { id: 'c/k/1/1', topic: 'recorded.add', event },
    ]);
    db.close();
  });

  it('writes the trace context into a JetStream record, and drops a malformed one there without losing the event', () => {
    const prepared = prepareAppend({ topic: 'inv.a', event, id: 'e1', trace: { traceparent: TRACEPARENT, tracestate: 'vendor=v' } }, 1024);
    const body = encodeEventBody(prepared, 7);
    const record = decodeRecord(3, recordHeaders('event', 1), new TextEncoder().encode(body));
    expect(record).toMatchObject({ kind: 'event', envelope: { seq: 3, id: 'e1', trace: { traceparent: TRACEPARENT, tracestate: 'vendor=v' } } });

    const foreign = JSON.stringify({ id: 'e2', topic: 'inv.a', time: 7, event, trace: { traceparent: 'garbage' } });
    const kept = decodeRecord(4, recordHeaders('event', 1), new TextEncoder().encode(foreign));
    expect(kept).toMatchObject({ kind: 'event', envelope: { id: 'e2' } });
    expect(kept.kind === 'event' && 'trace' in kept.envelope).toBe(false);
  });

  it('reads the trace context of an envelope off the wire, and refuses a message whose context is malformed', () => {
    const h = headers();
    h.set(WIRE_HEADER, WIRE_VERSION);
    const envelope = { seq: 1, id: 'e1', topic: 'inv.a', time: 7, event, trace: { traceparent: TRACEPARENT } };
    expect(decodeAnnouncement(JSON.stringify(envelope), h)).toEqual({ ok: true, value: envelope });

    const decoded = decodeAnnouncement(JSON.stringify({ ...envelope, trace: { traceparent: TRACEPARENT, tracestate: 7 } }), h);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.error).toBeInstanceOf(MalformedMessageError);
      expect(decoded.error.message).toMatch(/envelope\.trace .*tracestate must be a string/);
    }
  });
});
