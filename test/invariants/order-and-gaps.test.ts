import { describe, expect, it } from 'vitest';
import { type Envelope, type System, silentLogger } from '../../src/index.ts';
import { type Delivery, MemoryTransport, type Transport } from '../../src/public/transport.ts';
import { compilePattern } from '../../src/topic.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { everything, recorder, seeded, tally } from './fixtures.ts';

const topics = ['inv.a', 'inv.b', 'inv.b.deep', 'other.x'];

/** Publishes `count` events over several topics and keys, mixing batches and single publishes. */
async function publishMixed(system: System, count: number, seed: number): Promise<void> {
  const random = seeded(seed);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; ) {
    const batch = 1 + Math.floor(random() * 40);
    const inputs = [];
    for (let j = 0; j < batch && i < count; j++, i++) {
      inputs.push({ topic: topics[Math.floor(random() * topics.length)] as string, event: { type: 'add', amount: i }, key: `k${Math.floor(random() * 10)}` });
    }
    pending.push(inputs.length === 1 ? system.publish(inputs[0]!.topic, inputs[0]!.event, { key: inputs[0]!.key }) : system.publishMany(inputs));
    if (random() < 0.2) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

/** What each consumer must have applied: the matching seqs of the log, in order. */
function expectedSeqs(log: Envelope[], pattern: string, key?: string): number[] {
  const match = compilePattern(pattern);
  return log.filter((e) => match(e.topic) && (key === undefined || e.key === key)).map((e) => e.seq);
}

async function assertOrderedAndComplete(system: System): Promise<void> {
  const log = await system.events({ limit: 1_000_000 });
  const all = await system.query('everything');
  expect((all.context as { seqs: number[] }).seqs).toEqual(expectedSeqs(log, 'inv.>'));
  for (let k = 0; k < 10; k++) {
    const expected = expectedSeqs(log, 'inv.*', `k${k}`);
    if (expected.length === 0) continue;
    const view = await system.query('recorder', `k${k}`);
    const seqs = (view.context as { seqs: number[] }).seqs;
    expect(seqs).toEqual(expected);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
  }
  const recorded = log.filter((e) => e.topic === 'recorded.add').length;
  expect((await system.query('tally')).context).toMatchObject({ total: recorded });
}

/** The in-process bus, losing a share of routed deliveries (as NATS core may). */
class LossyTransport extends MemoryTransport implements Transport {
  dropped = 0;
  readonly #random: () => number;
  readonly #share: number;
  constructor(seed: number, share: number) {
    super();
    this.#random = seeded(seed);
    this.#share = share;
  }
  override route(consumer: string, delivery: Delivery): void {
    if (this.#random() < this.#share) {
      this.dropped++;
      return;
    }
    super.route(consumer, delivery);
  }
}

describe('invariant 1: order', () => {
  const scratch = useScratch();

  it('applies the matching events of each consumer in strictly increasing seq, none skipped', async () => {
    const system = await scratch.start({
      db: scratch.file('order.db'),
      components: [recorder({ maxEvents: 13 }), everything(), tally()],
      logger: silentLogger,
    });
    await publishMixed(system, 1500, 11);
    await system.settled();
    await assertOrderedAndComplete(system);
    // Events on topics no consumer matches are in the log but in nobody's state.
    expect((await system.events({ patterns: ['other.x'] })).length).toBeGreaterThan(0);
  });

  it('keeps every consumer complete when an observer throws', async () => {
    const errors: string[] = [];
    const system = await scratch.start({
      db: scratch.file('observer.db'),
      components: [everything()],
      logger: { info: () => {}, warn: () => {}, error: (message) => errors.push(message) },
    });
    system.observe('inv.b', () => {
      throw new Error('dashboard down');
    });
    const results = await Promise.all([
      system.publish('inv.a', { type: 'add', amount: 1 }),
      system.publish('inv.b', { type: 'add', amount: 2 }),
      system.publish('inv.a', { type: 'add', amount: 3 }),
    ]);
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3]);
    await system.settled();
    expect((await system.query('everything')).context).toMatchObject({ seqs: [1, 2, 3], sum: 6 });
    expect(errors).toEqual(['an observer failed']);
  });

  it('keeps order for events published while a consumer is still catching up', async () => {
    const file = scratch.file('catchup.db');
    let system = await scratch.start({ db: file, components: [recorder()], logger: silentLogger });
    await publishMixed(system, 800, 5);
    await system.stop();
    // The new consumers start from seq 0 and catch up while new events keep arriving.
    system = await scratch.start({ db: file, components: [recorder(), everything(), tally()], readPageSize: 50, logger: silentLogger });
    await publishMixed(system, 400, 6);
    await system.settled();
    await assertOrderedAndComplete(system);
  });
});

describe('invariant 4: nothing lost', () => {
  const scratch = useScratch();

  it('has an acknowledged event on disk before the publish resolves', async () => {
    const file = scratch.file('ack.db');
    const system = await scratch.start({ db: file, components: [recorder()], logger: silentLogger });
    const { seq, id } = await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    const onDisk = readTables(file).events.find((row) => row.seq === seq);
    expect(onDisk).toMatchObject({ id, topic: 'inv.a', key: 'k1' });
  });

  it('fills every gap from the log when the transport loses deliveries', async () => {
    const transport = new LossyTransport(3, 0.3);
    const system = await scratch.start({
      db: scratch.file('lossy.db'),
      components: [recorder({ maxEvents: 9 }), everything(), tally()],
      transport,
      logger: silentLogger,
    });
    await publishMixed(system, 1200, 21);
    await system.settled();
    expect(transport.dropped).toBeGreaterThan(100);
    await assertOrderedAndComplete(system);
  });

  it('notices lost deliveries at the tail of a route, with nothing after them', async () => {
    const transport = new LossyTransport(4, 1);
    const system = await scratch.start({ db: scratch.file('tail.db'), components: [everything()], transport, logger: silentLogger });
    await system.publish('inv.a', { type: 'add', amount: 5 }, { key: 'k1' });
    await system.settled();
    expect(transport.dropped).toBe(1);
    expect((await system.query('everything')).context).toMatchObject({ seqs: [1], sum: 5 });
  });
});
