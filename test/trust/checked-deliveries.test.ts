import { headers } from 'nats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { connectNats } from '../../src/nats/connection.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../../src/nats/wire-message.ts';
import { NatsLogAccess } from '../../src/sss/nats/log-client.ts';
import { encodeDeliveries } from '../../src/transport/wire-delivery.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { adds, expectedSums, finalState } from './trust-kit.ts';

type Forgery = (at: { offset: number; head: number; incarnation: string }) => { prev: number; seq: number; amount: number; incarnation?: string };

/** Deliveries an attacker who can publish on a route subject (an open server) might send. */
const FORGERIES: Record<string, Forgery> = {
  'a made-up seq far ahead': ({ offset }) => ({ prev: offset, seq: 1_003_666, amount: 1 }),
  'a made-up seq far ahead, from a made-up supervisor': ({ offset }) => ({ prev: offset, seq: 1_003_666, amount: 1, incarnation: 'made-up' }),
  'a forged amount for the next seq, from a stale incarnation': ({ offset }) => ({ prev: offset, seq: offset + 1, amount: 1_000_000, incarnation: 'stale' }),
  'a forged amount from the current incarnation that does not continue the offset': ({ offset, incarnation }) => ({
    prev: offset - 1,
    seq: offset + 1,
    amount: 1_000_000,
    incarnation,
  }),
  'a gap past the head from the current incarnation': ({ head, incarnation }) => ({ prev: head + 500, seq: head + 1_000, amount: 1_000_000, incarnation }),
};

describe('a delivery never moves a consumer past the log', () => {
  let server: NatsServer;
  beforeEach(async () => {
    server = await startNatsServer();
  });
  afterEach(async () => {
    await server.stop();
  });
  const scratch = useScratch();

  async function run(tag: string, forge: boolean) {
    const nats = { servers: server.url, namespace: tag };
    const options = { nats, leaseTtlMs: 3_000, logger: silentLogger };
    scratch.keep(await startSupervisor({ ...options, db: scratch.file(`${tag}-sss.db`) }));
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file(`${tag}-w.db`), owner: 'w', components: [recorder(), tally()] }));
    const inputs = adds(40);
    const offsets: { name: string; offset: number; head: number }[] = [];
    await worker.publishMany(inputs.slice(0, 20));
    await worker.settled();
    if (forge) {
      const attacker = await connectNats(server.url);
      const access = new NatsLogAccess({ connection: attacker, namespace: tag });
      const wire = headers();
      wire.set(WIRE_HEADER, WIRE_VERSION);
      for (const [name, forgery] of Object.entries(FORGERIES)) {
        const head = await access.head();
        const offset = (await worker.status()).consumers.find((c) => c.component === 'recorder')?.offset ?? 0;
        const { prev, seq, amount, incarnation } = forgery({ offset, head, incarnation: access.incarnation as string });
        const envelope = { seq, id: `forged-${seq}`, topic: 'inv.k1', time: 0, key: 'k1', event: { type: 'add', amount } };
        attacker.publish(`${tag}.route.recorder`, encodeDeliveries(prev, [JSON.stringify(envelope)], incarnation), { headers: wire });
        await attacker.flush();
        // A real event after the forgery: the worker has dealt with the forgery once it has applied this.
        await worker.publish('inv.k2', { type: 'add', amount: 0 }, { key: 'k2', id: `probe-${name}` });
        await worker.settled();
        const after = (await worker.status()).consumers.find((c) => c.component === 'recorder')?.offset ?? 0;
        offsets.push({ name, offset: after, head: await access.head() });
      }
      await attacker.close();
    } else {
      for (const name of Object.keys(FORGERIES)) await worker.publish('inv.k2', { type: 'add', amount: 0 }, { key: 'k2', id: `probe-${name}` });
    }
    await worker.publishMany(inputs.slice(20));
    await worker.settled();
    const state = await finalState(worker);
    const offset = (await worker.status()).consumers.find((c) => c.component === 'recorder')?.offset;
    return { state, offsets, offset, head: await worker.head(), log: await worker.events({ limit: 10_000 }) };
  }

  it('changes nothing for forged deliveries on a route subject: the state and log of a run without them, the offset never past the head', async () => {
    const reference = await run('plain', false);
    const attacked = await run('forged', true);
    expect(attacked.offsets.map((o) => o.name)).toEqual(Object.keys(FORGERIES));
    // The probe after each forgery was applied (it is the last seq routed to the recorder), and nothing beyond the log.
    for (const { name, offset, head } of attacked.offsets)
      expect({ name, within: offset <= head, nearHead: offset >= head - 1 }).toEqual({ name, within: true, nearHead: true });
    expect(attacked.state).toEqual(reference.state);
    // The recorder ends on the last event of its topics, as in the run without forgeries (their order may differ between runs).
    const lastRecorded = (log: typeof attacked.log) => Math.max(...log.filter((e) => e.topic.startsWith('inv.')).map((e) => e.seq));
    expect(attacked.offset).toBe(lastRecorded(attacked.log));
    expect(reference.offset).toBe(lastRecorded(reference.log));
    expect(attacked.head).toBe(reference.head);
    // The same published events, as many emitted ones (their ids name the seq of their cause), nothing forged.
    const published = (log: typeof attacked.log) => log.flatMap((e) => (e.causation === undefined ? [e.id] : [])).sort();
    expect(published(attacked.log)).toEqual(published(reference.log));
    expect(attacked.log).toHaveLength(reference.log.length);
    expect(attacked.log.filter((e) => e.id.startsWith('forged') || JSON.stringify(e.event).includes('1000000'))).toEqual([]);
    // The reference run itself holds each add once: 40 adds, 5 probes, and what the recorder emitted for them.
    const sums = expectedSums(adds(40));
    expect(reference.state.sums).toEqual({ ...sums, k2: { sum: (sums.k2 as { sum: number }).sum, count: (sums.k2 as { count: number }).count + 5 } });
  });
});
