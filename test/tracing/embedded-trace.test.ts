import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { defineComponent, silentLogger } from '../../src/index.ts';
import { applierMachine, FailurePlan } from '../failures/fixtures.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { useScratch } from '../support/scratch.ts';
import { recordSpans, spanId, traceparentOf } from './recording-tracer.ts';

const spans = recordSpans();

describe('traces on the embedded deployment', () => {
  const scratch = useScratch();

  it('traces publish → process → emit → process as one trace, each span the child of the one before', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [recorder(), tally()], logger: silentLogger });
    const request = trace.getTracer('test');
    await request.startActiveSpan('request', async (span) => {
      await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
      span.end();
    });
    await system.settled();

    const root = spans.one('request');
    const publish = spans.one('publish inv.a');
    const processed = spans.one('process inv.a');
    const emit = spans.one('emit recorded.add');
    const tallied = spans.one('process recorded.add');
    for (const span of [publish, processed, emit, tallied]) expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(publish.parentSpanContext?.spanId).toBe(spanId(root));
    expect(processed.parentSpanContext?.spanId).toBe(spanId(publish));
    expect(emit.parentSpanContext?.spanId).toBe(spanId(processed));
    expect(tallied.parentSpanContext?.spanId).toBe(spanId(emit));
    // The conventions' link to the creation context, besides the parent.
    expect(processed.links.map((link) => link.context.spanId)).toEqual([spanId(publish)]);
    expect(tallied.links.map((link) => link.context.spanId)).toEqual([spanId(emit)]);

    expect([publish.kind, processed.kind, emit.kind, tallied.kind]).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.PRODUCER, SpanKind.CONSUMER]);
    const [first, emitted] = await system.events();
    expect(publish.attributes).toEqual({
      'messaging.system': 'recq',
      'messaging.destination.name': 'inv.a',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.message.id': first?.id,
      'recq.key': 'k1',
      'recq.seq': 1,
    });
    expect(processed.attributes).toEqual({
      'messaging.system': 'recq',
      'messaging.destination.name': 'inv.a',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': first?.id,
      'messaging.consumer.group.name': 'recorder',
      'recq.component': 'recorder',
      'recq.key': 'k1',
      'recq.seq': 1,
    });
    expect(emit.attributes).toEqual({
      'messaging.system': 'recq',
      'messaging.destination.name': 'recorded.add',
      'messaging.operation.type': 'create',
      'messaging.operation.name': 'emit',
      'messaging.message.id': 'recorder/k1/1/0',
      'messaging.message.conversation_id': first?.id,
      'recq.component': 'recorder',
      'recq.key': 'k1',
    });
    expect(tallied.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'tally',
      'recq.component': 'tally',
      'recq.seq': 2,
      'messaging.message.id': 'recorder/k1/1/0',
    });

    // The log holds each event's creation context: the publish span, then the emit span.
    expect(first?.trace).toEqual({ traceparent: traceparentOf(publish) });
    expect(emitted).toMatchObject({ id: 'recorder/k1/1/0', trace: { traceparent: traceparentOf(emit) } });
  });

  it('starts a new trace for a publish outside any span, and keeps a context the producer passes as the parent', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [recorder()], logger: silentLogger });
    await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    const upstream = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=opaque' };
    await system.publishMany([{ topic: 'inv.b', event: { type: 'add', amount: 1 }, key: 'k2', trace: upstream }]);
    await system.settled();

    const alone = spans.one('publish inv.a');
    expect(alone.parentSpanContext).toBeUndefined();
    const continued = spans.one('publish inv.b');
    expect(continued.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(continued.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });
    const stored = (await system.events({ patterns: ['inv.b'] }))[0];
    // The tracestate travels on with the publish span's context.
    expect(stored?.trace).toEqual({ traceparent: `00-0af7651916cd43dd8448eb211c80319c-${spanId(continued)}-01`, tracestate: 'vendor=opaque' });
    expect(spans.one('process inv.b').spanContext().traceState?.get('vendor')).toBe('opaque');
  });

  it('records a failed apply on its process span: the exception, status ERROR and error.type', async () => {
    const plan = new FailurePlan();
    plan.permanent.add('bad');
    const applier = defineComponent({ name: 'applier', logic: applierMachine(plan), subscribe: 'work', retry: { maxAttempts: 1 } });
    const system = await scratch.start({ db: scratch.file(), components: [applier], logger: silentLogger });
    await system.publish('work', { type: 'apply', name: 'bad' });
    await system.publish('work', { type: 'apply', name: 'good' });
    await system.settled();

    const [failed, applied] = spans.named('process work');
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'event bad can never be applied' });
    // A RecqError's code names the kind of failure; other errors give their name.
    expect(failed?.attributes['error.type']).toBe('PERMANENT');
    expect(failed?.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([['exception', 'event bad can never be applied']]);
    expect(applied?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces a replay anew, while the log keeps the first copy of each emitted event with its context', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [recorder(), tally()], logger: silentLogger });
    await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();
    const before = await system.events();

    await system.replay('recorder');
    await system.settled();
    const emits = spans.named('emit recorded.add');
    expect(spans.named('process inv.a')).toHaveLength(2);
    expect(emits).toHaveLength(2);
    expect(await system.events()).toEqual(before);
    expect(before[1]?.trace?.traceparent).toBe(traceparentOf(emits[0]));
  });

  it('does not count the trace context when a duplicate id is compared with the stored event', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [], logger: silentLogger });
    const first = await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1', id: 'once' });
    const again = await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1', id: 'once' });
    expect(again).toEqual({ seq: first.seq, id: 'once', duplicate: true });
    const [stored] = await system.events();
    // The first copy's context stands.
    const [firstSpan, secondSpan] = spans.named('publish inv.a');
    expect(stored?.trace?.traceparent).toBe(traceparentOf(firstSpan));
    expect(traceparentOf(secondSpan)).not.toBe(traceparentOf(firstSpan));
    expect(secondSpan?.attributes['recq.duplicate']).toBe(true);
  });
});
