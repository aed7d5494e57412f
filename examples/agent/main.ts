import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { proveAgent } from './prove.ts';

/**
 * The stateful agent, proved: conversations run in a child process that is SIGKILLed while model
 * calls are in flight, restarted, driven to their ends and replayed; one PASS or FAIL line per check.
 *
 * `npm run example:agent` (add `-- --conversations 50`, or `--keep` to keep the database and call log)
 */
const { values } = parseArgs({ options: { conversations: { type: 'string', default: '20' }, keep: { type: 'boolean', default: false } }, strict: true });
const count = Number(values.conversations);
if (!Number.isInteger(count) || count < 2 || count > 999) {
  console.error(`--conversations must be a whole number from 2 to 999, not ${JSON.stringify(values.conversations)}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'recq-agent-'));
try {
  const proof = await proveAgent({ conversations: count, dir, progress: (line) => console.log(`  ${line}`) });
  for (const check of proof.checks) console.log(`${check.ok ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
  console.log(
    proof.ok
      ? `PASS ${count} conversations survived a SIGKILL mid-call and a replay: ${proof.calls.total} calls in all, ${proof.kill.inFlight.length} made twice under the same key, none during the replay`
      : 'FAIL see above',
  );
  if (values.keep) console.log(`kept ${proof.db} and its call log ${proof.db}.calls`);
  if (!proof.ok) process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
