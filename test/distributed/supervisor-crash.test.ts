import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendResult, Envelope, RouteState } from '../../src/index.ts';
import { acknowledged, Cluster, type NodeProcess, quiet, readLog, waitForAcks } from './processes.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint } from './reference.ts';

const EVENTS = 1500;
const AFTER_RESTART = { id: 'after-restart', topic: 'inv.a', key: 'k1', event: { type: 'add', amount: 5 } };

/** A host whose lease lapsed unrenewed gave its consumer up and stood by; it takes it back once the supervisor answers. */
const reachedAgain = (node: NodeProcess, consumer: string, from: number) =>
  node.waitFor(
    (line) => line.type === 'log' && line.message === `consumer ${consumer} reached the supervisor`,
    `${consumer} to reach the supervisor again`,
    from,
  );

/** Its lease lapsed unrenewed: the host gave its consumer up, started again, and waits for the supervisor as a standby. */
const standingBy = (node: NodeProcess, consumer: string, from: number) =>
  node.waitFor(
    (line) => line.type === 'log' && line.message.startsWith(`consumer ${consumer} waits for the supervisor`),
    `${consumer} to wait for the supervisor`,
    from,
  );

interface Status {
  consumers: { component: string; restarts: number; lastError?: string }[];
}

describe('the supervisor SIGKILLed during appends, then restarted', () => {
  let cluster: Cluster | undefined;
  let supervisor: NodeProcess;
  let recorderWorker: NodeProcess;
  let producer: NodeProcess;
  let leasesBefore: RouteState['leases'];
  let acksAtKill: number;
  let lateSeq: number | undefined;
  let log: Envelope[];

  beforeAll(async () => {
    cluster = await Cluster.start();
    supervisor = await cluster.supervisor();
    recorderWorker = await cluster.worker({ name: 'worker-a', components: ['recorder'], checkpoint: { maxEvents: 7 } });
    producer = await cluster.worker({ name: 'worker-b', components: ['tally'] });
    // Many small batches in flight, so the kill lands inside the log's group commits.
    await producer.call('stream', { prefix: 'p', from: 0, count: EVENTS, batch: 3, inFlight: 6, keys: 12 });

    await waitForAcks(producer, 450);
    leasesBefore = (await supervisor.call<RouteState>('routes')).leases;
    const marks = [recorderWorker.mark(), producer.mark()] as const;
    await supervisor.kill();
    acksAtKill = acknowledged(producer).size;
    // Down long enough that the workers' leases lapse by their own clocks, as in any outage longer than the lease.
    await Promise.all([standingBy(recorderWorker, 'recorder', marks[0]), standingBy(producer, 'tally', marks[1])]);
    supervisor = await cluster.supervisor();
    // Published as soon as the supervisor is back, while the hosts may still be standing by.
    const [late] = await recorderWorker.call<AppendResult[]>('publish', { inputs: [AFTER_RESTART] });
    lateSeq = late?.seq;

    await Promise.all([reachedAgain(recorderWorker, 'recorder', marks[0]), reachedAgain(producer, 'tally', marks[1])]);
    await producer.waitFor((line) => line.type === 'produced', 'the producer to finish');
    await quiet(supervisor, [recorderWorker, producer]);
    log = await readLog(supervisor);
  });

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('keeps every acknowledged event, once, at the seq it was acknowledged with, and seqs stay gap-free', () => {
    const acks = acknowledged(producer);
    expect(acksAtKill).toBeLessThan(EVENTS);
    expect(acks.size).toBe(EVENTS);
    acks.set(AFTER_RESTART.id, lateSeq as number);
    expectAcknowledgedInLog(acks, log);
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
    const produced = log.filter((e) => e.causation === undefined).map((e) => e.id);
    expect(new Set(produced).size).toBe(produced.length);
    expect(produced.sort()).toEqual([...acks.keys()].sort());
  });

  it('brings the workers to the exact final state', async () => {
    await expectExactOutcome(log, recorderWorker, producer);
    expectRecorderCheckpoint(cluster!.file('worker-a'), log);
  });

  it('has each host give its consumer up once its lease lapsed unrenewed, and take it back at its epoch once the supervisor answers, with no failure counted', async () => {
    const { routes, leases } = await supervisor.call<RouteState>('routes');
    expect(Object.keys(routes).sort()).toEqual(['recorder', 'tally']);
    const epochs = (list: RouteState['leases']) =>
      Object.fromEntries(list.filter((l) => l.resource.startsWith('consumer:')).map((l) => [l.resource, [l.owner, l.epoch]]));
    const statuses = await Promise.all([recorderWorker.call<Status>('status'), producer.call<Status>('status')]);
    const restarts = statuses.flatMap((s) => s.consumers.map((c) => ({ component: c.component, restarts: c.restarts, lastError: c.lastError })));
    const lapsed = expect.stringMatching(/could not renew its lease in time/);
    expect(restarts).toEqual([
      { component: 'recorder', restarts: 0, lastError: lapsed },
      { component: 'tally', restarts: 0, lastError: lapsed },
    ]);
    // The host that starts again presents the lease it held: nobody took it meanwhile, so it is renewed at its epoch.
    expect(epochs(leases)).toEqual(epochs(leasesBefore));
  });
});
