import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { recordSpans, spanId, traceparentOf } from './recording-tracer.ts';

const spans = recordSpans();

describe('traces over NATS', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer();
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
});
