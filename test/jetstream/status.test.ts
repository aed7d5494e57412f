/**
 * `recq supervisor --jetstream` and `recq status --nats` as an operator runs them, on a 3-node
 * cluster: what each supervisor says on stderr when it leads, stands by and steps down, and
 * what status shows of the leader, the standbys, the epoch and the stream's replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/operator/cluster-status.ts';
import { recq, recqCommand } from '../cli/recq-process.ts';
import { type Child, useChildren, WAIT_MS } from '../support/child-process.ts';
import { type NatsCluster, startNatsCluster } from '../support/nats-cluster.ts';
import { TempDir } from '../support/temp-dir.ts';

const LEASE_TTL_MS = '1500';

describe('recq supervisor --jetstream and recq status --nats, with a leader and a standby on an R3 stream', () => {
  let nats: NatsCluster | undefined;
  const dir = new TempDir();
  afterAll(async () => {
    await nats?.stop();
    dir.remove();
  });
  // After the hook above: the supervisors end before their servers stop.
  const children = useChildren();

  const supervisor = (db: string): Child =>
    children.start(
      recqCommand(['supervisor', '--jetstream', '--replicas', '3', '--nats', nats?.servers ?? '', '--db', db, '--lease-ttl', LEASE_TTL_MS], dir.path),
    );
  const says = (child: Child, pattern: RegExp) => child.waitFor(pattern, pattern.source, { stream: 'stderr' });

  async function status(json: boolean): Promise<string> {
    const outcome = await recq(['status', '--nats', nats?.servers ?? '', ...(json ? ['--json'] : [])], dir.path);
    if (outcome.code !== 0) throw new Error(`recq status exited ${outcome.code}: ${outcome.stderr}`);
    return outcome.stdout;
  }

  /** Runs `recq status --nats --json` until `check` holds for what it shows (each run takes its worker reply window). */
  async function untilStatus(check: (s: ClusterStatus) => boolean, what: string): Promise<ClusterStatus> {
    const deadline = Date.now() + WAIT_MS;
    let last = 'nothing yet';
    while (Date.now() < deadline) {
      try {
        const shown = JSON.parse(await status(true)) as ClusterStatus;
        if (check(shown)) return shown;
        last = JSON.stringify(shown.jetstream);
      } catch (error) {
        // No supervisor answers while one takes over: a state to wait past.
        last = String(error);
      }
    }
    throw new Error(`recq status never showed ${what}; last: ${last}`);
  }

  const roles = (s: ClusterStatus) => s.jetstream?.supervisors.map((v) => [v.role, v.epoch]).sort();
  let a: Child;
  let b: Child;
  let first: ClusterStatus;
  let text: string;
  let afterPause: ClusterStatus;
  let afterKill: ClusterStatus;
  let none: ClusterStatus;
  let noneText: string;

  beforeAll(async () => {
    nats = await startNatsCluster(3);
    a = supervisor('a.db');
    await says(a, /leads the log at epoch 1\b/);
    b = supervisor('b.db');
    await says(b, /stands by: \S+ leads the log at epoch 1\b/);
    // The standby reports itself on its next beat after it read the epoch record: wait for that report.
    first = await untilStatus(
      (s) =>
        JSON.stringify(roles(s)) ===
        JSON.stringify([
          ['leading', 1],
          ['standby', 1],
        ]),
      'a leading, b standing by at 1',
    );
    text = await status(false);

    a.kill('SIGSTOP');
    await says(b, /leads the log at epoch 2\b/);
    a.kill('SIGCONT');
    await says(a, /steps down from epoch 1\b/);
    await says(a, /stands by: \S+ leads the log at epoch 2\b/);
    afterPause = await untilStatus(
      (s) =>
        JSON.stringify(roles(s)) ===
        JSON.stringify([
          ['leading', 2],
          ['standby', 2],
        ]),
      'b leading, a standing by at 2',
    );

    b.kill('SIGKILL');
    await says(a, /leads the log at epoch 3\b/);
    afterKill = await untilStatus((s) => s.jetstream?.epoch === 3 && s.jetstream.supervisors.length === 1, 'a leading at 3, b lapsed');

    a.kill('SIGKILL');
    await a.exited;
    none = JSON.parse(await status(true)) as ClusterStatus;
    noneText = await status(false);
  }, 120_000);

  it('names the leader, the standby, the epoch and the three replicas of the stream', () => {
    const log = first.jetstream;
    const leader = log?.supervisors.find((s) => s.role === 'leading');
    expect(log?.leader).toBe(leader?.owner);
    expect(log?.epoch).toBe(1);
    expect(log?.replicas).toBe(3);
    expect(roles(first)).toEqual([
      ['leading', 1],
      ['standby', 1],
    ]);
    expect(log?.servers.map((s) => s.role).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(new Set(log?.servers.map((s) => s.server))).toEqual(new Set(nats?.nodes.map((n) => n.name)));
    expect(first.durability).toMatch(/majority \(2 of 3\)/);
  });

  it('shows the same in its text form', () => {
    const leader = first.jetstream?.leader ?? '?';
    expect(text).toMatch(new RegExp(`supervisor  ${leader}.* \\(epoch 1\\)`));
    expect(text).toContain(`JetStream stream recq_sss, R3, last seq ${first.jetstream?.lastSeq}; ${leader} leads at epoch 1`);
    expect(text).toMatch(/\bleading\s+1\s/);
    expect(text).toMatch(/\bstandby\s+1\s/);
    expect(text).toMatch(/durability\s+ack = in memory on a majority/);
    for (const node of nats?.nodes ?? []) expect(text).toContain(node.name);
  });

  it('shows the standby leading at epoch 2 after the leader was paused, and the resumed one standing by', () => {
    const leader = afterPause.jetstream?.supervisors.find((s) => s.role === 'leading');
    expect(afterPause.jetstream?.leader).toBe(leader?.owner);
    expect(leader?.owner).not.toBe(first.jetstream?.leader);
    expect(afterPause.jetstream?.epoch).toBe(2);
  });

  it('names the one left as leader at a higher epoch once the leader is SIGKILLed, and the dead one lapses', () => {
    expect(afterKill.jetstream?.leader).toBe(first.jetstream?.leader);
    expect(roles(afterKill)).toEqual([['leading', 3]]);
  });

  it('still shows the stream and its servers while no supervisor answers', () => {
    expect(none.unanswered).toMatch(/nothing is listening/);
    expect(none.head).toBe(none.jetstream?.lastSeq);
    expect(none.jetstream?.servers).toHaveLength(3);
    expect(noneText).toMatch(/supervisor\s+none answers: /);
  });
});
