import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/envelope.ts';
import type { ClusterStatus } from '../../src/operator/cluster-status.ts';
import { jsonLogLine } from '../logging/json-log-line.ts';
import { type Child, useChildren } from '../support/child-process.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { readTables } from '../support/tables.ts';
import { untilStored } from '../support/until-stored.ts';
import { createWorkspace, LIBRARY_URL, recq, recqCommand, scriptCommand, type Workspace } from './recq-process.ts';

/** How long a test waits for the cluster to reach a state before it fails, polling `recq status`. */
const STATUS_DEADLINE_MS = 20_000;

/**
 * A keyed `recorder` (one actor per key, on `items.*`) that emits `item.recorded` for each item,
 * and a singleton `tally` that counts those; `main`, if given, has `system` in scope.
 */
function clusterModule(main?: string): string {
  return `
import { assign, emit, setup } from 'xstate';
import { defineComponent, defineSystem } from ${JSON.stringify(LIBRARY_URL)};

const recorder = setup({
  types: {} as { context: { items: string[] }; events: { type: 'item.added'; name: string } },
}).createMachine({
  context: { items: [] },
  on: {
    'item.added': {
      actions: [
        assign({ items: ({ context, event }) => [...context.items, event.name] }),
        emit(({ event }) => ({ type: 'item.recorded', name: event.name })),
      ],
    },
  },
});

const tally = setup({ types: {} as { context: { total: number }; events: { type: 'item.recorded' } } }).createMachine({
  context: { total: 0 },
  on: { 'item.recorded': { actions: assign({ total: ({ context }) => context.total + 1 }) } },
});

export default defineSystem({
  leaseTtlMs: 3000,
  components: [
    defineComponent({ name: 'recorder', logic: recorder, subscribe: 'items.*', key: true }),
    defineComponent({ name: 'tally', logic: tally, subscribe: 'item.recorded' }),
  ],
  ${main === undefined ? '' : `async main(system) {\n${main}\n  },`}
});
`;
}

/** A producer process: publishes one `item.added` per name (keyed by its first letter), prints the seqs, exits. */
const PRODUCER = `
import { startWorker } from ${JSON.stringify(LIBRARY_URL)};

const [url, ...names] = process.argv.slice(2);
const producer = await startWorker({ db: 'producer.db', nats: { servers: url }, components: [] });
const seqs = [];
for (const name of names) seqs.push((await producer.publish('items.added', { type: 'item.added', name }, { key: name.slice(0, 1) })).seq);
console.log(JSON.stringify(seqs));
await producer.stop();
`;

let workspace: Workspace;
let nats: NatsServer;

beforeEach(async () => {
  workspace = createWorkspace();
  workspace.write('system.ts', clusterModule());
  workspace.write('producer.ts', PRODUCER);
  nats = await startNatsServer();
});

afterEach(async () => {
  await nats.stop();
  workspace.remove();
});
// After the hooks above: children end before the server stops and their directory is removed.
const children = useChildren();

/** Starts a long-running `recq` command and resolves once it has printed its ready line. */
async function serve(args: readonly string[]): Promise<Child> {
  const started = children.start(recqCommand(args, workspace.dir));
  await started.waitFor(/stop with Ctrl-C\n/, 'the ready line', { stream: 'stderr' });
  return started;
}

async function produce(...names: string[]): Promise<number[]> {
  const outcome = await children.start(scriptCommand('producer.ts', [nats.url, ...names], workspace.dir)).exited;
  expect(outcome.stderr).toBe('');
  expect(outcome.code).toBe(0);
  return JSON.parse(outcome.stdout) as number[];
}

async function status(): Promise<ClusterStatus> {
  const outcome = await recq(['status', '--nats', nats.url, '--json'], workspace.dir);
  expect(outcome.stderr).toBe('');
  expect(outcome.code).toBe(0);
  return JSON.parse(outcome.stdout) as ClusterStatus;
}

/**
 * Waits until worker-1 has committed every one of `recorded` items and their tally to its own
 * file, then asks `recq status --nats` until `done` holds for its answer (the status gathers
 * what the supervisor and the workers report, which may trail the commit briefly).
 */
