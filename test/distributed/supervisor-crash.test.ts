import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendResult, Envelope, RouteState } from '../../src/index.ts';
import { acknowledged, Cluster, type NodeProcess, quiet, readLog, waitForAcks } from './processes.ts';
import { expectAcknowledgedInLog, expectExactOutcome, expectRecorderCheckpoint } from './reference.ts';

const EVENTS = 1500;
const AFTER_RESTART = { id: 'after-restart', topic: 'inv.a', key: 'k1', event: { type: 'add', amount: 5 } };
/** After this many failed renewals in a row, a worker's last renewed lease has lapsed by its own clock. */
const LAPSED_AFTER_FAILURES = 3;

const registeredAgain = (node: NodeProcess, consumer: string, from: number) =>
  node.waitFor((line) => line.type === 'log' && line.message.startsWith(`consumer ${consumer} registered again`), `${consumer} to register again`, from);

const failedRenewals = (node: NodeProcess, from: number) =>
  node.until(() => {
    const failures = node.lines.slice(from).filter((line) => line.type === 'log' && line.message.includes('could not renew its lease')).length;
    return failures >= LAPSED_AFTER_FAILURES ? failures : undefined;
  }, `${LAPSED_AFTER_FAILURES} failed lease renewals`);

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
    await Promise.all([failedRenewals(recorderWorker, marks[0]), failedRenewals(producer, marks[1])]);
    supervisor = await cluster.supervisor();
    // A worker's own publish is often the first reply it gets from the new incarnation (the
    // producer's requests are still waiting out their timeouts), so its hosts register again
    // before their next heartbeat, with an event to apply and commit at once.
    const [late] = await recorderWorker.call<AppendResult[]>('publish', { inputs: [AFTER_RESTART] });
    lateSeq = late?.seq;

    await Promise.all([registeredAgain(recorderWorker, 'recorder', marks[0]), registeredAgain(producer, 'tally', marks[1])]);
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

  it('has the workers register with the new incarnation keeping their leases, with no host restarted', async () => {
    const { routes, leases } = await supervisor.call<RouteState>('routes');
    expect(Object.keys(routes).sort()).toEqual(['recorder', 'tally']);
    const epochs = (list: RouteState['leases']) =>
      Object.fromEntries(list.filter((l) => l.resource.startsWith('consumer:')).map((l) => [l.resource, [l.owner, l.epoch]]));
    const statuses = await Promise.all([recorderWorker.call<Status>('status'), producer.call<Status>('status')]);
    const restarts = statuses.flatMap((s) => s.consumers.map((c) => ({ component: c.component, restarts: c.restarts, lastError: c.lastError })));
    expect(restarts).toEqual([
      { component: 'recorder', restarts: 0, lastError: undefined },
      { component: 'tally', restarts: 0, lastError: undefined },
    ]);
    expect(epochs(leases)).toEqual(epochs(leasesBefore));
  });
});
