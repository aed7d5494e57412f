import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreStatus } from '../../src/operator/store-reader.ts';
import { useChildren } from '../support/child-process.ts';
import { createWorkspace, PUBLISH_THREE, recq, recqCommand, systemModule, type Workspace } from './recq-process.ts';

let workspace: Workspace;
beforeEach(() => {
  workspace = createWorkspace();
});
afterEach(() => workspace.remove());
// After the workspace's hooks: children end before their directory is removed.
const children = useChildren();

async function status(db: string): Promise<StoreStatus> {
  const outcome = await recq(['status', '--db', db, '--json'], workspace.dir);
  expect(outcome.stderr).toBe('');
  return JSON.parse(outcome.stdout) as StoreStatus;
}

describe('recq run', () => {
  it('runs main with the args after --, stops the system and exits 0, leaving it checkpointed', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    const outcome = await recq(['run', module, '--db', 'app.db', '--', 'a', '--b'], workspace.dir);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual({ db: 'app.db', args: ['a', '--b'], count: 3 });

    const after = await status('app.db');
    expect(after.head).toBe(3);
    expect(after.consumers).toEqual([
      expect.objectContaining({ consumer: 'counter', component: 'counter', offset: 2, head: 3, lag: 0, storedActors: 1, hostState: 'stopped', deadLetters: 0 }),
    ]);
    expect(after.leases.map((l) => l.expired)).toEqual([true, true]);
  });

  it('uses ./recq.db when no --db is given', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    expect((await recq(['run', module], workspace.dir)).code).toBe(0);
    expect(existsSync(join(workspace.dir, 'recq.db'))).toBe(true);
    expect((await status('recq.db')).head).toBe(3);
  });

  it('loads a TypeScript module that lives outside an ESM package', async () => {
    const plain = createWorkspace({ esm: false });
    try {
      const module = plain.write('system.ts', systemModule({ main: PUBLISH_THREE }));
      const outcome = await recq(['run', module], plain.dir);
      expect(outcome.stderr).toBe('');
      expect(JSON.parse(outcome.stdout)).toMatchObject({ count: 3 });
    } finally {
      plain.remove();
    }
  });

  it('--fresh deletes the database first, so the log starts empty again', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    expect((await recq(['run', module, '--db', 'app.db'], workspace.dir)).code).toBe(0);
    expect((await recq(['run', module, '--db', 'app.db'], workspace.dir)).code).toBe(0);
    expect((await status('app.db')).head).toBe(6);

    const fresh = await recq(['run', module, '--db', 'app.db', '--fresh'], workspace.dir);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ count: 3 });
    expect((await status('app.db')).head).toBe(3);
  });

  it('--fresh refuses to delete a file that is not a recq database', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    workspace.write('notes.db', 'not sqlite at all, and not to be deleted');
    const outcome = await recq(['run', module, '--db', 'notes.db', '--fresh'], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: --fresh refuses to delete .*notes\.db: /);
    expect(existsSync(join(workspace.dir, 'notes.db'))).toBe(true);
  });

  it('reports a module without a default export by name, without a stack trace', async () => {
    const module = workspace.write('no-default.ts', 'export const components = [];\n');
    const outcome = await recq(['run', module], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: no-default\.ts has no default export\. .*defineSystem/);
    expect(outcome.stderr).not.toContain('    at ');
  });

  it('reports a default export that is not a system definition', async () => {
    const module = workspace.write('wrong.ts', "export default { components: 'orders' };\n");
    const outcome = await recq(['run', module], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: The default export of wrong\.ts is not a system definition: /);
  });

  it('names the module when loading it fails with a RecqError', async () => {
    const source = systemModule({}).replace("subscribe: 'counts.*'", "subscribe: 'counts.>.x'");
    const module = workspace.write('bad-pattern.ts', source);
    const outcome = await recq(['run', module], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: bad-pattern\.ts failed to load: Invalid subscription pattern "counts\.>\.x"/);
  });

  it('reports a missing module file with the path it looked at', async () => {
    const outcome = await recq(['run', 'nowhere.ts'], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(join(workspace.dir, 'nowhere.ts'));
  });

  it('prints a RecqError from main as one line and exits 1, after stopping the system', async () => {
    const module = workspace.write('bad-topic.ts', systemModule({ main: "    await system.publish('orders..placed', { type: 'x' });" }));
    const outcome = await recq(['run', module, '--db', 'app.db'], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: Invalid topic "orders\.\.placed": token 2 is empty\..*\n$/);
    expect((await status('app.db')).consumers[0]?.hostState).toBe('stopped');
  });

  it('prints the stack of an unexpected error from main and exits 1', async () => {
    const module = workspace.write('boom.ts', systemModule({ main: "    throw new Error('boom');" }));
    const outcome = await recq(['run', module], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: unexpected error\nError: boom\n {4}at /);
  });

  it('aborts main’s signal on SIGINT, stops the system cleanly and exits 130', async () => {
    const main = `
    await system.publish('counts.a', { type: 'add', amount: 5 });
    await system.settled();
    console.log('ready');
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    console.log('aborted: ' + signal.reason.message);`;
    const module = workspace.write('waits.ts', systemModule({ main }));
    const running = children.start(recqCommand(['run', module, '--db', 'app.db'], workspace.dir));
    await running.waitFor(/ready\n/, 'main published and settled');
    running.kill('SIGINT');
    const outcome = await running.exited;
    expect(outcome.code).toBe(130);
    expect(outcome.stdout).toContain('aborted: recq run received SIGINT');

    const after = await status('app.db');
    expect(after.consumers[0]).toMatchObject({ offset: 1, lag: 0, hostState: 'stopped' });
    expect(after.leases.every((l) => l.expired)).toBe(true);
  });

  it('without main, runs until SIGTERM, readable by status meanwhile, then stops cleanly and exits 0', async () => {
    const module = workspace.write('service.ts', systemModule({}));
    const running = children.start(recqCommand(['run', module, '--db', 'app.db'], workspace.dir));
    try {
      await running.waitFor(/stop with Ctrl-C/, 'the ready line', { stream: 'stderr' });
      const live = await status('app.db');
      expect(live.consumers[0]).toMatchObject({ consumer: 'counter', hostState: 'live' });
      expect(live.leases.find((l) => l.resource === 'log')?.expired).toBe(false);

      const fresh = await recq(['run', module, '--db', 'app.db', '--fresh'], workspace.dir);
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toMatch(/^recq: --fresh refuses to delete .*app\.db: .* is running a system on it/);
    } finally {
      running.kill('SIGTERM');
    }
    const outcome = await running.exited;
    expect(outcome.code).toBe(0);

    const after = await status('app.db');
    expect(after.consumers[0]?.hostState).toBe('stopped');
    expect(after.leases.every((l) => l.expired)).toBe(true);
  });
});
