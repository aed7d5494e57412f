import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useChildren } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FAILING = 'test/logging/failing-system.ts';

interface Line {
  level: string;
  msg: string;
  name: string;
  time: number;
  [field: string]: unknown;
}

describe('log lines of a process whose stderr is not a terminal', () => {
  const scratch = useScratch();
  const children = useChildren();

  async function run(env: Record<string, string>) {
    const child = children.start({ name: 'failing system', entry: FAILING, args: [scratch.file('billing.db')], cwd: REPO, env });
    const outcome = await child.exited;
    const lines = outcome.stderr.split('\n').filter((line) => line !== '');
    return { outcome, lines, parsed: () => lines.map((line) => JSON.parse(line) as Line) };
  }

  it('are JSON, one a line, and a failed event names its component, consumer, key and seq, with the error and its stack', async () => {
    const { outcome, parsed } = await run({ RECQ_LOG_LEVEL: '' });
    expect(outcome.code).toBe(0);
    const lines = parsed();
    const retry = lines.find((line) => line.msg.startsWith('component billing failed on seq 1'));
    expect(retry).toMatchObject({
      level: 'warn',
      name: 'recq',
      time: expect.any(Number),
      component: 'billing',
      consumer: 'billing',
      key: 'k1',
      seq: 1,
      attempt: 1,
      error: { type: 'Error', message: 'card declined', stack: expect.stringContaining('Error: card declined') },
    });
    const blocked = lines.find((line) => line.msg.startsWith('component billing is blocked on seq 1'));
    expect(blocked).toMatchObject({ level: 'error', component: 'billing', consumer: 'billing', key: 'k1', seq: 1 });
    // The default level is warn: the info lines of start and stop are not written.
    expect(lines.map((line) => line.level)).not.toContain('info');
  });

  it('RECQ_LOG_LEVEL=error hides the warnings and keeps the errors', async () => {
    const { outcome, parsed } = await run({ RECQ_LOG_LEVEL: 'error' });
    expect(outcome.code).toBe(0);
    const lines = parsed();
    expect(lines.map((line) => line.level)).toEqual(['error']);
    expect(lines[0]?.msg).toMatch(/^component billing is blocked on seq 1 after 2 attempts: card declined/);
  });

  it('RECQ_LOG_LEVEL=debug writes the info lines of start, restore and stop too', async () => {
    const { parsed } = await run({ RECQ_LOG_LEVEL: 'debug' });
    const messages = parsed().map((line) => line.msg);
    expect(messages).toContain('consumer billing starts at offset 0, with no actors in the CSS');
    expect(messages.some((message) => /^started \(embedded\): components billing, on \S+billing\.db, as \S+$/.test(message))).toBe(true);
    expect(messages.some((message) => /^stopped \(embedded\) on \S+billing\.db$/.test(message))).toBe(true);
  });

  it('a level RECQ_LOG_LEVEL names wrongly is refused, naming the variable and the levels', async () => {
    const { outcome, lines } = await run({ RECQ_LOG_LEVEL: 'loud' });
    expect(outcome.code).toBe(1);
    expect(lines).toEqual([]);
    expect(outcome.stdout).toBe(
      'INVALID_OPTION: Invalid option RECQ_LOG_LEVEL = "loud": expected one of debug, info, warn, error, silent; or unset it, or pass logger.\n',
    );
  });
});
