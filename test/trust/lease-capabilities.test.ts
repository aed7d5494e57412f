import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseNotHeldError, type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { connectNats } from '../../src/nats/connection.ts';
import { NatsLogAccess } from '../../src/sss/nats/log-client.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';
import { adds, expectedSums, finalState } from './trust-kit.ts';

const TTL = 1_500;

/** Resolves once the system's live view shows `consumer` in `state`; rejects after `timeoutMs`. */
function hostStateOf(system: System, consumer: string, state: string, timeoutMs = 10_000): Promise<void> {
  const current = () => (system.view.getSnapshot().context.consumers as Record<string, { hostState?: string } | undefined>)[consumer]?.hostState;
  if (current() === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`${consumer} was not ${state} within ${timeoutMs} ms (it is ${current()})`));
    }, timeoutMs);
    const subscription = system.view.subscribe(() => {
      if (current() !== state) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
  });
}

describe('leases are capabilities', () => {
  let server: NatsServer;
  beforeEach(async () => {
    server = await startNatsServer();
  });
  afterEach(async () => {
    await server.stop();
  });
  const scratch = useScratch();

  it('refuses heartbeats, relays and releases forged with a dead owner’s epoch, so the standby takes over', async () => {
    const nats = { servers: server.url, namespace: 'caps' };
    const supervisorLog = listeningLogger();
    scratch.keep(await startSupervisor({ nats, leaseTtlMs: TTL, db: scratch.file('sss.db'), logger: supervisorLog.logger }));
    const owner = scratch.keep(
      await startWorker({ nats, leaseTtlMs: TTL, db: scratch.file('a.db'), owner: 'worker-a', components: [recorder(), tally()], logger: silentLogger }),
    );
    const standby = scratch.keep(
      await startWorker({ nats, leaseTtlMs: TTL, db: scratch.file('b.db'), owner: 'worker-b', components: [recorder(), tally()], logger: silentLogger }),
    );
    const inputs = adds(40);
    await owner.publishMany(inputs.slice(0, 20));
    await owner.settled();
    await hostStateOf(standby, 'recorder', 'standby');

    // What anyone on the server can read: the owner and epoch of each lease, but no token.
    const forger = await connectNats(server.url);
    const access = new NatsLogAccess({ connection: forger, namespace: 'caps' });
    const routes = await access.routes();
    const held = routes.leases.find((lease) => lease.resource === 'consumer:recorder');
    expect(held).toMatchObject({ owner: 'worker-a', epoch: 1 });
    expect(routes.leases.every((lease) => !('token' in lease))).toBe(true);

    owner.halt();
    const lease = { ...(held as NonNullable<typeof held>) };
    const refusals: unknown[] = [];
    const forgedAppend = await access
      .append([{ topic: 'inv.k1', event: { type: 'add', amount: 1_000_000 }, key: 'k1', id: 'recorder/k1/999/0' }], lease)
      .catch((error: unknown) => error);
    const forgedRelease = await access.unregister(lease).catch((error: unknown) => error);
    // Heartbeats back to back while the standby waits: none may keep the dead owner's lease alive.
    let taken = false;
    const takeover = hostStateOf(standby, 'recorder', 'live').then(() => {
      taken = true;
    });
    while (!taken) {
      refusals.push(
        await access.heartbeat(lease).then(
          () => 'renewed',
          (error: unknown) => error,
        ),
      );
      if (refusals.length > 10_000) break;
    }
    await takeover;

    expect(forgedAppend).toBeInstanceOf(LeaseNotHeldError);
    expect(forgedRelease).toBeInstanceOf(LeaseNotHeldError);
    expect(refusals.length).toBeGreaterThan(0);
    // Refused as not held while the epoch was current, as superseded once the standby took it.
    expect(refusals.filter((r) => r === 'renewed')).toEqual([]);
    expect(refusals.every((r) => r instanceof LeaseNotHeldError || (r as { code?: string }).code === 'STALE_EPOCH')).toBe(true);
    await supervisorLog.next(/^refused a heartbeat that did not present the holder of consumer:recorder$/);
    await supervisorLog.next(/^refused a append that did not present the holder of consumer:recorder$/);
    expect(supervisorLog.lines.some((line) => /[0-9a-f]{32}/.test(line))).toBe(false);

    await standby.publishMany(inputs.slice(20));
    await standby.settled();
    const state = await finalState(standby);
    expect(state.sums).toEqual(expectedSums(inputs));
    expect(state.tally).toBe(40);
    const after = (await access.routes()).leases.find((l) => l.resource === 'consumer:recorder');
    expect(after).toMatchObject({ owner: 'worker-b' });
    expect(after?.epoch).toBeGreaterThan(1);
    // Nothing forged entered the log: 40 adds and the 40 events they emitted.
    expect(await standby.head()).toBe(80);
    await forger.close();
  });
});