async function statusWhen(recorded: number, done: (status: ClusterStatus) => boolean): Promise<ClusterStatus> {
  const file = join(workspace.dir, 'worker-1.db');
  // Each item is one items.added and one item.recorded, and the tally consumes the last of them.
  const tallied = () => readTables(file, { consumers: ['consumer', 'offset'] }).consumers.find((c) => c.consumer === 'tally')?.offset;
  await untilStored(file, () => (tallied() === 2 * recorded ? true : undefined), `worker-1 committing the tally of ${recorded} items`, STATUS_DEADLINE_MS);
  const deadline = Date.now() + STATUS_DEADLINE_MS;
  for (;;) {
    const current = await status();
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`the cluster did not reach the expected state; last status:\n${JSON.stringify(current, null, 2)}`);
  }
}

async function events(...args: string[]): Promise<Envelope[]> {
  const outcome = await recq(['events', '--nats', nats.url, '--json', ...args], workspace.dir);
  expect(outcome.stderr).toBe('');
  expect(outcome.code).toBe(0);
  return outcome.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Envelope);
}

const lastSeqOf = (log: readonly Envelope[], topic: string) => Math.max(0, ...log.filter((e) => e.topic === topic).map((e) => e.seq));

/** Every consumer has applied everything routed to it, and the tally has counted `recorded` items. */
const caughtUp = (recorded: number) => (s: ClusterStatus) =>
  s.head === 2 * recorded && s.consumers.length === 2 && s.consumers.every((c) => c.lastRouted !== null && c.offset === c.lastRouted);

