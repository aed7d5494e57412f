import { type ChildProcess, spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TempDir } from '../support/temp-dir.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'recq.js');
/** The library's entry point as a URL, for system modules written into a workspace. */
export const LIBRARY_URL = pathToFileURL(join(REPO, 'src', 'index.ts')).href;

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `recq` child process. */
export interface RecqProcess {
  child: ChildProcess;
  /** Resolves with everything written so far once the stream's output matches; rejects if the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
  exited: Promise<Outcome>;
}

/** A temp directory to run `recq` in, with the repo's node_modules linked so modules can import xstate. */
export interface Workspace {
  dir: string;
  /** Writes a file into the workspace and returns its name. */
  write(name: string, source: string): string;
  remove(): void;
}

export function createWorkspace(options: { esm?: boolean } = {}): Workspace {
  const temp = new TempDir();
  const dir = temp.path;
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  if (options.esm ?? true) writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return {
    dir,
    write(name, source) {
      writeFileSync(join(dir, name), source);
      return name;
    },
    // Removing the directory removes the node_modules link itself, never what it points to.
    remove: () => temp.remove(),
  };
}

export function startRecq(args: readonly string[], cwd: string): RecqProcess {
  return startNode([BIN, ...args], cwd);
}

/** Runs a TypeScript script from the workspace (through tsx, as the CLI loads modules), e.g. a producer. */
export function startScript(script: string, args: readonly string[], cwd: string): RecqProcess {
  return startNode(['--import', 'tsx', script, ...args], cwd);
}

function startNode(argv: readonly string[], cwd: string): RecqProcess {
  const args = argv.slice(1);
  const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      output[stream] += chunk;
      for (const listener of listeners) listener();
    });
  }
  const exited = new Promise<Outcome>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, ...output });
      for (const listener of listeners) listener();
    });
  });
  return {
    child,
    exited,
    waitFor(pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output[stream])) {
            listeners.delete(check);
            resolve(output[stream]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`recq ${args.join(' ')} exited before ${stream} matched ${pattern}:\n${output.stdout}\n${output.stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs `recq` to completion. */
export function recq(args: readonly string[], cwd: string): Promise<Outcome> {
  return startRecq(args, cwd).exited;
}

/**
 * A system module: a `counter` component summing `add` events on `counts.*` (or no component),
 * and an optional `main` body that has `system`, `db`, `args` and `signal` in scope.
 */
export function systemModule(options: { counter?: boolean; main?: string }): string {
  const counter = options.counter ?? true;
  return `
import { assign, setup } from 'xstate';
import { defineComponent, defineSystem } from ${JSON.stringify(LIBRARY_URL)};

const counter = setup({ types: {} as { context: { count: number }; events: { type: 'add'; amount: number } } }).createMachine({
  context: { count: 0 },
  on: { add: { actions: assign({ count: ({ context, event }) => context.count + event.amount }) } },
});

export default defineSystem({
  components: ${counter ? "[defineComponent({ name: 'counter', logic: counter, subscribe: 'counts.*' })]" : '[]'},
  ${options.main === undefined ? '' : `async main(system, { db, args, signal }) {\n${options.main}\n  },`}
});
`;
}

/** Publishes counts.a, counts.b (key k) and other.x, waits until the counter has applied them, and prints its count. */
export const PUBLISH_THREE = `
    await system.publish('counts.a', { type: 'add', amount: 1 });
    await system.publish('counts.b', { type: 'add', amount: 2 }, { key: 'k' });
    await system.publish('other.x', { type: 'noise' });
    await system.settled();
    const view = await system.query('counter');
    console.log(JSON.stringify({ db, args, count: view.context.count }));
`;
