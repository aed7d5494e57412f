import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { consoleLogger } from '../../src/index.ts';
import { recorder } from '../invariants/fixtures.ts';
import { useChildren } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOLDER = 'test/invariants/lease-holder.ts';

/** consoleLogger('info') writing JSON lines into memory instead of stderr. */
function infoLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = consoleLogger('info', { format: 'json', destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  return { logger, lines, messages: () => lines.map((line) => line.msg as string) };
}

describe("consoleLogger('info')", () => {
  const scratch = useScratch();
  const children = useChildren();

  it('says what starts, what each consumer restored from the CSS up to which offset, and what stops', async () => {
    const db = scratch.file('shop.db');
    const first = infoLines();
    let system = await scratch.start({ db, components: [recorder()], owner: 'first', logger: first.logger });
    let last = 0;
    for (const key of ['a', 'b', 'a']) last = (await system.publish('inv.a', { type: 'add', amount: 1 }, { key })).seq;
    await system.settled();
    await system.stop();
    expect(first.messages()).toEqual([
      'consumer recorder restored from the CSS: 0 actors (0 in memory), offset 0',
      `started (embedded): components recorder, on ${db}, as first`,
      `consumer recorder stopped at offset ${last}`,
      `stopped (embedded) on ${db}`,
    ]);
    expect(first.lines[0]).toMatchObject({ level: 'info', component: 'recorder', consumer: 'recorder', offset: 0, actors: 0 });

    const second = infoLines();
    system = await scratch.start({ db, components: [recorder()], owner: 'second', logger: second.logger });
    expect(second.messages()[0]).toBe(`consumer recorder restored from the CSS: 2 actors (0 in memory), offset ${last}`);
    expect(second.lines[0]).toMatchObject({ consumer: 'recorder', offset: last, actors: 2, active: 0 });
    expect((await system.query('recorder', 'a')).context).toMatchObject({ sum: 2 });
  });

  it('says which leases it took over from a process that died, and whose they were', async () => {
    const db = scratch.file('taken.db');
    const dead = children.start({ name: 'lease holder', entry: HOLDER, args: [db, '60000'], cwd: REPO });
    await dead.waitFor(/^ready$/m, 'the ready line');
    dead.kill('SIGKILL');
    await dead.exited;

    const log = infoLines();
    await scratch.start({ db, components: [recorder()], logger: log.logger });
    const takeovers = log.lines.filter((line) => String(line.msg).startsWith('took over the lease on '));
    expect(takeovers.map((line) => [line.level, line.resource, line.consumer])).toEqual([
      ['warn', 'log', undefined],
      ['warn', 'consumer:recorder', 'recorder'],
    ]);
    expect(takeovers[1]).toMatchObject({ previousOwner: expect.stringMatching(/:\d+:/), epoch: 2 });
    // The holder applied three events for key k, each followed by the event it emitted: 1, 3, 5.
    expect(log.messages()).toContain('consumer recorder restored from the CSS: 1 actor (0 in memory), offset 5');
  });
});
