import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WAIT_MS } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colours are what it strips
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').replaceAll('\r', '');

describe('log lines of a process whose stderr is a terminal', () => {
  const scratch = useScratch();

  it('are one readable line each, the last of them written before the process exits', async () => {
    // script(1) runs the system under a pseudo-terminal, so its stderr is a TTY.
    const command = `node --import tsx test/logging/failing-system.ts ${JSON.stringify(scratch.file('tty.db'))}`;
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { cwd: REPO, timeout: WAIT_MS, env: { ...process.env, RECQ_LOG_LEVEL: '' } });
    const lines = plain(stdout)
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toEqual([
      expect.stringMatching(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: component billing failed on seq 1 \(attempt 1\); retrying in 1 ms: card declined \{"component":"billing","consumer":"billing","key":"k1","seq":1,"attempt":1,"error":\{"message":"card declined"\}\}$/,
      ),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: component billing is blocked on seq 1 after 2 attempts: card declined\. Retry or skip/),
    ]);
  });
});
