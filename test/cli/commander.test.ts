import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { FROM_ENV } from '../../src/cli/flags.ts';
import { parseNatsInsteadOfDb } from '../../src/cli/nats-target.ts';
import { startChild } from '../support/child-process.ts';
import { createWorkspace, PUBLISH_THREE, recq, recqCommand, systemModule } from './recq-process.ts';

const workspace = createWorkspace();
afterAll(() => workspace.remove());

/** `recq <args>` with `env` added to the environment. */
const recqWith = (env: Record<string, string>, args: readonly string[]) => startChild({ ...recqCommand(args, workspace.dir), env }).exited;

/** Nothing listens on port 1, so a command that goes to NATS fails at once, naming this URL. */
const NO_NATS = 'nats://127.0.0.1:1';

describe('recq command line', () => {
  it('suggests the command meant by a mistyped one, with exit code 2', async () => {
    const outcome = await recq(['stauts'], workspace.dir);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toBe('recq: unknown command "stauts"; did you mean status?\nRun "recq --help" for usage.\n');
    const sub = await recq(['dlq', 'retyr', '1'], workspace.dir);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toBe('recq: unknown subcommand "retyr"; did you mean retry?\nRun "recq dlq --help" for usage.\n');
  });

  it('suggests the flag meant by a mistyped one, with exit code 2 and the command help hint', async () => {
    const outcome = await recq(['status', '--nat', NO_NATS], workspace.dir);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toBe('recq: unknown option \'--nat\'; did you mean --nats?\nRun "recq status --help" for usage.\n');
  });

  it("generates a command's help from its about text and its flags, with their variables", async () => {
    const help = await recq(['help', 'dlq', 'retry'], workspace.dir);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: recq dlq retry <id> \[--db FILE\] \[--wait MS\]\n\nApplies a parked dead letter's event again/);
    expect(help.stdout).toMatch(/^ {2}--db FILE +database file \(default \.\/recq\.db\) \(env RECQ_DB\)$/m);
    expect(help.stdout).toMatch(/^ {2}--component C +with --nats/m);
    expect(help.stdout).toMatch(/^ {2}-h, --help +show this help$/m);
    expect((await recq(['dlq', 'retry', '--help'], workspace.dir)).stdout).toBe(help.stdout);

    const top = await recq(['--help'], workspace.dir);
    expect(top.stdout).toMatch(/^ {2}completion +print a shell completion script for bash, zsh or fish$/m);
    expect(top.stdout).toMatch(/^ {2}recq dlq skip <id> /m);
    expect((await recq(['help', 'stauts'], workspace.dir)).stderr).toContain('did you mean status?');
  });

  it('reads --db from RECQ_DB, and a flag on the command line wins over any variable', async () => {
    const seeded = await recq(['run', workspace.write('seed.ts', systemModule({ main: PUBLISH_THREE })), '--db', 'env.db'], workspace.dir);
    expect(seeded.code).toBe(0);

    const fromEnv = await recqWith({ RECQ_DB: 'env.db' }, ['events']);
    expect(fromEnv).toMatchObject({ code: 0, stderr: '' });
    expect(fromEnv.stdout).toMatch(/^1 {2}\S+ {2}counts\.a /);

    // RECQ_NATS does not turn "--db FILE" into "--db and --nats"; RECQ_NAMESPACE alone is not a --namespace without --nats.
    const dbFlag = await recqWith({ RECQ_NATS: NO_NATS, RECQ_NAMESPACE: 'other', RECQ_DB: 'elsewhere.db' }, ['events', '--db', 'env.db']);
    expect(dbFlag).toMatchObject({ code: 0, stdout: fromEnv.stdout, stderr: '' });

    // Both variables and no flag: RECQ_NATS wins, so the command asks NATS.
    const both = await recqWith({ RECQ_NATS: NO_NATS, RECQ_DB: 'env.db' }, ['events']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain(`Cannot connect to NATS at ${NO_NATS}`);

    const flags = await recq(['events', '--db', 'env.db', '--nats', NO_NATS], workspace.dir);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('give --db FILE or --nats URL, not both');
  });

  it('prints a bash completion script that bash accepts and that completes commands, subcommands and flags', async () => {
    const outcome = await recq(['completion', 'bash'], workspace.dir);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    const script = workspace.write('recq.bash', outcome.stdout);
    expect(spawnSync('bash', ['-n', script], { cwd: workspace.dir, encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });

    const complete = (words: readonly string[]): string[] => {
      const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _recq; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const run = spawnSync('bash', ['-c', line], { cwd: workspace.dir, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      return run.stdout.split('\n').filter(Boolean);
    };
    expect(complete(['recq', 'st'])).toEqual(['status']);
    expect(complete(['recq', 'dlq', ''])).toEqual(['list', 'show', 'retry', 'skip']);
    expect(complete(['recq', 'commands', ''])).toEqual(['cancel']);
    expect(complete(['recq', 'events', '--fo'])).toEqual(['--follow']);
    expect(complete(['recq', 'dlq', 'list', '--db', 'x.db', '--sta'])).toEqual(['--status']);
    expect(complete(['recq', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('prints zsh and fish completion scripts from the same definitions, and refuses another shell', async () => {
    const zsh = await recq(['completion', 'zsh'], workspace.dir);
    expect(zsh.stdout).toMatch(/^#compdef recq\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    const fish = await recq(['completion', 'fish'], workspace.dir);
    expect(fish.stdout).toContain("complete -c recq -n '__fish_use_subcommand' -a dlq -d 'dead letters: list, show, retry, skip'");
    expect(fish.stdout).toContain("complete -c recq -n '__fish_seen_subcommand_from dlq; and __fish_seen_subcommand_from retry' -l wait -r -F");
    const tcsh = await recq(['completion', 'tcsh'], workspace.dir);
    expect(tcsh).toMatchObject({ code: 2, stderr: 'recq: unknown shell "tcsh": recq completes bash, zsh, fish\nRun "recq completion --help" for usage.\n' });
  });
});

describe('--db or --nats, from flags and variables', () => {
  const values = (given: { db?: string; nats?: string; namespace?: string }, fromEnv: string[]) => ({ ...given, [FROM_ENV]: new Set(fromEnv) });

  it('lets a flag on the command line beat the other flag’s variable', () => {
    expect(parseNatsInsteadOfDb('status', values({ db: 'a.db', nats: NO_NATS, namespace: 'ns' }, ['nats', 'namespace']))).toBeUndefined();
    expect(parseNatsInsteadOfDb('status', values({ db: 'a.db', nats: NO_NATS }, ['db']))?.url).toBe(NO_NATS);
  });

  it('lets RECQ_NATS beat RECQ_DB when no flag says, and refuses both flags', () => {
    expect(parseNatsInsteadOfDb('status', values({ db: 'a.db', nats: NO_NATS, namespace: 'ns' }, ['db', 'nats', 'namespace']))).toMatchObject({
      url: NO_NATS,
      namespace: 'ns',
    });
    expect(() => parseNatsInsteadOfDb('status', values({ db: 'a.db', nats: NO_NATS }, []))).toThrow('give --db FILE or --nats URL, not both');
    expect(() => parseNatsInsteadOfDb('status', values({ db: 'a.db', namespace: 'ns' }, []))).toThrow('give --nats URL too');
  });
});
