import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/css/consumer-store.ts';
import type { Envelope } from '../../src/envelope.ts';
import type { StoreStatus } from '../../src/operator/store-reader.ts';
import { type Child, type ChildOutcome, useChildren } from '../support/child-process.ts';
import { readTables } from '../support/tables.ts';
import { untilStored } from '../support/until-stored.ts';
import { createWorkspace, LIBRARY_URL, recq, recqCommand, type Workspace } from './recq-process.ts';

/** A `jobs` component that records the names of the jobs it ran; job "bad" fails for good while the file `broken` exists. */
const JOBS = `
import { existsSync } from 'node:fs';
import { assign, setup } from 'xstate';
import { defineComponent, PermanentError } from ${JSON.stringify(LIBRARY_URL)};

const broken = new URL('./broken', import.meta.url);
const machine = setup({ types: {} as { context: { done: string[] }; events: { type: 'run'; name: string } } }).createMachine({
  context: { done: [] },
  on: {
    run: {
      actions: [
        ({ event }) => {
          if (event.name === 'bad' && existsSync(broken)) throw new PermanentError('job bad cannot run while ./broken exists');
        },
        assign({ done: ({ context, event }) => [...context.done, event.name] }),
      ],
    },
  },
});

export const jobs = defineComponent({ name: 'jobs', logic: machine, subscribe: 'jobs.*' });
`;

/** Publishes jobs a, bad and c (seqs 1-3), then stops. */
const SEED = `
import { defineSystem } from ${JSON.stringify(LIBRARY_URL)};
import { jobs } from './jobs.ts';

export default defineSystem({
  components: [jobs],
  async main(system) {
    for (const name of ['a', 'bad', 'c']) await system.publish('jobs.run', { type: 'run', name });
    await system.settled();
  },
});
`;

/** Runs the jobs until SIGTERM. A short lease makes the heartbeat, and so each command's delivery, quick. */
const SERVICE = `
import { defineSystem } from ${JSON.stringify(LIBRARY_URL)};
import { jobs } from './jobs.ts';

export default defineSystem({ components: [jobs], leaseTtlMs: 1500 });
`;

/** A workspace whose log holds jobs a, bad and c, with "bad" parked as dead letter 1. */
async function seededWorkspace(): Promise<Workspace> {
  const workspace = createWorkspace();
  workspace.write('jobs.ts', JOBS);
  workspace.write('seed.ts', SEED);
  workspace.write('service.ts', SERVICE);
  workspace.write('broken', '');
  const seeded = await recq(['run', 'seed.ts'], workspace.dir);
  if (seeded.code !== 0) throw new Error(`could not seed the log: ${seeded.stderr}`);
  return workspace;
}

const children = useChildren();

async function startService(workspace: Workspace): Promise<Child> {
  const service = children.start(recqCommand(['run', 'service.ts'], workspace.dir));
  await service.waitFor(/stop with Ctrl-C/, 'the ready line', { stream: 'stderr' });
  return service;
}

async function stopService(service: Child): Promise<void> {
  service.kill('SIGTERM');
  const outcome = await service.exited;
  expect(outcome.code).toBe(0);
}

async function json<T>(args: readonly string[], dir: string): Promise<T> {
  const outcome = await recq([...args, '--json'], dir);
  expect(outcome.stderr).toBe('');
  return JSON.parse(outcome.stdout) as T;
}

const letters = (dir: string) => json<(DeadLetter & { component: string; event: unknown })[]>(['dlq', 'list'], dir);
const hostState = async (dir: string) => (await json<StoreStatus>(['status'], dir)).consumers[0]?.hostState;

const dbOf = (dir: string) => join(dir, 'recq.db');

