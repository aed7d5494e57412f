import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidEnvelopeError, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { connectNats } from '../../src/public/nats.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { untilHostState } from '../support/until-view.ts';
import { recordSpans, spanId, traceparentOf } from './recording-tracer.ts';

const spans = recordSpans();

describe('traces over NATS', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer({ config: (dir) => `jetstream { store_dir: ${JSON.stringify(path.join(dir, 'jetstream'))} }` });
  });
  afterEach(async () => {
    await nats.stop();
  });
  // Registered after the server's hooks, so its systems stop before the server does.
  const scratch = useScratch();

  it('carries the trace context across the wire and through the worker outbox into one trace', async () => {
    const options = { nats: { servers: nats.url, namespace: 'traces' }, leaseTtlMs: 3_000, logger: silentLogger };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file('worker.db'), components: [recorder(), tally()] }));
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await worker.publish('inv.a', { type: 'add', amount: 3 }, { key: 'k1' });
      span.end();
    });
    await worker.settled();
    await worker.waitFor('tally', undefined, (view) => (view.context as { total: number }).total === 1);

    const root = spans.one('request');
    const publish = spans.one('publish inv.a');
    const processed = spans.one('process inv.a');
    const emit = spans.one('emit recorded.add');
    const tallied = spans.one('process recorded.add');
    const traceId = root.spanContext().traceId;
    expect([publish, processed, emit, tallied].map((span) => span.spanContext().traceId)).toEqual([traceId, traceId, traceId, traceId]);
    // The routed delivery brought each event's stored context to the worker.
    expect(processed.parentSpanContext).toMatchObject({ spanId: spanId(publish), isRemote: true });
    expect(emit.parentSpanContext?.spanId).toBe(spanId(processed));
    expect(tallied.parentSpanContext).toMatchObject({ spanId: spanId(emit), isRemote: true });

    // The supervisor's log holds both contexts: the emitted one went outbox → relay → append request.
    const stored = await supervisor.events();
    expect(stored.map((envelope) => [envelope.id, envelope.trace])).toEqual([
      [stored[0]?.id, { traceparent: traceparentOf(publish) }],
      ['recorder/k1/1/0', { traceparent: traceparentOf(emit) }],
    ]);
    // And a read over NATS returns them.
    expect((await worker.events()).map((envelope) => envelope.trace)).toEqual(stored.map((envelope) => envelope.trace));
  });

  it('refuses a malformed trace context a producer sends over NATS with InvalidEnvelopeError, appending nothing', async () => {
    const options = { nats: { servers: nats.url, namespace: 'refusals' }, leaseTtlMs: 3_000, logger: silentLogger };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const producer = scratch.keep(await startWorker({ ...options, db: scratch.file('producer.db'), components: [] }));
    // The producer sends it as given, with or without an SDK: the supervisor checks it.
    const bad = { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' };
    const refused = producer.publishMany([{ topic: 'inv.a', event: { type: 'add', amount: 1 }, trace: bad }]);
    await expect(refused).rejects.toBeInstanceOf(InvalidEnvelopeError);
    await expect(refused).rejects.toThrow(/'trace'.*lowercase/);
    expect(await supervisor.head()).toBe(0);
  });

  it('keeps the trace context in the records of a JetStream log', async () => {
    const options = { leaseTtlMs: 3_000, logger: silentLogger };
    const stream = { servers: nats.url, namespace: 'streamed' };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('index.db'), nats: { ...stream, jetstream: { replicas: 1 } } }));
    const worker = scratch.keep(await startWorker({ ...options, nats: stream, db: scratch.file('worker.db'), components: [recorder()] }));
    // The supervisor counts as started while it stands by; its consumer goes live once it leads.
    await untilHostState(worker, 'recorder', 'live');
    await worker.publish('inv.a', { type: 'add', amount: 3 }, { key: 'k1' });
    await worker.settled();

    const publish = spans.one('publish inv.a');
    const emit = spans.one('emit recorded.add');
    expect(spans.one('process inv.a').parentSpanContext?.spanId).toBe(spanId(publish));
    // Read back from the supervisor's index of the stream, and from the stream's records themselves.
    const stored = await supervisor.events();
    expect(stored.map((envelope) => envelope.trace?.traceparent)).toEqual([traceparentOf(publish), traceparentOf(emit)]);
    const nc = await connectNats(nats.url);
    try {
      const jsm = await nc.jetstreamManager();
      const records = await Promise.all(stored.map((envelope) => jsm.streams.getMessage('streamed_sss', { seq: envelope.seq })));
      expect(records.map((record) => record.json<{ trace?: { traceparent: string } }>().trace?.traceparent)).toEqual([
        traceparentOf(publish),
        traceparentOf(emit),
      ]);
    } finally {
      await nc.close();
    }
  });
});
