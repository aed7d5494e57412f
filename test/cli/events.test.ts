import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/envelope.ts';
import { useChildren } from '../support/child-process.ts';
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