/** Waits until the running system has committed the jobs host's state as `state`; `recq status` must then show it. */
async function expectHostState(dir: string, state: string): Promise<void> {
  const stored = () => readTables(dbOf(dir), { consumers: ['consumer', 'host_state'] }).consumers.find((c) => c.consumer === 'jobs')?.host_state;
  await untilStored(dbOf(dir), () => (stored() === state ? true : undefined), `the jobs host ${state}`);
  expect(await hostState(dir)).toBe(state);
}

/** The jobs actor's context and the consumer's offset, read straight from the file. */
function storedJobs(dir: string): { done: string[]; offset: number } | undefined {
  const db = new Database(dbOf(dir), { readonly: true });
  try {
    const row = db.prepare("SELECT snapshot FROM snapshots WHERE consumer = 'jobs' AND key = ''").pluck().get() as string | undefined;
    const offset = db.prepare('SELECT "offset" FROM consumers WHERE consumer = \'jobs\'').pluck().get() as number;
    return row === undefined ? undefined : { done: (JSON.parse(row) as { context: { done: string[] } }).context.done, offset };
  } finally {
    db.close();
  }
}

describe('recq dlq, pause, resume and replay against a running system', () => {
  // The tests run in order on one system: the retry changes what the replay rebuilds.
  let workspace: Workspace;
  let service: Child;
  beforeAll(async () => {
    workspace = await seededWorkspace();
    service = await startService(workspace);
  });
  afterAll(async () => {
    await stopService(service);
    workspace.remove();
  });

  it('lists the parked event, and shows it in full with its event and stack', async () => {
    expect(await letters(workspace.dir)).toEqual([
      {
        id: 1,
        consumer: 'jobs',
        component: 'jobs',
        seq: 2,
        eventId: expect.any(String),
        topic: 'jobs.run',
        event: { type: 'run', name: 'bad' },
        error: 'job bad cannot run while ./broken exists',
        stack: expect.stringMatching(/^PermanentError: job bad cannot run while \.\/broken exists\n {4}at /),
        attempts: 1,
        firstFailedAt: expect.any(Number),
        lastFailedAt: expect.any(Number),
        status: 'parked',
      },
    ]);

    const table = await recq(['dlq', 'list'], workspace.dir);
    expect(table.stdout.split('\n')[0]).toBe('id  component  seq  key  attempts  status  last failed               error');
    expect(table.stdout.split('\n')[1]).toMatch(/^ 1 {2}jobs {9}2 {2}- {11}1 {2}parked {2}\S+Z {2}job bad cannot run while \.\/broken exists$/);

    const shown = await recq(['dlq', 'show', '1'], workspace.dir);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^dead letter {3}1\nstatus {8}parked\ncomponent {5}jobs\nseq {11}2\n/);
    expect(shown.stdout).toContain(
      '\n\nevent\n{\n  "type": "run",\n  "name": "bad"\n}\n\nstack\nPermanentError: job bad cannot run while ./broken exists\n    at ',
    );
    expect(shown.stdout).toContain('Retry it with "recq dlq retry 1", or skip it with "recq dlq skip 1".');
    expect(await json(['dlq', 'show', '1'], workspace.dir)).toMatchObject({ id: 1, event: { type: 'run', name: 'bad' }, stack: expect.any(String) });
  });

  it('retries the letter once the cause is gone and prints the outcome the running system recorded', async () => {
    expect(storedJobs(workspace.dir)?.done).toEqual(['a', 'c']);
    rmSync(join(workspace.dir, 'broken'));
    const retry = await recq(['dlq', 'retry', '1'], workspace.dir);
    expect(retry.stderr).toBe('');
    expect(retry).toMatchObject({ code: 0, stdout: 'Dead letter 1 retried: seq 2 was applied to jobs on attempt 2.\n' });
    // Applied against the actor's state at the time of the retry: after c.
    expect(storedJobs(workspace.dir)?.done).toEqual(['a', 'c', 'bad']);
    expect(await letters(workspace.dir)).toMatchObject([{ id: 1, status: 'retried', attempts: 2 }]);

    const again = await recq(['dlq', 'retry', '1'], workspace.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('recq: Cannot retry dead letter 1: it is retried already; only parked or blocking letters can be retried.\n');
  });

  it('pauses and resumes the consumer; status shows the host paused, then live', async () => {
    const pause = await recq(['pause', 'jobs'], workspace.dir);
    expect(pause).toMatchObject({ code: 0, stderr: '' });
    expect(pause.stdout).toBe('consumer jobs paused: it stops after its current batch. "recq resume jobs" to go on.\n');
    await expectHostState(workspace.dir, 'paused');

    const resume = await recq(['resume', 'jobs'], workspace.dir);
    expect(resume).toMatchObject({ code: 0, stdout: 'consumer jobs resumed.\n' });
    await expectHostState(workspace.dir, 'live');
  });

  it('with --wait 0, queues the command for the running system without waiting for it', async () => {
    const pause = await recq(['pause', 'jobs', '--wait', '0'], workspace.dir);
    expect(pause).toMatchObject({ code: 0, stderr: '' });
    expect(pause.stdout).toMatch(/^Queued command \d+: pause consumer jobs\. \S+ runs consumer jobs and applies it within one heartbeat\.\n$/);
    await expectHostState(workspace.dir, 'paused');
    expect((await recq(['resume', 'jobs'], workspace.dir)).code).toBe(0);
    await expectHostState(workspace.dir, 'live');
  });

  it('replays from seq 1 with --yes: the state is rebuilt in log order and the log is unchanged', async () => {
    const before = await recq(['events', '--json'], workspace.dir);
    const replay = await recq(['replay', 'jobs', '--from', '1', '--yes'], workspace.dir);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toBe('consumer jobs replays from seq 1: its actors are forgotten and rebuilt from the log.\n');

    // Before, bad came last (the retry); rebuilt from the log, it sits between a and c.
    const rebuilt = await untilStored(
      dbOf(workspace.dir),
      () => {
        const stored = storedJobs(workspace.dir);
        return stored?.offset === 3 && stored.done.length === 3 ? stored.done : undefined;
      },
      'the jobs consumer rebuilt to offset 3',
    );
    expect(rebuilt).toEqual(['a', 'bad', 'c']);
    const after = await recq(['events', '--json'], workspace.dir);
    expect(after.stdout).toBe(before.stdout);
    expect(
      after.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as Envelope).seq),
    ).toEqual([1, 2, 3]);
  });
});

