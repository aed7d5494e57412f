import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A nats-server process for one test file, on a free loopback port. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would; `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (killing it first if it is running). */
  restart(): Promise<void>;
}

export interface NatsServerOptions {
  /** The server's max_payload in bytes (NATS default 1 MiB). */
  maxPayload?: number;
  /**
   * More server config (nats-server's own syntax): accounts, users and permissions, TLS, ...
   * A function gets the server's directory, where it may write certificates.
   */
  config?: string | ((dir: string) => string);
}

const READY_TIMEOUT_MS = 10_000;
const CANDIDATES = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'];
const running = new Set<ChildProcess>();
const directories = new Set<string>();
let exitHookInstalled = false;

/** The nats-server binary: the first on `searchPath` (default PATH), then the Debian package's location. */
export function findNatsServer(searchPath = process.env.PATH ?? '', fallbacks: readonly string[] = CANDIDATES): string {
  const onPath = searchPath
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'nats-server'));
  for (const candidate of [...onPath, ...fallbacks]) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next place.
    }
  }
  throw new Error(
    'nats-server was not found on PATH or in /usr/sbin. The NATS tests run against a real server: install it with `apt-get install nats-server` (Debian/Ubuntu) or put the nats-server binary on PATH.',
  );
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

/**
 * Starts a nats-server on a free loopback port with its own temporary directory, and resolves
 * once it accepts clients. Servers still running when the test process exits are killed.
 *
 * @example
 * const server = await startNatsServer({ maxPayload: 64 * 1024 });
 * const nc = await connectNats(server.url);
 * // ...
 * await server.stop();
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = findNatsServer();
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recq-nats-'));
  directories.add(dir);
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, 'nats.conf');
    const extra = typeof options.config === 'function' ? options.config(dir) : (options.config ?? '');
    fs.writeFileSync(config, `${options.maxPayload === undefined ? '' : `max_payload: ${options.maxPayload}\n`}${extra}\n`);
    child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-c', config, '-P', path.join(dir, 'nats.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const started = child;
    started.once('exit', () => running.delete(started));
    await waitUntilReady(started, `nats-server on port ${port}`);
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = undefined;
    await endProcess(current, signal);
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      await end('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      directories.delete(dir);
    },
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGKILL');
      await launch();
    },
  };
}

/**
 * Resolves when a nats-server child logs that it is ready (it listens by then); rejects, after
 * killing it, if it exits first or is not ready within `timeoutMs`. `name` names it in errors.
 */
/** Sends `signal` to a server still running, then SIGKILL if it has not exited within 5 s; resolves once it has exited. */
export async function endProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(escalate);
}

export function waitUntilReady(child: ChildProcess, name: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`${name} was not ready within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    let pending = '';
    const onOutput = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        if (line.includes('Server is ready')) finish();
      }
    };
    child.stderr?.on('data', onOutput);
    child.stdout?.on('data', onOutput);
    child.once('error', (error) => finish(new Error(`could not start ${name}: ${error.message}`)));
    child.once('exit', (code, signal) => finish(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${lines.join('\n')}`)));
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of directories) fs.rmSync(dir, { recursive: true, force: true });
  });
}
