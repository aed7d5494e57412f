import { describe, expect, it } from 'vitest';
import { documents } from '../../examples/statechart/run.ts';
import type { LogReader } from '../../src/dashboard/source.ts';
import { replayActor } from '../../src/dashboard/time-travel.ts';
import type { Envelope } from '../../src/envelope.ts';
import { compilePatterns } from '../../src/topic.ts';
import { ordersComponent } from './orders.ts';

const T0 = Date.UTC(2026, 0, 5, 9);

/** A log held in memory, read as the sources read theirs. */
function logOf(events: readonly Omit<Envelope, 'seq' | 'time'>[]): LogReader {
  const log: Envelope[] = events.map((e, i) => ({ ...e, seq: i + 1, time: T0 + i * 1000 }));
  return async (after, patterns, limit) => {
    const matches = patterns.length === 0 ? () => true : compilePatterns(patterns);
    return log.filter((e) => e.seq > after && matches(e.topic)).slice(0, limit);
  };
}

const QUOTE = 'orders/o-1/1/invoke/0.order.pricing/0';

describe('time travel, from the log alone', () => {
  it("takes in a child's outcome at the seq of its record, and says where a record names no child that is still running", async () => {
    const read = logOf([
      { id: 'p', topic: 'orders.placed', key: 'o-1', event: { type: 'place', amount: 10 } },
      {
        id: 'stray',
        topic: '$input.orders',
        key: 'o-1',
        event: { type: 'recq.child.done', child: 'orders/o-1/9/invoke/0.order.pricing/0', outcome: 'done', value: '{"total":1}' },
      },
      { id: 'other', topic: 'orders.placed', key: 'o-2', event: { type: 'place', amount: 99 } },
      { id: `${QUOTE}/done`, topic: '$input.orders', key: 'o-1', event: { type: 'recq.child.done', child: QUOTE, outcome: 'done', value: '{"total":20}' } },
      { id: 's', topic: 'orders.shipped', key: 'o-1', event: { type: 'ship' } },
    ]);
    const replay = await replayActor({ definition: ordersComponent, component: 'orders', consumer: 'orders', key: 'o-1', read });
    expect(replay.steps.map((s) => [s.event.seq, s.value, s.context])).toEqual([
      [1, 'pricing', { total: 0 }],
      [2, 'pricing', { total: 0 }],
      [4, 'priced', { total: 20 }],
      [5, 'shipped', { total: 20 }],
    ]);
    expect(replay.steps[1]?.notes).toEqual([
      'child quote (0.order.pricing) was not running here (stopped when its state was left, or never invoked): this record changed nothing',
    ]);
    expect(replay.steps[2]?.event.input).toEqual({
      consumer: 'orders',
      kind: 'done',
      name: '0.order.pricing',
      src: 'quote',
      effect: QUOTE,
      value: { total: 20 },
    });
    expect(replay.steps[2]?.notes).toEqual([]);
    expect(replay.notes).toEqual([]);
  });

  it('leaves a child whose outcome the log has not got pending, and a delayed event whose firing it has not got, and says so at the end', async () => {
    const orders = await replayActor({
      definition: ordersComponent,
      component: 'orders',
      consumer: 'orders',
      key: 'o-1',
      read: logOf([{ id: 'p', topic: 'orders.placed', key: 'o-1', event: { type: 'place', amount: 10 } }]),
    });
    expect(orders.steps.map((s) => s.value)).toEqual(['pricing']);
    expect(orders.notes).toEqual([
      'Child quote (0.order.pricing) is pending at the end: its outcome is not in the log yet. The replay runs no child; its host records the outcome when it settles.',
    ]);

    const legal = 'timer/1/xstate.after.reviewDeadline.document.review.legal.pending';
    const finance = 'timer/1/xstate.after.reviewDeadline.document.review.finance.pending';
    const read = logOf([
      { id: 'submit', topic: 'documents.commands', key: 'doc-1', event: { type: 'submit', amount: 100 } },
      { id: 'approve', topic: 'documents.commands', key: 'doc-1', event: { type: 'approve', region: 'legal', reviewer: 'ann' } },
      // Legal's deadline was cancelled by the approval: a firing recorded for it changes nothing.
      { id: `documents/doc-1/${legal}/fired`, topic: '$input.documents', key: 'doc-1', event: { type: 'recq.timer.fired', timer: legal } },
    ]);
    const before = await replayActor({ definition: documents, component: 'documents', consumer: 'documents', key: 'doc-1', read });
    expect(before.steps[2]?.notes).toEqual([`timer ${legal} was not pending (cancelled when its state was left, or never set): this firing changed nothing`]);
    expect(before.notes).toEqual(['1 delayed event is pending at the end: its firing is not in the log yet; the host records it when it falls due.']);

    const fired = logOf([
      { id: 'submit', topic: 'documents.commands', key: 'doc-1', event: { type: 'submit', amount: 100 } },
      { id: 'approve', topic: 'documents.commands', key: 'doc-1', event: { type: 'approve', region: 'legal', reviewer: 'ann' } },
      { id: `documents/doc-1/${finance}/fired`, topic: '$input.documents', key: 'doc-1', event: { type: 'recq.timer.fired', timer: finance } },
    ]);
    const after = await replayActor({ definition: documents, component: 'documents', consumer: 'documents', key: 'doc-1', read: fired });
    expect(after.steps.at(-1)).toMatchObject({
      value: { review: { legal: 'approved', finance: 'escalated' } },
      context: { escalations: 1 },
      event: { input: { kind: 'timer', name: 'xstate.after.reviewDeadline.document.review.finance.pending', effect: finance } },
      notes: [],
    });
    expect(after.notes).toEqual([]);
  });
});