describe('recq dlq skip and pause with no system running', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await seededWorkspace();
  });
  afterAll(() => workspace.remove());

  it('queues the commands and says so; the next recq run applies them', async () => {
    const skip = await recq(['dlq', 'skip', '1'], workspace.dir);
    expect(skip).toMatchObject({ code: 0, stderr: '' });
    expect(skip.stdout).toBe(
      `Queued command 1: skip dead letter 1. No system is running consumer jobs now; the command is applied when a system next starts on ${join(workspace.dir, 'recq.db')}.\n`,
    );
    const pause = await recq(['pause', 'jobs'], workspace.dir);
    expect(pause.stdout).toMatch(/^Queued command 2: pause consumer jobs\. /);
    expect(await letters(workspace.dir)).toMatchObject([{ id: 1, status: 'parked' }]);

    const service = await startService(workspace);
    try {
      const letter = () => readTables(dbOf(workspace.dir), { dead_letters: ['id', 'status'] }).dead_letters[0];
      await untilStored(dbOf(workspace.dir), () => (letter()?.status === 'skipped' ? true : undefined), 'dead letter 1 skipped');
      await expectHostState(workspace.dir, 'paused');
    } finally {
      await stopService(service);
    }
    expect(await letters(workspace.dir)).toMatchObject([{ id: 1, status: 'skipped', attempts: 1 }]);
  });
});

