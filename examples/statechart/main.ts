import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ARCHIVE_AFTER_MS, REVIEW_DEADLINE_MS } from './document.machine.ts';
import { type Restart, runScenarios } from './run.ts';

/**
 * Document approvals as a statechart (nested, parallel and deep-history states, guards, 48 h
 * and 30 day timers), run on recq with the system restarted — or crashed — between every two
 * steps, and checked against plain in-memory XState.
 *
 * `npm run example:statechart` (add `-- --restart stop` for clean stops, `--db FILE` to keep the file)
 */
const { values } = parseArgs({ options: { restart: { type: 'string', default: 'crash' }, db: { type: 'string' } }, strict: true });
const restart = values.restart as Restart;
if (!['stop', 'crash', 'none'].includes(restart)) {
  console.error(`--restart must be stop, crash or none, not ${JSON.stringify(values.restart)}`);
  process.exit(2);
}
const dir = values.db ? undefined : mkdtempSync(join(tmpdir(), 'recq-statechart-'));
const db = values.db ?? join(dir as string, 'documents.db');
try {
  console.log(`document approvals on ${db}: a ${restart === 'crash' ? 'crash (halt)' : restart} between every two steps`);
  console.log(
    `time is simulated: the ${REVIEW_DEADLINE_MS / 3_600_000} h review deadlines and the ${ARCHIVE_AFTER_MS / 86_400_000} day archive take no real time`,
  );
  const run = await runScenarios({ db, restart });
  for (const r of run.results) {
    console.log(`${r.matches ? 'PASS' : 'FAIL'} ${r.document.padEnd(10)} ${JSON.stringify(r.actual).padEnd(58)} ${r.story}`);
    if (!r.matches) console.log(`     plain XState ends in ${JSON.stringify(r.expected)}`);
  }
  const publishedOk = run.published.log === run.published.expected;
  console.log(`${publishedOk ? 'PASS' : 'FAIL'} document.published in the log: ${run.published.log} (plain XState emitted ${run.published.expected})`);
  const ok = publishedOk && run.results.every((r) => r.matches);
  console.log(ok ? `PASS every document ends where plain XState ends, across ${run.restarts} restarts` : 'FAIL see above');
  if (!ok) process.exitCode = 1;
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