describe('recq supervisor, worker, status --nats and events --nats', () => {
  it('a worker processes what a producer publishes; status shows routes, leases, offsets and the connection; events lists by topic', async () => {
    await serve(['supervisor', '--nats', nats.url, '--db', 'sss.db']);
    await serve(['worker', 'system.ts', '--nats', nats.url, '--db', 'worker-1.db', '--owner', 'worker-1']);
    const seqs = await produce('apple', 'avocado', 'banana');

    const settled = await statusWhen(3, caughtUp(3));
    const log = await events();
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(settled).toMatchObject({ nats: nats.url, namespace: 'recq', head: 6, log: { expired: false }, supervisor: 'leading' });
    expect(settled.consumers).toEqual([
      {
        consumer: 'recorder',
        lastRouted: lastSeqOf(log, 'items.added'),
        lease: { owner: 'worker-1', epoch: 1, expiresAt: expect.any(Number), expiresInMs: expect.any(Number), expired: false },
        reportedBy: 'worker-1',
        offset: lastSeqOf(log, 'items.added'),
        lag: 0,
        hostState: 'live',
        activeActors: 2,
        storedActors: 2,
        deadLetters: 0,
      },
      {
        consumer: 'tally',
        lastRouted: lastSeqOf(log, 'item.recorded'),
        lease: { owner: 'worker-1', epoch: 1, expiresAt: expect.any(Number), expiresInMs: expect.any(Number), expired: false },
        reportedBy: 'worker-1',
        offset: lastSeqOf(log, 'item.recorded'),
        lag: 0,
        hostState: 'live',
        activeActors: 1,
        storedActors: 1,
        deadLetters: 0,
      },
    ]);
    expect(settled.workers).toEqual([
      {
        owner: 'worker-1',
        connection: { state: 'connected', since: expect.any(Number), reconnects: 0 },
        consumers: [expect.objectContaining({ consumer: 'recorder', lag: 0 }), expect.objectContaining({ consumer: 'tally', lag: 0 })],
      },
    ]);

    const items = await events('--topic', 'items.*');
    expect(items.map((e) => [e.seq, e.key, e.event])).toEqual([
      [seqs[0], 'a', { type: 'item.added', name: 'apple' }],
      [seqs[1], 'a', { type: 'item.added', name: 'avocado' }],
      [seqs[2], 'b', { type: 'item.added', name: 'banana' }],
    ]);
    const recorded = log.filter((e) => e.topic === 'item.recorded');
    expect(recorded.map((e) => e.event)).toEqual(['apple', 'avocado', 'banana'].map((name) => ({ type: 'item.recorded', name })));
    const page = await events('--topic', 'item.recorded', '--after', String(recorded[0]?.seq), '--limit', '1');
    expect(page).toEqual([recorded[1]]);

    const text = await recq(['status', '--nats', nats.url], workspace.dir);
    expect(text.stdout).toMatch(/^recorder +\d+ +worker-1 +1 +expires in [\d.]+ s +\d+ +0 +live +2 +0$/m);
    expect(text.stdout).toMatch(/^worker-1 +connected +\S+Z +0 +recorder \(live\), tally \(live\)$/m);

    const following = children.start(recqCommand(['events', '--nats', nats.url, '--topic', 'items.*', '--follow'], workspace.dir));
    await following.waitFor(/"banana"\}\n/, 'the events already in the log');
    const [cherry] = await produce('cherry');
    await following.waitFor(new RegExp(`^${cherry}  .*"cherry"\\}$`, 'm'), 'the event produced after it started');
    following.kill('SIGINT');
    expect((await following.exited).code).toBe(0);
  });

  it('stops the supervisor and the worker cleanly on SIGTERM and SIGINT', async () => {
    const supervisor = await serve(['supervisor', '--nats', nats.url, '--db', 'sss.db']);
    const worker = await serve(['worker', 'system.ts', '--nats', nats.url, '--db', 'worker-1.db', '--components', 'tally']);
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    supervisor.kill('SIGINT');
    const outcome = await supervisor.exited;
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toBe(`recq: supervisor serving sss.db on ${nats.url} (namespace recq); stop with Ctrl-C\n`);
  });

  it('refuses --components naming a component the module does not define, listing the ones it does', async () => {
    const outcome = await recq(['worker', 'system.ts', '--nats', nats.url, '--db', 'worker.db', '--components', 'tally,nope'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('--components names a component system.ts does not define: "nope". Its components: recorder, tally');
  });

  it('fails naming the URL when no NATS server listens there', async () => {
    const url = nats.url;
    await nats.kill();
    for (const args of [
      ['status', '--nats', url],
      ['supervisor', '--nats', url, '--db', 'sss.db'],
    ]) {
      const outcome = await recq(args, workspace.dir);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(new RegExp(`^recq: Cannot connect to NATS at ${url.replaceAll('.', '\\.')}: `));
    }
  });

  it('recq run --nats runs supervisor and hosts in one process over NATS, prints main’s result and exits 0', async () => {
    const main = `
    for (const name of ['apple', 'avocado', 'banana']) await system.publish('items.added', { type: 'item.added', name }, { key: name.slice(0, 1) });
    await system.settled();
    const tally = await system.query('tally');
    const a = await system.query('recorder', 'a');
    console.log(JSON.stringify({ role: system.role, total: tally.context.total, a: a.context.items }));`;
    const module = workspace.write('one-process.ts', clusterModule(main));
    const outcome = await recq(['run', module, '--nats', nats.url, '--namespace', 'solo', '--db', 'all.db'], workspace.dir);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual({ role: 'all', total: 3, a: ['apple', 'avocado'] });
    const log = await recq(['events', '--db', 'all.db', '--topic', 'item.recorded'], workspace.dir);
    expect(log.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('a worker logs the NATS server going away and coming back, then reports connected and processes new events', async () => {
    const supervisor = await serve(['supervisor', '--nats', nats.url, '--db', 'sss.db']);
    const worker = await serve(['worker', 'system.ts', '--nats', nats.url, '--db', 'worker-1.db', '--owner', 'worker-1']);
    await produce('apple');
    await statusWhen(1, caughtUp(1));

    const server = { server: `127.0.0.1:${nats.port}` };
    await nats.kill();
    await worker.waitFor(jsonLogLine('warn', 'NATS disconnected; reconnecting', server), 'the worker logging the loss', { stream: 'stderr' });
    await nats.restart();
    await worker.waitFor(jsonLogLine('warn', 'NATS reconnected', server), 'the worker logging the reconnect', { stream: 'stderr' });
    await supervisor.waitFor(jsonLogLine('warn', 'NATS reconnected', {}), 'the supervisor logging the reconnect', { stream: 'stderr' });

    await produce('banana', 'cherry');
    const after = await statusWhen(3, caughtUp(3));
    expect(after.workers).toEqual([
      expect.objectContaining({ owner: 'worker-1', connection: { state: 'connected', since: expect.any(Number), reconnects: 1 } }),
    ]);
    expect(after.consumers.map((c) => [c.consumer, c.lag, c.hostState])).toEqual([
      ['recorder', 0, 'live'],
      ['tally', 0, 'live'],
    ]);
    const stderr = (await stop(worker)).stderr;
    expect(stderr.match(/NATS disconnected/g)).toHaveLength(1);
    expect(stderr.match(/NATS reconnected/g)).toHaveLength(1);
  });
});

async function stop(started: Child) {
  started.kill('SIGTERM');
  const outcome = await started.exited;
  expect(outcome.code).toBe(0);
  return outcome;
}
