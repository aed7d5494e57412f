import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, recq } from './recq-process.ts';

const workspace = createWorkspace();
afterAll(() => workspace.remove());

describe('recq', () => {
  it('prints help for --help, and for each command', async () => {
    const help = await recq(['--help'], workspace.dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:$/m);
    for (const command of ['run', 'supervisor', 'worker', 'status', 'events', 'dlq list', 'dlq show', 'pause|resume', 'replay'])
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
      'recq: unknown command "launch". Commands: run, supervisor, worker, status, events, dlq, pause, resume, replay\nRun "recq --help" for usage.\n',
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
