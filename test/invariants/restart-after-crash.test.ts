import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSystem, LeaseHeldError } from '../../src/index.ts';
import { StoreReader } from '../../src/operator/store-reader.ts';
import { useChildren } from '../support/child-process.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { useScratch } from '../support/scratch.ts';
import { recorder } from './fixtures.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOLDER = 'test/invariants/lease-holder.ts';

describe('restart after a crash', () => {
  const scratch = useScratch();
  const children = useChildren();

  async function holder(db: string, leaseTtlMs: number) {
    const child = children.start({ name: 'lease holder', entry: HOLDER, args: [db, String(leaseTtlMs)], cwd: REPO });
    await child.waitFor(/^ready$/m, 'the ready line');
    return child;
  }

  it('takes the leases of a SIGKILLed process on this machine at once, saying so, and restores its state', async () => {
    const db = scratch.file();
    const dead = await holder(db, 60_000);
    dead.kill('SIGKILL');
    await dead.exited;
    // It recorded 'live'; recq status does not believe a host whose process is gone.
    const reader = StoreReader.open(db);
    expect(reader.status(Date.now()).consumers.map((c) => [c.consumer, c.hostState])).toEqual([['recorder', 'down']]);
    reader.close();

    const log = listeningLogger();
    // No waitForLease: a lease still held by a live process would be refused at once.
    const system = await scratch.start({ db, components: [recorder()], logger: log.logger });
    expect(log.lines.filter((line) => /^took over the lease on log from \S+, whose process is gone$/.test(line))).toHaveLength(1);
    expect(log.lines.some((line) => /^took over the lease on consumer:recorder from /.test(line))).toBe(true);
    expect((await system.query('recorder', 'k')).context).toMatchObject({ sum: 6, seqs: expect.arrayContaining([1]) });
  });

  it('refuses, or with waitForLease waits for, a lease a live process holds, saying so once', async () => {
    const db = scratch.file();
    const frozen = await holder(db, 1_000);
    // Alive but unable to renew: its lease runs out, and it cannot stop a newcomer then.
    frozen.kill('SIGSTOP');
    await expect(createSystem({ db, components: [recorder()] })).rejects.toBeInstanceOf(LeaseHeldError);

    const log = listeningLogger();
    const system = await scratch.start({ db, components: [recorder()], logger: log.logger, waitForLease: true });
    expect(log.lines.filter((line) => /^the log is leased to \S+ until \S+; waiting \d+ ms for it$/.test(line))).toHaveLength(1);
    expect((await system.query('recorder', 'k')).context).toMatchObject({ sum: 6, seqs: expect.arrayContaining([1]) });
    frozen.kill('SIGCONT');
  });
});
