import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspace, PUBLISH_THREE, recq, systemModule, type Workspace } from '../cli/recq-process.ts';

let workspace: Workspace;
beforeEach(() => {
  workspace = createWorkspace();
});
afterEach(() => workspace.remove());

/** The JSON log lines of a process's stderr (every other line is the CLI's own `recq: ...`). */
const logLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string; [field: string]: unknown });

describe('recq run --log-level', () => {
  it('info: writes the start, restore and stop lines as JSON, all of them flushed before the process exits', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    const outcome = await recq(['run', module, '--db', 'app.db', '--log-level', 'info'], workspace.dir);
    expect(outcome.code).toBe(0);
    const lines = logLines(outcome.stderr);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['info', 'consumer counter starts at offset 0, with no actors in the CSS'],
      ['info', expect.stringMatching(/^started \(embedded\): components counter, on app\.db, as \S+$/)],
      ['info', 'consumer counter stopped at offset 2'],
      ['info', 'stopped (embedded) on app.db'],
    ]);
    expect(lines[0]).toMatchObject({ name: 'recq', component: 'counter', consumer: 'counter', offset: 0 });
    expect(JSON.parse(outcome.stdout)).toMatchObject({ count: 3 });
  });

  it('error, or RECQ_LOG_LEVEL=error: writes none of them', async () => {
    const module = workspace.write('system.ts', systemModule({ main: PUBLISH_THREE }));
    const outcome = await recq(['run', module, '--db', 'app.db', '--log-level', 'error'], workspace.dir);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
  });
});
