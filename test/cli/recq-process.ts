import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ChildOptions, type ChildOutcome, startChild } from '../support/child-process.ts';
import { TempDir } from '../support/temp-dir.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'recq.js');
/** The library's entry point as a URL, for system modules written into a workspace. */
export const LIBRARY_URL = pathToFileURL(join(REPO, 'src', 'index.ts')).href;

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

/** Runs `recq <args>` in `cwd`: pass it to `useChildren().start` for a long-running command. */
export function recqCommand(args: readonly string[], cwd: string): ChildOptions {
  return { name: `recq ${args.join(' ')}`, script: BIN, args, cwd };
}

/** Runs a TypeScript script from the workspace (through tsx, as the CLI loads modules), e.g. a producer. */
export function scriptCommand(script: string, args: readonly string[], cwd: string): ChildOptions {
  return { name: script, entry: script, args, cwd };
}

/** Runs `recq` to completion. */
export function recq(args: readonly string[], cwd: string): Promise<ChildOutcome> {
  return startChild(recqCommand(args, cwd)).exited;
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
