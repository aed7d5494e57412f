import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/cli/cluster-status.ts';
import { recq } from '../cli/recq-process.ts';
import type { NodeProcess } from '../distributed/processes.ts';
import { WAIT_MS } from '../support/child-process.ts';
import { TempDir } from '../support/temp-dir.ts';
import { StreamCluster, waitForLeader } from './stream-cluster.ts';

/** `recq status --nats` against the cluster, as an operator runs it. */
async function status(cluster: StreamCluster, cwd: string, json: boolean): Promise<string> {
  const outcome = await recq(['status', '--nats', cluster.nats.servers, ...(json ? ['--json'] : [])], cwd);
  if (outcome.code !== 0) throw new Error(`recq status exited ${outcome.code}: ${outcome.stderr}`);
  return outcome.stdout;
}

/** Runs `recq status --nats --json` until `check` holds for what it shows (each run takes its worker reply window). */
async function untilStatus(cluster: StreamCluster, cwd: string, check: (s: ClusterStatus) => boolean, what: string): Promise<ClusterStatus> {
  const deadline = Date.now() + WAIT_MS;
  let last: ClusterStatus | string = 'nothing yet';
  while (Date.now() < deadline) {
    try {
      const shown = JSON.parse(await status(cluster, cwd, true)) as ClusterStatus;
      if (check(shown)) return shown;
      last = shown;
    } catch (error) {
      // No supervisor answers during a failover: that is a status to wait past.
      last = String(error);
    }
  }
  throw new Error(`recq status never showed ${what}; last: ${JSON.stringify(last)}`);
}

describe('recq status --nats on a log kept in an R3 stream, with a leader and a standby', () => {
  let cluster: StreamCluster | undefined;
  const dir = new TempDir();
  let first: NodeProcess;
  let standby: NodeProcess;
  let before: ClusterStatus;
  let text: string;
  let after: ClusterStatus;

  beforeAll(async () => {
    cluster = await StreamCluster.start();
    first = await cluster.supervisor('sup-a');
    await waitForLeader([first]);
    standby = await cluster.supervisor('sup-b');
    await standby.waitFor((line) => line.type === 'log' && line.message.startsWith('stands by'), 'sup-b to stand by');
    before = await untilStatus(cluster, dir.path, (s) => s.jetstream?.supervisors.length === 2, 'both supervisors');
    text = await status(cluster, dir.path, false);

    const mark = standby.mark();
    await first.kill();
    await waitForLeader([standby], [mark]);
    after = await untilStatus(cluster, dir.path, (s) => s.jetstream?.leader === 'sup-b', 'sup-b leading');
  }, 90_000);

  afterAll(async () => {
    await cluster?.cleanup();
    dir.remove();
  });

  it('names the leader, the standby, the epoch and the three replicas of the stream', () => {
    const log = before.jetstream;
    expect(log?.leader).toBe('sup-a');
    expect(log?.epoch).toBe(1);
    expect(log?.replicas).toBe(3);
    expect(log?.supervisors.map((s) => [s.owner, s.role, s.epoch])).toEqual([
      ['sup-a', 'leading', 1],
      ['sup-b', 'standby', 1],
    ]);
    expect(log?.servers.map((s) => s.role).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(new Set(log?.servers.map((s) => s.server))).toEqual(new Set(cluster?.nats.nodes.map((n) => n.name)));
    expect(before.durability).toMatch(/majority \(2 of 3\)/);
  });

  it('shows the same in its text form', () => {
    expect(text).toMatch(/JetStream stream recq_sss, R3, last seq \d+; sup-a leads at epoch 1/);
    expect(text).toMatch(/sup-a\s+leading\s+1/);
    expect(text).toMatch(/sup-b\s+standby\s+1/);
    expect(text).toMatch(/durability\s+ack = in memory on a majority/);
    for (const node of cluster?.nats.nodes ?? []) expect(text).toContain(node.name);
  });

  it('names the standby as leader at a higher epoch once the leader is SIGKILLed, and drops the dead one', async () => {
    expect(after.jetstream?.epoch).toBe(2);
    // The dead supervisor's report lapses with the bucket's max_age.
    const lapsed = cluster ? await untilStatus(cluster, dir.path, (s) => s.jetstream?.supervisors.length === 1, 'the dead report lapsed') : after;
    expect(lapsed.jetstream?.supervisors.map((s) => [s.owner, s.role, s.epoch])).toEqual([['sup-b', 'leading', 2]]);
  });
});
