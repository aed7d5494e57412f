import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { quiet, readLog, useCluster } from './processes.ts';
import type { StreamPlan } from './protocol.ts';
import { expectExactOutcome, recorderReference } from './reference.ts';

describe('two namespaces on one nats-server', () => {
  const startCluster = useCluster();

  it('keeps two systems with the same components and topics apart', async () => {
    const cluster = await startCluster();
    const sniffer = await connect({ servers: cluster.nats.url });
    const subjects = new Set<string>();
    sniffer.subscribe('>', { callback: (_error, msg) => subjects.add(msg.subject.split('.').slice(0, 2).join('.')) });
    await sniffer.flush();
    try {
      const plans: Record<string, StreamPlan> = {
        alpha: { prefix: 'alpha', from: 0, count: 300, batch: 10, inFlight: 2, keys: 5 },
        beta: { prefix: 'beta', from: 0, count: 200, batch: 10, inFlight: 2, keys: 5, scale: 3 },
      };
      const systems = await Promise.all(
        Object.keys(plans).map(async (namespace) => {
          const supervisor = await cluster.supervisor({ name: `${namespace}-supervisor`, namespace });
          const worker = await cluster.worker({ name: `${namespace}-worker`, namespace, components: ['recorder', 'tally'] });
          return { namespace, supervisor, worker };
        }),
      );
      await Promise.all(
        systems.map(async ({ namespace, supervisor, worker }) => {
          const done = worker.waitFor((line) => line.type === 'produced', `${namespace} producer`);
          await worker.call('stream', { ...plans[namespace] });
          await done;
          await quiet(supervisor, [worker]);
        }),
      );

      const references = new Map<string, Map<string, unknown>>();
      for (const { namespace, supervisor, worker } of systems) {
        const log = await readLog(supervisor);
        const produced = log.filter((e) => e.causation === undefined);
        expect(produced).toHaveLength(plans[namespace]?.count as number);
        expect(
          produced.every((e) => e.id.startsWith(`${namespace}-`)),
          `${namespace} holds only its own events`,
        ).toBe(true);
        await expectExactOutcome(log, worker, worker);
        references.set(namespace, recorderReference(log));
      }
      expect(references.get('alpha')?.get('k1')).not.toEqual(references.get('beta')?.get('k1'));
      // Nothing went to the default namespace, and each system's traffic stayed under its own.
      expect([...subjects].filter((s) => !s.startsWith('_INBOX.')).sort()).toEqual(
        expect.arrayContaining(['alpha.evt', 'alpha.route', 'alpha.sss', 'beta.evt', 'beta.route', 'beta.sss']),
      );
      expect([...subjects].filter((s) => !/^(alpha|beta|_INBOX)\./.test(s))).toEqual([]);
      // Stopping one system, gracefully, leaves the other running.
      const [alpha, beta] = systems as [(typeof systems)[0], (typeof systems)[0]];
      const betaHead = await beta.supervisor.call<number>('head');
      await alpha.worker.stop();
      await alpha.supervisor.stop();
      const [late] = await beta.worker.call<{ seq: number }[]>('publish', { inputs: [{ topic: 'inv.a', key: 'k1', event: { type: 'add', amount: 1 } }] });
      expect(late?.seq).toBe(betaHead + 1);
      // The recorder applies it and emits one effect, which the tally applies.
      expect(await quiet(beta.supervisor, [beta.worker])).toBe(betaHead + 2);
      await expectExactOutcome(await readLog(beta.supervisor), beta.worker, beta.worker);
    } finally {
      await sniffer.close();
    }
  });
});
