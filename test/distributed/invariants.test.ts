import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteState } from '../../src/index.ts';
import { readTables } from '../support/tables.ts';
import { acknowledged, Cluster, hostState, type NodeProcess, quiet, RemoteError, readLog, waitForHostState } from './processes.ts';
import type { StreamPlan } from './protocol.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint, recorderInputs } from './reference.ts';

const MAX_PAYLOAD_BYTES = 16 * 1024;
const PER_PRODUCER = 600;

describe('the invariants over NATS, with the supervisor and two workers as separate processes', () => {
  let cluster: Cluster | undefined;
  let supervisor: NodeProcess;
  let recorderWorker: NodeProcess;
  let tallyWorker: NodeProcess;
  let standby: NodeProcess;

  beforeAll(async () => {
    cluster = await Cluster.start();
    supervisor = await cluster.supervisor({ maxPayloadBytes: MAX_PAYLOAD_BYTES });
    [recorderWorker, tallyWorker] = await Promise.all([
      cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 13 } }),
      cluster.worker({ name: 'worker-b', components: ['tally'] }),
    ]);
    // Started once worker-a owns the recorder: it must wait, whatever the workload does.
    standby = await cluster.worker({ name: 'worker-c', components: ['recorder'] });
  });

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('applies each key in strictly increasing seq, none skipped, effectively once, and loses no acknowledged publish', async () => {
    const plan = (prefix: string): StreamPlan => ({ prefix, from: 0, count: PER_PRODUCER, batch: 17, inFlight: 3, keys: 9 });
    const fromA = recorderWorker.waitFor((line) => line.type === 'produced', 'producer a done');
    const fromB = tallyWorker.waitFor((line) => line.type === 'produced', 'producer b done');
    // Both workers publish at once, so the two producers' batches interleave in the log.
    await Promise.all([recorderWorker.call('stream', { ...plan('a') }), tallyWorker.call('stream', { ...plan('b') })]);
    await Promise.all([fromA, fromB]);
    await quiet(supervisor, [recorderWorker, tallyWorker]);

    const log = await readLog(supervisor);
    const produced = log.filter((e) => e.causation === undefined);
    expect(produced).toHaveLength(2 * PER_PRODUCER);
    expect(recorderInputs(log).length).toBeGreaterThan(PER_PRODUCER);
    await expectExactOutcome(log, recorderWorker, tallyWorker);
    expectRecorderCheckpoint(cluster!.file('worker-a'), log);

    const acks = new Map([...acknowledged(recorderWorker), ...acknowledged(tallyWorker)]);
    expect(acks.size).toBe(2 * PER_PRODUCER);
    expectAcknowledgedInLog(acks, log);
  });

  it('refuses bad input over the wire with a typed error, and changes nothing', async () => {
    const head = await quiet(supervisor, [recorderWorker, tallyWorker]);
    const logBefore = readTables(cluster!.file('supervisor'), ['events']);
    const cssBefore = readTables(cluster!.file('worker-a'), ['snapshots', 'outbox', 'dead_letters']);
    const stateBefore = await recorderWorker.call('query', { component: 'recorder', key: 'k1' });
    const tallyBefore = await tallyWorker.call('query', { component: 'tally' });

    const refusal = (inputs: unknown[]) =>
      tallyWorker.call('publish', { inputs }).then(
        () => undefined,
        (error: unknown) => error,
      );
    const good = { topic: 'inv.a', event: { type: 'add', amount: 1 }, key: 'k1', id: 'never-stored' };
    const cases: [unknown[], string, string][] = [
      [[{ topic: 'inv..a', event: { type: 'add', amount: 1 }, key: 'k1' }], 'InvalidTopicError', 'INVALID_TOPIC'],
      [[{ topic: 'inv.a', event: { amount: 1 }, key: 'k1' }], 'InvalidEventError', 'INVALID_EVENT'],
      [[{ topic: 'inv.a', event: { type: 'add', amount: 1 }, key: '' }], 'InvalidEnvelopeError', 'INVALID_ENVELOPE'],
      [[{ topic: 'inv.a', event: { type: 'add', amount: 1, blob: 'x'.repeat(MAX_PAYLOAD_BYTES) }, key: 'k1' }], 'PayloadTooLargeError', 'PAYLOAD_TOO_LARGE'],
      // One bad event refuses its whole batch: the good one beside it is not stored either.
      [[good, { topic: 'inv.*', event: { type: 'add', amount: 1 } }], 'InvalidTopicError', 'INVALID_TOPIC'],
    ];
    for (const [inputs, name, code] of cases) {
      const error = await refusal(inputs);
      expect(error, JSON.stringify(inputs).slice(0, 80)).toBeInstanceOf(RemoteError);
      expect(error).toMatchObject({ name, code, recq: true });
    }

    // What no recq client would send: a body that is not a request, and a relay append under an epoch no one holds.
    const nc: NatsConnection = await connect({ servers: cluster!.nats.url });
    try {
      const { leases } = await supervisor.call<RouteState>('routes');
      const lease = leases.find((l) => l.resource === 'consumer:recorder');
      expect(lease?.owner).toBe('worker-a');
      const request = async (op: string, body: string) => {
        const h = headers();
        h.set('Recq-Wire', '1');
        const reply = await nc.request(`recq.sss.${op}`, body, { timeout: 5000, headers: h });
        return JSON.parse(new TextDecoder().decode(reply.data)) as { ok: boolean; error?: { code: string } };
      };
      expect(await request('append', '{"inputs": "not a list"')).toMatchObject({ ok: false, error: { code: 'MALFORMED_MESSAGE' } });
      expect(await request('append', JSON.stringify({ inputs: 'not a list' }))).toMatchObject({ ok: false, error: { code: 'MALFORMED_MESSAGE' } });
      const forged = { resource: 'consumer:recorder', epoch: (lease?.epoch ?? 0) + 1 };
      expect(await request('append', JSON.stringify({ inputs: [good], lease: forged }))).toMatchObject({ ok: false, error: { code: 'STALE_EPOCH' } });
      expect(await request('heartbeat', JSON.stringify({ lease: { ...forged, owner: 'intruder', expiresAt: 0 } }))).toMatchObject({
        ok: false,
        error: { code: 'STALE_EPOCH' },
      });
    } finally {
      await nc.close();
    }

    expect(await quiet(supervisor, [recorderWorker, tallyWorker])).toBe(head);
    expect(readTables(cluster!.file('supervisor'), ['events'])).toEqual(logBefore);
    expect(readTables(cluster!.file('worker-a'), ['snapshots', 'outbox', 'dead_letters'])).toEqual(cssBefore);
    expect(await recorderWorker.call('query', { component: 'recorder', key: 'k1' })).toEqual(stateBefore);
    expect(await tallyWorker.call('query', { component: 'tally' })).toEqual(tallyBefore);
    expect(hostState(recorderWorker, 'recorder')).toBe('live');
  });

  it('keeps one owner: a second worker with the same component stands by and processes nothing', async () => {
    // It keeps asking for the consumer and keeps being refused while worker-a renews the lease.
    const from = standby.mark();
    await standby.waitFor((line) => line.type === 'host' && line.consumer === 'recorder' && line.state === 'restoring', 'another attempt', from);
    await waitForHostState(standby, 'recorder', 'standby', from);
    const states = standby.lines.flatMap((line) => (line.type === 'host' && line.consumer === 'recorder' ? [line.state] : []));
    expect(new Set(states)).toEqual(new Set(['restoring', 'standby']));

    const { leases } = await supervisor.call<RouteState>('routes');
    expect(leases.find((l) => l.resource === 'consumer:recorder')?.owner).toBe('worker-a');
    const status = await standby.call<{ consumers: { component: string; hostState: string; offset: number; storedActors: number }[] }>('status');
    expect(status.consumers).toEqual([expect.objectContaining({ component: 'recorder', hostState: 'standby', offset: 0, storedActors: 0 })]);
    await expect(standby.call('query', { component: 'recorder', key: 'k1' })).rejects.toMatchObject({ name: 'UnknownKeyError', code: 'UNKNOWN_KEY' });
    expect(readTables(cluster!.file('worker-c'), ['snapshots', 'outbox'])).toEqual({ snapshots: [], outbox: [] });
  });

  it('hands the consumer to the standby once the owner stops gracefully, which rebuilds it from the log to the exact state', async () => {
    const mark = standby.mark();
    await recorderWorker.stop();
    await waitForHostState(standby, 'recorder', 'live', mark);
    const more = tallyWorker.mark();
    await tallyWorker.call('stream', { prefix: 'c', from: 0, count: 100, batch: 10, inFlight: 1, keys: 9 });
    await tallyWorker.waitFor((line) => line.type === 'produced', 'the last stream', more);
    await quiet(supervisor, [standby, tallyWorker]);

    const log = await readLog(supervisor);
    expect(log.filter((e) => e.causation === undefined)).toHaveLength(2 * PER_PRODUCER + 100);
    await expectExactOutcome(log, standby, tallyWorker);
    expectRecorderCheckpoint(cluster!.file('worker-c'), log);
    const { leases } = await supervisor.call<RouteState>('routes');
    expect(leases.find((l) => l.resource === 'consumer:recorder')?.owner).toBe('worker-c');
  });
});
