import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { recorder } from '../invariants/fixtures.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { TempDir } from '../support/temp-dir.ts';
import { untilView } from '../support/until-view.ts';
import { createWorkspace, recq, type Workspace } from './recq-process.ts';

/** Operators reach a running cluster with --nats: the CLI runs in its own process, the supervisor and the worker in this one. */
describe('operator commands over NATS', () => {
  let nats: NatsServer;
  let files: TempDir;
  let workspace: Workspace;
  let supervisor: System;
  let worker: System;
  const ns = ['--namespace', 'ops'];

  beforeAll(async () => {
    nats = await startNatsServer();
    files = new TempDir();
    workspace = createWorkspace();
    const options = { nats: { servers: nats.url, namespace: 'ops' }, leaseTtlMs: 3_000, logger: silentLogger };
    supervisor = await startSupervisor({ ...options, db: files.file('sss.db') });
    worker = await startWorker({ ...options, db: files.file('worker.db'), components: [recorder()], owner: 'worker-1' });
  });
  afterAll(async () => {
    await worker?.stop();
    await supervisor?.stop();
    await nats?.stop();
    workspace?.remove();
    files?.remove();
  });

  const cli = (args: string[]) => recq([...args, '--nats', nats.url, ...ns], workspace.dir);

  it('publishes through the supervisor and queries the worker', async () => {
    const published = await cli(['publish', 'inv.a', JSON.stringify({ type: 'add', amount: 2 }), '--key', 'k1', '--id', 'op-1']);
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    await worker.settled();
    const queried = await cli(['query', 'recorder', 'k1', '--json']);
    expect(queried.code).toBe(0);
    expect(JSON.parse(queried.stdout)).toMatchObject({ component: 'recorder', key: 'k1', context: { sum: 2 } });
  });

  it('pauses and resumes the consumer on its worker', async () => {
    expect((await cli(['pause', 'recorder'])).code).toBe(0);
    await untilView(worker, (view) => (view.consumers.recorder?.hostState === 'paused' ? true : undefined), 'the consumer paused');
    await worker.publish('inv.a', { type: 'add', amount: 3 }, { key: 'k1' });
    expect((await cli(['resume', 'recorder'])).code).toBe(0);
    await worker.settled();
    expect((await worker.query('recorder', 'k1')).context).toMatchObject({ sum: 5 });
  });

  it('shows a dead letter in status --nats and skips it on the worker', async () => {
    // A keyed component cannot place an event without a key: it is parked at once.
    await worker.publish('inv.a', { type: 'add', amount: 100 });
    await worker.settled();
    const [letter] = worker.deadLetters('recorder', 'parked');
    expect(letter?.id).toEqual(expect.any(Number));
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { consumers: { consumer: string; deadLetters: number | null }[] };
    expect(status.consumers.find((c) => c.consumer === 'recorder')?.deadLetters).toBe(1);
    const listed = await cli(['dlq', 'list', '--component', 'recorder', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: letter?.id, component: 'recorder', seq: letter?.seq, status: 'parked' }]);
    const skipped = await cli(['dlq', 'skip', String(letter?.id), '--component', 'recorder']);
    expect(skipped.code).toBe(0);
    expect(worker.deadLetters('recorder').map((l) => l.status)).toEqual(['skipped']);
    const parked = await cli(['dlq', 'list', '--component', 'recorder', '--status', 'parked']);
    expect(parked.stdout).toBe('No dead letters.\n');
    const unnamed = await cli(['dlq', 'list']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('over --nats, name the component whose worker to ask with --component C');
  });

  it('replays the consumer on its worker to the same state', async () => {
    const before = (await worker.query('recorder', 'k1')).context;
    const replayed = await cli(['replay', 'recorder', '--from', '1', '--yes']);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/replays from seq 1/);
    await worker.settled();
    expect((await worker.query('recorder', 'k1')).context).toEqual(before);
  });
});
