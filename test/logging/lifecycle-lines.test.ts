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
      'consumer recorder starts at offset 0, with no actors in the CSS',
      `started (embedded): components recorder, on ${db}, as first`,
      `consumer recorder stopped at offset ${last}`,
      `stopped (embedded) on ${db}`,
    ]);
    expect(first.lines[0]).toMatchObject({ level: 'info', component: 'recorder', consumer: 'recorder', offset: 0, actors: 0 });

    const second = infoLines();
    system = await scratch.start({ db, components: [recorder()], owner: 'second', logger: second.logger });
    expect(second.messages()[0]).toBe(`consumer recorder restored 2 actors from the CSS (0 in memory), at offset ${last}`);
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
    const system = await scratch.start({ db, components: [recorder()], logger: log.logger });
    const takeovers = log.lines.filter((line) => String(line.msg).startsWith('took over the lease on '));
    expect(takeovers.map((line) => [line.level, line.resource, line.consumer])).toEqual([
      ['warn', 'log', undefined],
      ['warn', 'consumer:recorder', 'recorder'],
    ]);
    expect(takeovers[1]).toMatchObject({ previousOwner: expect.stringMatching(/:\d+:/), epoch: 2 });
    // The holder applied three events for key k: the offset is the seq of the last of them.
    const { seqs } = (await system.query('recorder', 'k')).context as { seqs: number[] };
    expect(log.messages()).toContain(`consumer recorder restored 1 actor from the CSS (0 in memory), at offset ${seqs.at(-1)}`);
  });
});
