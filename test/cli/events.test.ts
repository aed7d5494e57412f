import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPromise, setup } from 'xstate';
import type { Envelope } from '../../src/envelope.ts';
import { createSystem, defineComponent, type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { useChildren } from '../support/child-process.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { createWorkspace, PUBLISH_THREE, recq, recqCommand, systemModule, type Workspace } from './recq-process.ts';

const workspace: Workspace = createWorkspace();
afterAll(() => workspace.remove());
const children = useChildren();
// One log for every test: counts.a (seq 1), counts.b with key k (seq 2), other.x (seq 3).
beforeAll(async () => {
  const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
  const outcome = await recq(['run', module], workspace.dir);
  if (outcome.code !== 0) throw new Error(`could not seed the log: ${outcome.stderr}`);
});

const envelopes = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Envelope);

describe('recq events', () => {
  it('lists exactly the events whose topic matches --topic, in seq order', async () => {
    const outcome = await recq(['events', '--topic', 'counts.*', '--json'], workspace.dir);
    expect(outcome.code).toBe(0);
    expect(envelopes(outcome.stdout)).toEqual([
      { seq: 1, id: expect.any(String), topic: 'counts.a', time: expect.any(Number), event: { type: 'add', amount: 1 } },
      { seq: 2, id: expect.any(String), topic: 'counts.b', key: 'k', time: expect.any(Number), event: { type: 'add', amount: 2 } },
    ]);
  });

  it('lists an event matching any of several --topic patterns once', async () => {
    const outcome = await recq(['events', '--topic', 'other.>', '--topic', 'counts.b', '--topic', '*.b', '--json'], workspace.dir);
    expect(envelopes(outcome.stdout).map((e) => e.seq)).toEqual([2, 3]);
  });

  it('prints one line per event: seq, ISO time, topic, key, id, event JSON', async () => {
    const outcome = await recq(['events'], workspace.dir);
    const lines = outcome.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^1 {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}counts\.a {2}- {2}\S+ {2}\{"type":"add","amount":1\}$/);
    expect(lines[1]).toMatch(/^2 {2}\S+ {2}counts\.b {2}k {2}\S+ {2}\{"type":"add","amount":2\}$/);
  });

  it('starts after --after and stops at --limit', async () => {
    const outcome = await recq(['events', '--after', '1', '--limit', '1', '--json'], workspace.dir);
    expect(envelopes(outcome.stdout).map((e) => e.seq)).toEqual([2]);
  });

  it('refuses a bad pattern, naming it, with exit code 2', async () => {
    const outcome = await recq(['events', '--topic', 'counts.>.x'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain('Invalid subscription pattern "counts.>.x"');
  });

  it('refuses a --limit that is not a whole number with exit code 2', async () => {
    const outcome = await recq(['events', '--limit', '-1'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('--limit');
  });

  it('lists nothing for a database whose log does not exist yet', async () => {
    const db = workspace.write('empty.db', '');
    const outcome = await recq(['events', '--db', db], workspace.dir);
    expect(outcome).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('--follow prints events committed by another process, until SIGINT', async () => {
    const follow = children.start(recqCommand(['events', '--follow', '--json', '--topic', 'counts.*'], workspace.dir));
    try {
      await follow.waitFor(/"seq":2/, 'the events already in the log');
      const more = workspace.write(
        'more.ts',
        systemModule({ main: "    await system.publish('other.z', { type: 'noise' });\n    await system.publish('counts.z', { type: 'add', amount: 9 });" }),
      );
      expect((await recq(['run', more], workspace.dir)).code).toBe(0);
      await follow.waitFor(/"topic":"counts\.z"/, 'the event the other process committed');
    } finally {
      follow.kill('SIGINT');
    }
    const outcome = await follow.exited;
    expect(outcome.code).toBe(0);
    expect(envelopes(outcome.stdout).map((e) => [e.seq, e.topic])).toEqual([
      [1, 'counts.a'],
      [2, 'counts.b'],
      [5, 'counts.z'],
    ]);
  });
});

/** One actor per key that asks for a price: the quote's outcome is an input record on $input.pricer. */
const pricer = defineComponent({
  name: 'pricer',
  subscribe: 'prices.*',
  key: true,
  checkpoint: { maxDelayMs: 0 },
  logic: setup({ actors: { quote: fromPromise(async () => 42) } }).createMachine({
    initial: 'idle',
    states: { idle: { on: { ask: 'asking' } }, asking: { invoke: { src: 'quote', onDone: 'priced' } }, priced: {} },
  }),
});

/** prices.asked (key p1), its quote's outcome on $input.pricer, then other.x. */
async function askOnce(system: System, key: string): Promise<void> {
  await system.publish('prices.asked', { type: 'ask' }, { key });
  await system.waitFor('pricer', key, 'priced', { timeoutMs: 10_000 });
  await system.settled();
}

describe('recq events and input records', () => {
  const inputs = createWorkspace();
  afterAll(() => inputs.remove());
  // seq 1 prices.asked, seq 2 the quote's outcome on $input.pricer, seq 3 other.x.
  beforeAll(async () => {
    const system = await createSystem({ db: join(inputs.dir, 'recq.db'), components: [pricer], logger: silentLogger });
    await askOnce(system, 'p1');
    await system.publish('other.x', { type: 'noise' });
    await system.stop();
  });
  const listed = async (...args: string[]) => {
    const outcome = await recq(['events', '--json', ...args], inputs.dir);
    expect(outcome.stderr).toBe('');
    return envelopes(outcome.stdout).map((e) => [e.seq, e.topic]);
  };

  it('leaves input records out unless --inputs is given, which lists them in seq order with the rest', async () => {
    expect(await listed()).toEqual([
      [1, 'prices.asked'],
      [3, 'other.x'],
    ]);
    const all = await recq(['events', '--json', '--inputs'], inputs.dir);
    expect(envelopes(all.stdout)).toEqual([
      expect.objectContaining({ seq: 1, topic: 'prices.asked' }),
      expect.objectContaining({
        seq: 2,
        topic: '$input.pricer',
        key: 'p1',
        id: 'pricer/p1/1/invoke/0.(machine).asking/0/done',
        event: { type: 'recq.child.done', child: 'pricer/p1/1/invoke/0.(machine).asking/0', outcome: 'done', value: '42' },
      }),
      expect.objectContaining({ seq: 3, topic: 'other.x' }),
    ]);
    // --limit counts the events listed, not those left out.
    expect(await listed('--after', '1', '--limit', '1')).toEqual([[3, 'other.x']]);
  });

  it("lists one consumer's input records where --topic names their topic, and --inputs adds every input record to what the patterns match", async () => {
    expect(await listed('--topic', '$input.pricer')).toEqual([[2, '$input.pricer']]);
    expect(await listed('--topic', 'prices.*')).toEqual([[1, 'prices.asked']]);
    expect(await listed('--topic', 'prices.*', '--inputs')).toEqual([
      [1, 'prices.asked'],
      [2, '$input.pricer'],
    ]);
    const refused = await recq(['events', '--topic', '$input.*'], inputs.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('$input topics are read by name only');
  });

  describe('over NATS', () => {
    let nats: NatsServer;
    let supervisor: System;
    let worker: System;
    beforeAll(async () => {
      nats = await startNatsServer();
      const options = { nats: { servers: nats.url, namespace: 'inputs' }, leaseTtlMs: 3_000, logger: silentLogger };
      supervisor = await startSupervisor({ ...options, db: join(inputs.dir, 'sss.db') });
      worker = await startWorker({ ...options, db: join(inputs.dir, 'worker.db'), components: [pricer], owner: 'worker-1' });
      await askOnce(worker, 'p1');
    });
    afterAll(async () => {
      await worker?.stop();
      await supervisor?.stop();
      await nats?.stop();
    });

    it('leaves input records out unless --inputs is given, and --follow --inputs prints new ones as they are committed', async () => {
      const remote = ['--nats', nats.url, '--namespace', 'inputs'];
      expect(await listed(...remote)).toEqual([[1, 'prices.asked']]);
      expect(await listed(...remote, '--inputs')).toEqual([
        [1, 'prices.asked'],
        [2, '$input.pricer'],
      ]);
      const follow = children.start(recqCommand(['events', ...remote, '--inputs', '--follow', '--json', '--after', '2'], inputs.dir));
      try {
        await follow.waitFor(/waiting for new events after seq 2/, 'the follow to start', { stream: 'stderr' });
        await askOnce(worker, 'p2');
        await follow.waitFor(/"topic":"\$input\.pricer"/, "the second quote's outcome");
      } finally {
        follow.kill('SIGINT');
      }
      const outcome = await follow.exited;
      expect(outcome.code).toBe(0);
      expect(envelopes(outcome.stdout).map((e) => [e.seq, e.topic, e.key])).toEqual([
        [3, 'prices.asked', 'p2'],
        [4, '$input.pricer', 'p2'],
      ]);
    });
  });
});
