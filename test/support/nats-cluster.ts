import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection, StorageType } from 'nats';
import { endProcess, findNatsServer, freePort, waitUntilReady } from './nats-server.ts';

/** One nats-server of a test cluster, with JetStream on in its own temporary store dir. */
export interface ClusterNode {
  /** `node-a`, `node-b`, ... as the servers name themselves (stream info names its leader so). */
  readonly name: string;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly running: boolean;
  /** SIGKILL, as a crash would: the store dir stays, so `restart()` brings its data back. */
  kill(): Promise<void>;
  /** Starts the server again on the same ports and store dir. */
  restart(): Promise<void>;
}

/** A 3-node (or n-node) nats-server cluster on loopback, each node with JetStream. */
export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's URL, comma-separated, as `--nats` takes them. */
  readonly servers: string;
  /** The node named `name`. */
  node(name: string): ClusterNode;
  /** Stops every node (SIGTERM, then SIGKILL after 5 s) and removes the store dirs. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const JETSTREAM_READY_TIMEOUT_MS = 20_000;
/** A stream created and deleted once the cluster starts, to know it can place one on every server. */
const PLACEMENT_PROBE = 'recq_placement_probe';
const running = new Set<ChildProcess>();
const directories = new Set<string>();
let exitHookInstalled = false;

/**
 * Starts `size` nats-servers on free loopback ports, routed to each other as one cluster, with
 * JetStream in temporary store dirs, and resolves once the cluster has a JetStream meta leader
 * (a stream can be created). Servers still running when the test process exits are killed.
 *
 * @example
 * const cluster = await startNatsCluster();
 * const nc = await connectNats(cluster.servers);
 * // ... SIGKILL the stream's leader:
 * await cluster.node((await jsm.streams.info('recq')).cluster?.leader ?? '').kill();
 * await cluster.stop();
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const binary = findNatsServer();
  installExitHook();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'recq-nats-cluster-'));
  directories.add(root);
  const ports: { client: number; route: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort() });
  const names = ports.map((_, i) => `node-${String.fromCharCode(97 + i)}`);

  const nodes = ports.map((port, i) => {
    const name = names[i] as string;
    const dir = path.join(root, name);
    fs.mkdirSync(path.join(dir, 'jetstream'), { recursive: true });
    const routes = ports.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p.route}`);
    const config = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port.client}`,
      `jetstream { store_dir: ${JSON.stringify(path.join(dir, 'jetstream'))} }`,
      `cluster { name: recq-test, listen: 127.0.0.1:${port.route}, routes: [${routes.join(', ')}] }`,
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'nats.conf'), `${config}\n`);
    let child: ChildProcess | undefined;
    const node = {
      name,
      url: `nats://127.0.0.1:${port.client}`,
      get running() {
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      },
      async launch(): Promise<void> {
        child = spawn(binary, ['-c', path.join(dir, 'nats.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
        running.add(child);
        const started = child;
        started.once('exit', () => running.delete(started));
        await waitUntilReady(started, name, READY_TIMEOUT_MS);
      },
      async end(signal: NodeJS.Signals): Promise<void> {
        const current = child;
        child = undefined;
        await endProcess(current, signal);
      },
      kill: () => node.end('SIGKILL'),
      async restart() {
        await node.end('SIGKILL');
        await node.launch();
      },
    };
    return node;
  });

  await Promise.all(nodes.map((node) => node.launch()));
  const servers = nodes.map((node) => node.url).join(',');
  await waitForJetStream(servers, size);
  return {
    nodes,
    servers,
    node(name) {
      const found = nodes.find((node) => node.name === name);
      if (!found) throw new Error(`no node named ${JSON.stringify(name)} in the cluster (${names.join(', ')})`);
      return found;
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.end('SIGTERM')));
      fs.rmSync(root, { recursive: true, force: true });
      directories.delete(root);
    },
  };
}

/**
 * Resolves once a stream of `replicas` can be placed: the JetStream meta group has a leader and
 * knows every server (until then creating an R3 stream fails with "no suitable peers for placement").
 */
async function waitForJetStream(servers: string, replicas: number): Promise<void> {
  const nc: NatsConnection = await connect({ servers: servers.split(','), maxReconnectAttempts: -1 });
  const deadline = Date.now() + JETSTREAM_READY_TIMEOUT_MS;
  let last: unknown;
  try {
    for (;;) {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2000 });
        await jsm.streams.add({ name: PLACEMENT_PROBE, subjects: [PLACEMENT_PROBE], storage: StorageType.Memory, num_replicas: replicas });
        await jsm.streams.delete(PLACEMENT_PROBE);
        return;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline)
        throw new Error(`the cluster's JetStream could not place an R${replicas} stream within ${JETSTREAM_READY_TIMEOUT_MS} ms: ${String(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await nc.close();
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of directories) fs.rmSync(dir, { recursive: true, force: true });
  });
}