describe('control commands refuse what does not fit, changing nothing', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await seededWorkspace();
  });
  afterAll(() => workspace.remove());

  const queuedCommands = () => {
    const db = new Database(join(workspace.dir, 'recq.db'), { readonly: true });
    try {
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'consumer_commands'").get() !== undefined;
      return exists ? (db.prepare('SELECT COUNT(*) FROM consumer_commands').pluck().get() as number) : 0;
    } finally {
      db.close();
    }
  };
  const refused = (outcome: ChildOutcome, code: number, stderr: string | RegExp) => {
    expect(outcome.code).toBe(code);
    expect(outcome.stdout).toBe('');
    if (typeof stderr === 'string') expect(outcome.stderr).toBe(stderr);
    else expect(outcome.stderr).toMatch(stderr);
  };

  it('refuses replay without --yes when stdin is not a terminal, with exit code 2', async () => {
    refused(
      await recq(['replay', 'jobs', '--from', '1'], workspace.dir),
      2,
      'recq: This forgets every actor of jobs and rebuilds it from seq 1. stdin is not a terminal, so recq cannot ask: pass --yes to confirm\nRun "recq replay --help" for usage.\n',
    );
    refused(await recq(['replay', 'jobs', '--from', '0', '--yes'], workspace.dir), 2, /^recq: --from expects a seq \(a whole number ≥ 1\), got "0"\n/);
    refused(
      await recq(['replay', 'jobs', '--from', '9', '--yes'], workspace.dir),
      1,
      'recq: Cannot replay jobs from seq 9: the log ends at seq 3, so the consumer would skip every event up to 8.\n',
    );
    expect(queuedCommands()).toBe(0);
  });

  it('refuses an unknown component, listing the consumers the file holds', async () => {
    for (const args of [
      ['pause', 'orders'],
      ['resume', 'orders'],
      ['replay', 'orders', '--yes'],
      ['dlq', 'list', '--component', 'orders'],
    ]) {
      refused(await recq(args, workspace.dir), 1, 'recq: Unknown component "orders". Components in this system: jobs.\n');
    }
    expect(queuedCommands()).toBe(0);
  });

  it('refuses an unknown or malformed dead letter id', async () => {
    refused(
      await recq(['dlq', 'retry', '7'], workspace.dir),
      1,
      'recq: Cannot retry dead letter 7: there is no dead letter 7. List them with "recq dlq list".\n',
    );
    refused(await recq(['dlq', 'skip', '7'], workspace.dir), 1, /^recq: Cannot skip dead letter 7: there is no dead letter 7\./);
    refused(await recq(['dlq', 'show', '7'], workspace.dir), 1, 'recq: There is no dead letter 7. List them with "recq dlq list".\n');
    refused(await recq(['dlq', 'retry', 'one'], workspace.dir), 2, /^recq: <id> must be a dead letter id \(a whole number ≥ 1\), got "one"\n/);
    refused(
      await recq(['dlq', 'list', '--status', 'lost'], workspace.dir),
      2,
      /^recq: --status must be one of parked, blocking, retried, skipped, got "lost"\n/,
    );
    expect(queuedCommands()).toBe(0);
  });

  it('never writes to a file that is not a recq database, nor creates a missing one', async () => {
    const other = new Database(join(workspace.dir, 'notes.db'));
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    const size = statSync(join(workspace.dir, 'notes.db')).size;
    refused(await recq(['pause', 'jobs', '--db', 'notes.db'], workspace.dir), 1, /^recq: .*notes\.db is not a recq database: .*Check --db\.\n$/);
    const check = new Database(join(workspace.dir, 'notes.db'), { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['notes']);
    check.close();
    expect(statSync(join(workspace.dir, 'notes.db')).size).toBe(size);

    refused(await recq(['dlq', 'skip', '1', '--db', 'missing.db'], workspace.dir), 1, /^recq: No database at .*missing\.db\./);
    expect(existsSync(join(workspace.dir, 'missing.db'))).toBe(false);
  });
});
