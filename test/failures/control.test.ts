import { describe, expect, it } from 'vitest';
import { defineComponent, type System, silentLogger } from '../../src/index.ts';
import { recorder, recorderMachine, tally } from '../invariants/fixtures.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';

describe('consumer control', () => {
  const scratch = useScratch();

  const open = (components = [recorder(), tally()]) => scratch.start({ db: scratch.file('control.db'), components, owner: 'me', logger: silentLogger });
  const reopen = async (previous: System, components?: Parameters<typeof open>[0]) => {
    await previous.stop();
    return open(components);
  };
  const publish = (s: System, from: number, count: number) =>
    s.publishMany(Array.from({ length: count }, (_, i) => ({ topic: 'inv.a', event: { type: 'add', amount: from + i }, key: `k${(from + i) % 3}` })));
  const seqs = async (s: System, key: string) => ((await s.query('recorder', key)).context as { seqs: number[] }).seqs;

  it('pauses a consumer, across a restart, and resumes it where it stopped', async () => {
    let s = await open();
    await publish(s, 0, 3);
    await s.settled();
    s.pause('recorder');
    await publish(s, 3, 3);
    await expect(s.settled()).rejects.toThrow(/consumer recorder is paused/);
    expect((await s.status()).consumers.find((c) => c.consumer === 'recorder')).toMatchObject({ hostState: 'paused', offset: 3 });
    expect(await seqs(s, 'k0')).toEqual([1]);

    s = await reopen(s);
    expect((await s.status()).consumers.find((c) => c.consumer === 'recorder')).toMatchObject({ hostState: 'paused' });
    s.resume('recorder');
    await s.settled();
    // Seqs 4-6 are what the recorder emitted for the first three.
    expect(await seqs(s, 'k0')).toEqual([1, 7]);
    expect((await s.query('tally')).context).toMatchObject({ total: 6 });
  });

  it('replays a consumer from the start: the same state again, and nothing new in the log', async () => {
    const s = await open();
    await publish(s, 0, 30);
    await s.settled();
    const before = readTables(scratch.file('control.db'));
    const states = await Promise.all(['k0', 'k1', 'k2'].map((k) => s.query('recorder', k)));
    await s.replay('recorder', { from: 1 });
    await s.settled();
    const after = readTables(scratch.file('control.db'));
    expect(after.events).toEqual(before.events);
    expect(await Promise.all(['k0', 'k1', 'k2'].map((k) => s.query('recorder', k)))).toEqual(states);
    expect((await s.query('tally')).context).toMatchObject({ total: 30 });
  });

  it('replays from a later seq: actors are rebuilt from that point only', async () => {
    const s = await open([recorder()]);
    await publish(s, 0, 9);
    await s.settled();
    await s.replay('recorder', { from: 7 });
    await s.settled();
    expect(await seqs(s, 'k0')).toEqual([7]);
    expect(await seqs(s, 'k1')).toEqual([8]);
    await expect(s.replay('recorder', { from: 0 })).rejects.toThrow(/--from must be a seq ≥ 1, got 0/);
    await expect(s.replay('nobody', { from: 1 })).rejects.toThrow(/Unknown component "nobody"/);
  });

  it('starts a new consumer at the head of the log when asked, and from the beginning by default', async () => {
    let s = await open([recorder()]);
    await publish(s, 0, 6);
    await s.settled();
    s = await reopen(s, [
      recorder(),
      defineComponent({ name: 'late', logic: recorderMachine, subscribe: 'inv.*', key: true, startFrom: 'head' }),
      defineComponent({ name: 'early', logic: recorderMachine, subscribe: 'inv.*', key: true }),
    ]);
    await publish(s, 6, 3);
    await s.settled();
    // Seqs 7-12 are what the recorder emitted for the first six.
    expect(((await s.query('late', 'k0')).context as { seqs: number[] }).seqs).toEqual([13]);
    expect(((await s.query('early', 'k0')).context as { seqs: number[] }).seqs).toEqual([1, 4, 13]);
  });
});
