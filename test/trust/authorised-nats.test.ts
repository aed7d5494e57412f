import { headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsConnectError, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { connectNats } from '../../src/nats/connection.ts';
import { WIRE_HEADER, WIRE_VERSION } from '../../src/nats/wire-message.ts';
import { encodeDeliveries } from '../../src/transport/wire-delivery.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { inboxOf, type RecqUser, recqAccountConfig } from '../support/recq-accounts.ts';
import { useScratch } from '../support/scratch.ts';
import { adds, expectedSums, finalState, permissionViolation } from './trust-kit.ts';

const NS = 'shop';
const USERS: RecqUser[] = [
  { user: 'supervisor', password: 'supervisor-secret', role: 'supervisor' },
  { user: 'worker-a', password: 'worker-a-secret', role: 'worker', consumers: ['recorder', 'tally'], owner: 'worker-a' },
  { user: 'producer', password: 'producer-secret', role: 'producer' },
  // An authenticated client of the worker role that owns no consumer.
  { user: 'intruder', password: 'intruder-secret', role: 'worker', consumers: [], owner: 'intruder' },
];
const OUTSIDER = { user: 'outsider', password: 'outsider-secret' };

describe('authenticated, authorised NATS', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ config: recqAccountConfig(NS, USERS, [OUTSIDER]) });
  });
  afterAll(async () => {
    await server.stop();
  });
  const scratch = useScratch();

  const natsAs = (name: string) => {
    const user = USERS.find((u) => u.user === name) as RecqUser;
    return { servers: server.url, namespace: NS, user: user.user, password: user.password, inboxPrefix: inboxOf(user.user) };
  };
  const connectAs = (name: string): Promise<NatsConnection> => {
    const { servers, ...credentials } = natsAs(name);
    return connectNats(servers, credentials);
  };

  /** One run on fresh files; its processes are stopped at the end, so the next run has the namespace to itself. */
  async function run(tag: string, attack?: (worker: Awaited<ReturnType<typeof startWorker>>) => Promise<void>) {
    const options = { leaseTtlMs: 3_000, logger: silentLogger };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file(`${tag}-sss.db`), nats: natsAs('supervisor') }));
    const worker = scratch.keep(
      await startWorker({ ...options, db: scratch.file(`${tag}-w.db`), owner: 'worker-a', components: [recorder(), tally()], nats: natsAs('worker-a') }),
    );
    const producer = scratch.keep(
      await startWorker({ ...options, db: scratch.file(`${tag}-p.db`), owner: 'producer', components: [], nats: natsAs('producer') }),
    );
    const inputs = adds(40);
    await producer.publishMany(inputs.slice(0, 20));
    await worker.settled();
    await attack?.(worker);
    await producer.publishMany(inputs.slice(20));
    await worker.settled();
    const outcome = { inputs, state: await finalState(worker), head: await producer.head() };
    await producer.stop();
    await worker.stop();
    await supervisor.stop();
    return outcome;
  }

  it('runs a whole system with every process under its own user and role', async () => {
    const { inputs, state, head } = await run('plain');
    expect(state.sums).toEqual(expectedSums(inputs));
    // Each recorded add was emitted, relayed through the worker's lease, and tallied.
    expect(state.tally).toBe(40);
    expect(head).toBe(80);
  });

  it('refuses a client without credentials, and shows the namespace to no other account', async () => {
    const refused = connectNats(server.url);
    await expect(refused).rejects.toBeInstanceOf(NatsConnectError);
    await expect(refused).rejects.toMatchObject({ reason: expect.stringMatching(/authorization violation/i) });

    const outsider = await connectNats(server.url, OUTSIDER);
    const seen: string[] = [];
    outsider.subscribe(`${NS}.>`, { callback: (_error, msg) => seen.push(msg.subject) });
    outsider.subscribe('_INBOX_worker-a.>', { callback: (_error, msg) => seen.push(msg.subject) });
    await outsider.flush();
    const { inputs, state } = await run('watched');
    expect(state.sums).toEqual(expectedSums(inputs));
    await outsider.flush();
    expect(seen).toEqual([]);
    await outsider.close();
  });

  it('refuses a worker-role client that publishes deliveries or announcements, or subscribes to routes, requests or replies not its own; the run ends as without it', async () => {
    const reference = await run('reference');
    const intruder = await connectAs('intruder');
    const wire = headers();
    wire.set(WIRE_HEADER, WIRE_VERSION);
    const refusals: string[] = [];
    const attacked = await run('attacked', async (worker) => {
      const offset = (await worker.status()).consumers.find((c) => c.component === 'recorder')?.offset ?? 0;
      const forged = { seq: offset + 1, id: 'forged', topic: 'inv.k1', time: 0, key: 'k1', event: { type: 'add', amount: 1_000_000 } };
      const attempts: [Promise<unknown>, () => void][] = [
        [
          permissionViolation(intruder, 'publish', `${NS}.route.recorder`),
          () => intruder.publish(`${NS}.route.recorder`, encodeDeliveries(offset, [JSON.stringify(forged)]), { headers: wire }),
        ],
        [permissionViolation(intruder, 'publish', `${NS}.evt.inv.k1`), () => intruder.publish(`${NS}.evt.inv.k1`, JSON.stringify(forged), { headers: wire })],
        [permissionViolation(intruder, 'subscription', `${NS}.route.recorder`), () => intruder.subscribe(`${NS}.route.recorder`)],
        [permissionViolation(intruder, 'subscription', `${NS}.sss.*`), () => intruder.subscribe(`${NS}.sss.*`)],
        [permissionViolation(intruder, 'subscription', '_INBOX_worker-a.>'), () => intruder.subscribe('_INBOX_worker-a.>')],
      ];
      for (const [refusal, attempt] of attempts) {
        attempt();
        const status = (await refusal) as { permissionContext?: { operation: string; subject: string } };
        refusals.push(`${status.permissionContext?.operation} ${status.permissionContext?.subject}`);
      }
    });
    expect(refusals).toEqual([
      `publish ${NS}.route.recorder`,
      `publish ${NS}.evt.inv.k1`,
      `subscription ${NS}.route.recorder`,
      `subscription ${NS}.sss.*`,
      'subscription _INBOX_worker-a.>',
    ]);
    expect(attacked.state).toEqual(reference.state);
    expect(attacked.head).toBe(reference.head);
    await intruder.close();
  });
});
