import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { InvalidEnvelopeError, silentLogger } from '../../src/index.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { useScratch } from '../support/scratch.ts';

// No SDK is registered in this file: every span is a no-op, as in an application without one.
describe('without an OpenTelemetry SDK', () => {
  const scratch = useScratch();

  it('publishes and applies as before, and stores no trace context', async () => {
    expect(trace.getTracer('check').startSpan('probe').isRecording()).toBe(false);
    const system = await scratch.start({ db: scratch.file(), components: [recorder(), tally()], logger: silentLogger });
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
      span.end();
    });
    await system.settled();
    expect((await system.query('tally')).context).toMatchObject({ total: 1 });
    const events = await system.events();
    expect(events.map((envelope) => envelope.id)).toEqual([events[0]?.id, 'recorder/k1/1/0']);
    for (const envelope of events) expect(envelope).not.toHaveProperty('trace');
  });

  it('stores a trace context the producer gives unchanged, and adds none to what actors emit', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [recorder()], logger: silentLogger });
    const upstream = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=opaque' };
    await system.publishMany([{ topic: 'inv.a', event: { type: 'add', amount: 1 }, key: 'k1', trace: upstream }]);
    await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k2', trace: upstream });
    await system.settled();
    const events = await system.events();
    const published = events.filter((envelope) => envelope.topic === 'inv.a');
    const emitted = events.filter((envelope) => envelope.topic !== 'inv.a');
    expect(published.map((envelope) => envelope.trace)).toEqual([upstream, upstream]);
    expect(emitted.map((envelope) => envelope.id)).toEqual(['recorder/k1/1/0', 'recorder/k2/2/0']);
    for (const envelope of emitted) expect(envelope).not.toHaveProperty('trace');
  });

  it('refuses a malformed trace context with InvalidEnvelopeError naming it, and appends nothing', async () => {
    const system = await scratch.start({ db: scratch.file(), components: [], logger: silentLogger });
    const bad = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01' };
    const refused = system.publishMany([
      { topic: 'inv.a', event: { type: 'add', amount: 1 } },
      { topic: 'inv.a', event: { type: 'add', amount: 1 }, trace: bad },
    ]);
    await expect(refused).rejects.toThrow(InvalidEnvelopeError);
    await expect(refused).rejects.toThrow(/'trace'.*span id of traceparent is all zeros/);
    expect(await system.head()).toBe(0);
  });
});
