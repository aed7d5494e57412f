import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, LIBRARY_URL, recq, type Workspace } from './recq-process.ts';

/** A counter whose version 2 (while the file ./v2 exists) no longer has the state `archived`. */
const COUNTER = `
import { existsSync } from 'node:fs';
import { assign, setup } from 'xstate';
import { defineComponent } from ${JSON.stringify(LIBRARY_URL)};

const v2 = existsSync(new URL('./v2', import.meta.url));
const base = setup({ types: {} as { context: { count: number }; events: { type: 'add'; amount: number } | { type: 'archive' } } });
const add = { actions: assign({ count: ({ context, event }) => context.count + (event.type === 'add' ? event.amount : 0) }) };
const machine = v2
  ? base.createMachine({ context: { count: 0 }, initial: 'counting', states: { counting: { on: { add } } } })
  : base.createMachine({ context: { count: 0 }, initial: 'counting', states: { counting: { on: { add, archive: 'archived' } }, archived: {} } });

export const counter = defineComponent({ name: 'counter', logic: machine, subscribe: 'counts.*', version: 'x' });
`;

const SEED = `
import { defineSystem } from ${JSON.stringify(LIBRARY_URL)};
import { counter } from './counter.ts';
export default defineSystem({
  components: [counter],
  async main(system) {
    await system.publish('counts.a', { type: 'add', amount: 1 });
    await system.publish('counts.a', { type: 'add', amount: 2 });
    await system.publish('counts.x', { type: 'archive' });
    await system.settled();
  },
});
`;

const SHOW = `
import { defineSystem } from ${JSON.stringify(LIBRARY_URL)};
import { counter } from './counter.ts';
export default defineSystem({
  components: [counter],
  async main(system) {
    await system.settled();
    const view = await system.query('counter');
    console.log(JSON.stringify({ value: view.value, count: view.context.count }));
  },
});
`;

describe('recq replay offline, commands, query and publish on a file', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = createWorkspace();
    workspace.write('counter.ts', COUNTER);
    workspace.write('seed.ts', SEED);
    workspace.write('show.ts', SHOW);
    expect(await recq(['run', 'seed.ts'], workspace.dir)).toMatchObject({ code: 0 });
  }, 30_000);
  afterAll(() => workspace?.remove());

  it('reads an actor from the file with recq query', async () => {
    const out = await recq(['query', 'counter', '--json'], workspace.dir);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout)).toMatchObject({ component: 'counter', value: 'archived', context: { count: 3 }, seq: 3 });
  });

  it('lists a queued command with its age, and cancels it', async () => {
    const queued = await recq(['pause', 'counter'], workspace.dir);
    expect(queued.stdout).toMatch(/^Queued command (\d+): pause consumer counter\. No system is running consumer counter now/);
    const listed = JSON.parse((await recq(['commands', '--json'], workspace.dir)).stdout) as { id: number; command: string; ageMs: number; takenBy: null }[];
    expect(listed).toMatchObject([{ consumer: 'counter', command: 'pause', takenBy: null }]);
    expect(listed[0]?.ageMs).toBeGreaterThanOrEqual(0);
    const id = listed[0]?.id as number;
    expect(await recq(['commands', 'cancel', String(id)], workspace.dir)).toMatchObject({
      code: 0,
      stdout: `Cancelled command ${id}: pause for consumer counter; it will not run.\n`,
    });
    expect((await recq(['commands', 'cancel', String(id)], workspace.dir)).stderr).toMatch(/Command \d+ cannot be cancelled: it ended \(cancelled/);
    expect((await recq(['commands'], workspace.dir)).stdout).toMatch(/^No commands queued in /);
  });

  it('fails a consumer whose snapshot no longer fits without restarting it; replay resets it offline and it rebuilds from the log', async () => {
    writeFileSync(join(workspace.dir, 'v2'), '');
    const failed = await recq(['run', 'show.ts'], workspace.dir);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/"archived"/);
    expect(failed.stderr).not.toMatch(/restarting in/);

    const replay = await recq(['replay', 'counter', '--yes'], workspace.dir);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toBe('consumer counter was reset offline: its actors are forgotten and its offset is 0, so the next start rebuilds it from seq 1.\n');

    const published = await recq(['publish', 'counts.b', '{"type":"add","amount":5}', '--id', 'five'], workspace.dir);
    expect(published).toMatchObject({ code: 0, stdout: 'Published: seq 4, id five.\n' });
    expect((await recq(['publish', 'counts.b', '{"type":"add","amount":5}', '--id', 'five'], workspace.dir)).stdout).toBe(
      'Already in the log: seq 4, id five.\n',
    );

    const rebuilt = await recq(['run', 'show.ts'], workspace.dir);
    expect(rebuilt).toMatchObject({ code: 0 });
    expect(JSON.parse(rebuilt.stdout.trim())).toEqual({ value: 'counting', count: 8 });
  }, 30_000);
});
