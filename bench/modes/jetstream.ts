import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleLogger, type Durability, startWorker } from '../../src/index.ts';
import { startNatsCluster } from '../../test/support/nats-cluster.ts';
import type { Mode } from './mode.ts';
import { NAMESPACE, startSupervisorProcess, stopProcess } from './nats.ts';
import { counterComponent, timePass } from './recq-pass.ts';

/**
 * recq distributed with the log in JetStream: a fresh 3-node nats-server cluster on loopback,
 * the log a stream of `replicas` copies led by one supervisor in a child process, and this
 * process as the one worker. An append is acknowledged once a majority of the servers hold it
 * (in memory: nats-server 2.9.10 syncs its files every 60 s); the worker's checkpoints are
 * fsync'd as in every mode. The stream's first record is the supervisor's epoch record.
 */
export function jetStreamMode(durability: Durability = 'full', replicas = 3): Mode {
  return {
    name: `jetstream-r${replicas}`,
    async run(workload) {
      const dir = await mkdtemp(join(tmpdir(), 'recq-bench-jetstream-'));
      const cluster = await startNatsCluster(3);
      let supervisor: ChildProcess | undefined;
      try {
        supervisor = await startSupervisorProcess(join(dir, 'supervisor.db'), cluster.servers, durability, replicas);
        const worker = await startWorker({
          db: join(dir, 'worker.db'),
          nats: { servers: cluster.servers.split(','), namespace: NAMESPACE },
          components: [counterComponent(workload)],
          durability,
          logger: consoleLogger('error'),
        });
        try {
          return await timePass(worker, workload, `jetstream R${replicas}`, durability, 1);
        } finally {
          await worker.stop();
        }
      } finally {
        if (supervisor) await stopProcess(supervisor);
        await cluster.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
