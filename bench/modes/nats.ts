import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleLogger, type Durability, startWorker } from '../../src/index.ts';
import { findNatsServer, startNatsServer } from '../../test/support/nats-server.ts';
import type { Mode } from './mode.ts';
import { counterComponent, timePass } from './recq-pass.ts';

const SUPERVISOR_SCRIPT = fileURLToPath(new URL('./nats-supervisor.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NAMESPACE = 'bench';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * recq distributed: a fresh nats-server, the supervisor (the log) in a child process, and this
 * process as the one worker that hosts the counter and publishes, each on its own SQLite file.
 * Every publish and every read of the log is a request/reply to the supervisor over NATS.
 *
 * The child gets this process's node flags, so `node --cpu-prof --import tsx bench/run.ts
 * --mode nats` writes one profile for the worker and one for the supervisor.
 */
export function natsMode(durability: Durability = 'full'): Mode {
  return {
    name: 'nats',
    async run(workload) {
      const dir = await mkdtemp(join(tmpdir(), 'recq-bench-nats-'));
      const server = await startNatsServer();
      let supervisor: ChildProcess | undefined;
      try {
        supervisor = await startSupervisorProcess(join(dir, 'supervisor.db'), server.url, durability);
        const worker = await startWorker({
          db: join(dir, 'worker.db'),
          nats: { servers: server.url, namespace: NAMESPACE },
          components: [counterComponent(workload)],
          durability,
          logger: consoleLogger('error'),
        });
        try {
          return await timePass(worker, workload, 'nats', durability);
        } finally {
          await worker.stop();
        }
      } finally {
        if (supervisor) await stopProcess(supervisor);
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** E.g. `nats-server: v2.9.10`; throws, saying how to install it, if there is no nats-server. */
export function natsServerVersion(): string {
  return execFileSync(findNatsServer(), ['--version'], { encoding: 'utf8' }).trim();
}

function supervisorExecArgv(): string[] {
  // Without tsx (e.g. flags a wrapper set differently) the child could not load a .ts file.
  return process.execArgv.some((arg) => arg.includes('tsx')) ? [...process.execArgv] : ['--import', 'tsx', ...process.execArgv];
}

/** Spawns the supervisor (its log in a JetStream stream of `replicas` copies, if given) and resolves once it prints `ready`; rejects (and kills it) if it exits or hangs first. */
export function startSupervisorProcess(db: string, url: string, durability: Durability, replicas?: number): Promise<ChildProcess> {
  const jetstream = replicas === undefined ? [] : [String(replicas)];
  const child = spawn(process.execPath, [...supervisorExecArgv(), SUPERVISOR_SCRIPT, db, url, NAMESPACE, durability, ...jetstream], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`the bench supervisor was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(new Error(`could not start the bench supervisor: ${error.message}`)));
    child.once('exit', (code, signal) => fail(new Error(`the bench supervisor exited (${signal ?? `code ${code}`}) before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!output.split('\n').includes('ready')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(child);
    });
  });
}

/** SIGTERM (the supervisor commits and releases its lease), then SIGKILL if it does not exit in time. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(escalate);
}
