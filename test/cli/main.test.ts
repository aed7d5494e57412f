import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from '../support/child-process.ts';
import { TempDir } from '../support/temp-dir.ts';
import { createWorkspace, recq } from './recq-process.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const workspace = createWorkspace();
afterAll(() => workspace.remove());

describe('recq', () => {
  it('prints help for --help, and for each command', async () => {
    const help = await recq(['--help'], workspace.dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:$/m);
    for (const command of ['run', 'supervisor', 'worker', 'status', 'events', 'dlq list', 'dlq show', 'pause', 'resume', 'replay', 'completion'])
      expect(help.stdout).toContain(`recq ${command} `);

    const run = await recq(['run', '--help'], workspace.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--fresh');
    expect(run.stdout).toContain('npm start');
    expect((await recq(['help', 'events'], workspace.dir)).stdout).toContain('--follow');
    expect((await recq(['dlq', '--help'], workspace.dir)).stdout).toContain('recq dlq retry <id>');
    expect((await recq(['dlq', 'retry', '--help'], workspace.dir)).stdout).toContain('--wait MS');
    expect((await recq(['help', 'replay'], workspace.dir)).stdout).toContain('--yes');
  });

  it('refuses an unknown command with exit code 2', async () => {
    const outcome = await recq(['launch'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(
      'recq: unknown command "launch". Commands: run, supervisor, worker, status, events, dlq, pause, resume, replay, commands, query, publish, dashboard, completion\nRun "recq --help" for usage.\n',
    );
  });

  it('refuses an unknown flag with exit code 2, naming the flag and the command', async () => {
    const outcome = await recq(['status', '--jsno'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain("'--jsno'");
    expect(outcome.stderr).toContain('recq status --help');
  });

  it('refuses a dlq command line without a known subcommand with exit code 2', async () => {
    const outcome = await recq(['dlq', 'purge'], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe('recq: unknown subcommand "purge". Subcommands: list, show, retry, skip\nRun "recq dlq --help" for usage.\n');
    expect((await recq(['dlq'], workspace.dir)).code).toBe(2);
  });

  it('refuses a command line without a command with exit code 2', async () => {
    const outcome = await recq([], workspace.dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('Usage:');
  });

  it('refuses run without a module, or with stray arguments before --, with exit code 2', async () => {
    expect((await recq(['run'], workspace.dir)).code).toBe(2);
    const stray = await recq(['run', 'system.ts', 'extra'], workspace.dir);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('after --');
  });
});

/**
 * recq as an app installs it: a copy of the package's bin, dist and package.json in a project's
 * node_modules, next to its dependencies (as package.json lists them) and peers but not tsx (an optional peer).
 */
function installedWithoutTsx(): { dir: string; bin: string; remove(): void } {
  const temp = new TempDir();
  const modules = join(temp.path, 'node_modules');
  const recqDir = join(modules, 'recq');
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run "npm run build" first');
  mkdirSync(recqDir, { recursive: true });
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO, part), join(recqDir, part), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of [...Object.keys(manifest.dependencies), 'xstate', '@xstate/store']) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', dependency), join(modules, dependency), 'dir');
  }
  writeFileSync(join(temp.path, 'package.json'), '{ "type": "module" }\n');
  return { dir: temp.path, bin: join(recqDir, 'bin', 'recq.js'), remove: () => temp.remove() };
}

const COUNTER_MODULE = `
import { assign, setup } from 'xstate';
import { defineComponent, defineSystem } from 'recq';

const counter = setup({}).createMachine({
  context: { count: 0 },
  on: { add: { actions: assign({ count: ({ context, event }) => context.count + event.amount }) } },
});

export default defineSystem({
  components: [defineComponent({ name: 'counter', logic: counter, subscribe: 'counts.*' })],
  async main(system) {
    await system.publish('counts.a', { type: 'add', amount: 2 });
    await system.publish('counts.b', { type: 'add', amount: 5 });
    await system.settled();
    console.log(JSON.stringify((await system.query('counter')).context));
  },
});
`;

describe('recq as installed in an app', () => {
  const app = installedWithoutTsx();
  afterAll(() => app.remove());
  const run = (args: readonly string[]) => startChild({ name: `recq ${args.join(' ')}`, script: app.bin, args, cwd: app.dir }).exited;

  it('prints its version from the installed package.json', async () => {
    const outcome = await run(['--version']);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toBe(`${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
  });

  it('runs a JavaScript system module that imports recq, with no tsx installed', async () => {
    writeFileSync(join(app.dir, 'counter.js'), COUNTER_MODULE);
    const outcome = await run(['run', 'counter.js', '--db', 'js.db']);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(outcome.stdout)).toEqual({ count: 7 });
  });

  it('resolves the public entry and each subpath to the compiled library', async () => {
    writeFileSync(
      join(app.dir, 'subpaths.js'),
      `const names = {};
for (const entry of ['recq', 'recq/nats', 'recq/transport', 'recq/testing']) names[entry] = Object.keys(await import(entry)).sort();
console.log(JSON.stringify(names));
`,
    );
    const outcome = await startChild({ name: 'subpaths.js', script: 'subpaths.js', cwd: app.dir }).exited;
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const names = JSON.parse(outcome.stdout) as Record<string, string[]>;
    expect(names.recq).toEqual(expect.arrayContaining(['createSystem', 'defineComponent', 'defineSystem', 'startSupervisor', 'startWorker', 'SimulatedClock']));
    expect(names.recq).not.toContain('NatsTransport');
    expect(names.recq).not.toContain('MemoryTransport');
    expect(names['recq/nats']).toEqual(['NatsLogAccess', 'NatsTransport', 'SupervisorTrust', 'connectNats', 'subjectsFor', 'watchConnection']);
    expect(names['recq/transport']).toEqual(['MemoryTransport']);
    expect(names['recq/testing']).toEqual(['SimulatedClock', 'TestSystem', 'closeTestSystems', 'testSystem']);
  });

  it.skipIf(Boolean((process.features as { typescript?: unknown }).typescript))(
    'refuses a TypeScript module when tsx is missing, saying what to install',
    async () => {
      writeFileSync(join(app.dir, 'counter.ts'), COUNTER_MODULE);
      const outcome = await run(['run', 'counter.ts', '--db', 'ts.db']);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain('recq: counter.ts failed to load: it is TypeScript, and recq loads TypeScript through tsx, which is not installed.');
      expect(outcome.stderr).toContain('npm install --save-dev tsx');
      expect(outcome.stderr).not.toContain('    at ');
      expect(existsSync(join(app.dir, 'ts.db'))).toBe(false);
    },
  );
});
