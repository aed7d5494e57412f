import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreStatus } from '../../src/operator/store-reader.ts';
import { createWorkspace, PUBLISH_THREE, recq, systemModule, type Workspace } from './recq-process.ts';

let workspace: Workspace;
beforeEach(() => {
  workspace = createWorkspace();
});
afterEach(() => workspace.remove());

describe('recq status', () => {
  it('counts as lag only the events after the offset on topics the consumer subscribes to', async () => {
    const first = workspace.write('first.ts', systemModule({ main: PUBLISH_THREE }));
    expect((await recq(['run', first, '--db', 'app.db'], workspace.dir)).code).toBe(0);
    // A system without the counter appends one event it subscribes to and one it does not.
    const more = workspace.write(
      'more.ts',
      systemModule({
        counter: false,
        main: "    await system.publish('counts.c', { type: 'add', amount: 4 });\n    await system.publish('other.y', { type: 'noise' });",
      }),
    );
    expect((await recq(['run', more, '--db', 'app.db'], workspace.dir)).code).toBe(0);

    const outcome = await recq(['status', '--db', 'app.db', '--json'], workspace.dir);
    expect(outcome.code).toBe(0);
    const status = JSON.parse(outcome.stdout) as StoreStatus;
    expect(status.db).toBe(join(workspace.dir, 'app.db'));
    expect(status.head).toBe(5);
    expect(status.consumers).toEqual([
      {
        consumer: 'counter',
        component: 'counter',
        offset: 2,
        head: 5,
        lag: 1,
        patterns: ['counts.*'],
        version: expect.any(String),
        storedActors: 1,
        hostState: 'stopped',
        deadLetters: 0,
        updatedAt: expect.any(Number),
      },
    ]);
    expect(status.leases.map((l) => [l.resource, l.epoch, l.expired])).toEqual([
      ['consumer:counter', 1, true],
      ['log', 2, true],
    ]);
  });

  it('prints tables of consumers and leases for people', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    expect((await recq(['run', module], workspace.dir)).code).toBe(0);
    const outcome = await recq(['status'], workspace.dir);
    expect(outcome.code).toBe(0);
    const lines = outcome.stdout.split('\n');
    expect(lines[0]).toBe(`database  ${join(workspace.dir, 'recq.db')}`);
    expect(lines[1]).toBe('head      3');
    expect(lines[2]).toMatch(/^supervisor \S+: stopped since \d{4}-\d\d-\d\dT/);
    expect(lines).toContain('consumer  component  offset  head  lag  actors  host     dead letters');
    expect(lines).toContain('counter   counter         2     3    0       1  stopped             0');
    expect(lines.find((l) => l.startsWith('log '))).toMatch(/^log +\S+ +1 {2}released$/);
  });

  it('reports an empty system for a database whose tables do not exist yet, and writes nothing', async () => {
    const db = workspace.write('empty.db', '');
    const outcome = await recq(['status', '--db', db, '--json'], workspace.dir);
    expect(outcome.stderr).toBe('');
    expect(JSON.parse(outcome.stdout)).toEqual({ db: join(workspace.dir, db), head: 0, consumers: [], leases: [], supervisor: null });
    expect(statSync(join(workspace.dir, db)).size).toBe(0);

    const text = await recq(['status', '--db', db], workspace.dir);
    expect(text.stdout).toContain('No consumers');
  });

  it('fails naming the path when the database file is missing', async () => {
    const outcome = await recq(['status', '--db', 'missing.db'], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      `recq: No database at ${join(workspace.dir, 'missing.db')}. Start a system on it with "recq run <module>", or pass --db FILE.\n`,
    );
  });

  it('fails clearly on a file that is not SQLite', async () => {
    const db = workspace.write('text.db', 'this is a text file, long enough to have a header that SQLite rejects outright.'.repeat(2));
    const outcome = await recq(['status', '--db', db], workspace.dir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^recq: Cannot read .*text\.db as a recq database: .*file is not a database\..*\n$/);
  });
});
