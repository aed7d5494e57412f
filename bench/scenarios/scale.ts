import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GoalRow } from '../goals.ts';
import type { Scenario } from './scenario.ts';

const CHILD = fileURLToPath(new URL('./scale-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const W3_EVENTS = 1_000_000;
const W3_KEYS = 100_000;
/** W4 without a W3 file of its own run: 100,000 keys, three events each. */
const W4_EVENTS = 300_000;
const GIB_MB = 1024;
/** Idle actors leave memory after this long (the system default, 60 s, is longer than the run). */
const W3_PASSIVATE_AFTER_MS = 1_000;

type Figures = Record<string, number | boolean>;

/** The file the last W3 run left, with its size, for W4 to restart from. */
let filled: { db: string; events: number; keys: number; remove: () => Promise<void> } | undefined;

async function runChild(command: 'fill' | 'restart', db: string, events: number, keys: number): Promise<Figures> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', CHILD, command, db, String(events), String(keys), String(W3_PASSIVATE_AFTER_MS)],
    {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Figures;
}

async function fill(events: number, keys: number): Promise<Figures> {
  await filled?.remove();
  const dir = await mkdtemp(join(tmpdir(), 'recq-bench-w3-'));
  const db = join(dir, 'w3.db');
  filled = { db, events, keys, remove: () => rm(dir, { recursive: true, force: true }) };
  return runChild('fill', db, events, keys);
}

const num = (f: Figures, name: string): number => Number(f[name]);

/** W3: a million events over 100,000 keyed actors, embedded, in a child process of its own; throughput and peak RSS. */
export const w3Scale: Scenario = {
  name: 'W3',
  description: `scale: ${W3_EVENTS.toLocaleString('en-US')} events over ${W3_KEYS.toLocaleString('en-US')} keys embedded, idle actors passivated after ${W3_PASSIVATE_AFTER_MS} ms`,
  optIn: true,
  async run({ divisor }) {
    const events = W3_EVENTS / divisor;
    const keys = W3_KEYS / divisor;
    const f = await fill(events, keys);
    const metrics = { events, keys, passivateAfterMs: W3_PASSIVATE_AFTER_MS, ...f };
    return [
      {
        bench: 'W3',
        measure: `peak RSS, ${events.toLocaleString('en-US')} events / ${keys.toLocaleString('en-US')} keys`,
        figure: `${Math.round(num(f, 'peakRssMB'))} MB (${Math.round(num(f, 'eventsPerSec')).toLocaleString('en-US')} events/s)`,
        goal: '< 1 GiB',
        met: num(f, 'peakRssMB') < GIB_MB,
        verified: f.verified === true,
        metrics,
      },
    ];
  },
};

/** W4: a restart on a file with 100,000 stored snapshots and a long log (W3's, if it ran): to live, and to the first event applied. */
export const w4Restart: Scenario = {
  name: 'W4',
  description: `restart: ${W3_KEYS.toLocaleString('en-US')} stored snapshots and a long log (W3's file, or ${W4_EVENTS.toLocaleString('en-US')} events)`,
  async run({ divisor, progress }) {
    const keys = W3_KEYS / divisor;
    if (filled?.keys !== keys) {
      progress(`W4: filling ${(W4_EVENTS / divisor).toLocaleString('en-US')} events over ${keys.toLocaleString('en-US')} keys`);
      await fill(W4_EVENTS / divisor, keys);
    }
    const file = filled as NonNullable<typeof filled>;
    try {
      const f = await runChild('restart', file.db, file.events, file.keys);
      const metrics = { logEvents: file.events, ...f };
      const row = (measure: string, name: string): GoalRow => ({
        bench: 'W4',
        measure: `${measure}, ${num(f, 'storedSnapshots').toLocaleString('en-US')} snapshots, ${file.events.toLocaleString('en-US')}-event log`,
        figure: `${Math.round(num(f, name))} ms`,
        goal: '< 1 s',
        met: num(f, name) < 1000,
        verified: f.verified === true,
      });
      return [
        { ...row('process start → live', 'processStartToLiveMs'), metrics },
        row('createSystem → live', 'openToLiveMs'),
        row('process start → first event applied', 'processStartToFirstAppliedMs'),
      ];
    } finally {
      await file.remove();
      filled = undefined;
    }
  },
};
