import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { defineComponent } from '../../src/index.ts';
import { closeTestSystems, testSystem } from '../../src/public/testing.ts';
import { recordSpans, spanId, traceparentOf } from './recording-tracer.ts';

const spans = recordSpans();

/** Reminds once, a minute after it is asked to. */
const reminder = setup({ types: {} as { events: { type: 'remind' } } }).createMachine({
  initial: 'idle',
  states: {
    idle: { on: { remind: 'waiting' } },
    waiting: { after: { 60000: { target: 'done', actions: emit({ type: 'reminder.due' }) } } },
    done: { type: 'final' },
  },
});
const inbox = setup({ types: {} as { context: { due: number }; events: { type: 'reminder.due' } } }).createMachine({
  context: { due: 0 },
  on: { 'reminder.due': { actions: assign({ due: ({ context }) => context.due + 1 }) } },
});
const components = [
  defineComponent({ name: 'reminders', logic: reminder, subscribe: 'reminders', key: true }),
  defineComponent({ name: 'inbox', logic: inbox, subscribe: 'reminder.due' }),
];

describe('traces of a timer firing', () => {
  afterEach(closeTestSystems);

  it('runs the firing in a timer span, parent of what the actor emits then, and names the event that set it', async () => {
    const t = await testSystem({ components });
    const asked = await t.publish('reminders', { type: 'remind' }, { key: 'r1' });
    expect(spans.named('timer reminders')).toEqual([]);
    await t.advance(60_000);
    expect((await t.query('inbox')).context).toEqual({ due: 1 });

    const fired = spans.one('timer reminders');
    expect(fired.kind).toBe(SpanKind.INTERNAL);
    expect(fired.parentSpanContext).toBeUndefined();
    expect(fired.attributes).toEqual({
      'recq.component': 'reminders',
      'recq.consumer': 'reminders',
      'recq.key': 'r1',
      'recq.timer': 'timer/1/xstate.after.60000.(machine).waiting',
      'recq.causation': asked.id,
    });
    const emitted = spans.one('emit reminder.due');
    expect(emitted.parentSpanContext?.spanId).toBe(spanId(fired));
    expect(spans.one('process reminder.due').parentSpanContext?.spanId).toBe(spanId(emitted));
    const [due] = await t.events('reminder.due');
    expect(due?.trace).toEqual({ traceparent: traceparentOf(emitted) });
  });
});
