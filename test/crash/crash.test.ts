import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Children, useChildren } from '../support/child-process.ts';
import { TempDir } from '../support/temp-dir.ts';
import { type CanonicalRun, canonicalize, differences } from './compare.ts';
import type { RunResult } from './worker.ts';

const TOTAL_EVENTS = 4000;
const PLANNED_KILLS = 24;
const REQUIRED_KILLS = 20;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

const seed = process.env.RECQ_CRASH_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.RECQ_CRASH_SEED);

/** Small seeded PRNG (mulberry32), so the kill plan of a failing run can be replayed. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface LifeOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The checkpoint commit the process was inside when it died, if any. */
  openCommit: { consumer: string; offset: number } | undefined;
}

/**
 * Runs one worker lifetime. `onLine` sees every stdout line and may kill the process; lines
 * that arrive after the kill are still reported, as they are what the process did before it died.
 */
async function runLife(
  children: Children,
  db: string,
  checkpointMaxEvents: number,
  resultFile: string,
  onLine: (line: string, kill: () => void) => void,
): Promise<LifeOutcome> {
  const child = children.start({
    name: 'crash worker',
    script: workerScript,
    args: [db, String(TOTAL_EVENTS), String(checkpointMaxEvents), resultFile],
    cwd: REPO,
  });
  let openCommit: LifeOutcome['openCommit'];
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  child.onLine((line) => {
    const [word, consumer, offset] = line.split(' ');
    if (word === 'commit+') openCommit = { consumer: consumer as string, offset: Number(offset) };
    if (word === 'commit-') openCommit = undefined;
    onLine(line, kill);
  });
  const { code, signal, stderr } = await child.exited;
  return { code, signal, stderr, openCommit };
}

async function runToCompletion(children: Children, db: string, checkpointMaxEvents: number, resultFile: string): Promise<RunResult> {
  const outcome = await runLife(children, db, checkpointMaxEvents, resultFile, () => {});
  if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code ?? outcome.signal}: ${outcome.stderr}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult;
}

interface CrashStats {
  kills: number;
  signals: (NodeJS.Signals | null)[];
  /** Kills that landed between the start and the end of a checkpoint commit. */
  insideCommit: number;
  /** Of those, how many had reached SQLite (the restart found the commit's offset) and how many had not. */
  commitLanded: number;
  commitLost: number;
  lives: number;
  /** Progress at each kill, in % of the uncrashed run's work. */
  killedAt: number[];
}

/**
 * Kill plan: the run's progress is the sum of the consumers' committed offsets (read from the
 * commit lines), and `PLANNED_KILLS` targets are drawn uniformly over 2–97 % of the reference
 * run's final sum. Each lifetime runs until the next target is passed, then is killed either a
 * random 0–3 output lines later or at its next checkpoint commit, so that part of the kills land
 * inside a commit. Each lifetime also draws its own checkpoint size.
 */
async function crashRun(
  children: Children,
  db: string,
  resultFile: string,
  finalProgress: number,
  random: () => number,
): Promise<{ result: RunResult; stats: CrashStats }> {
  const targets = Array.from({ length: PLANNED_KILLS }, () => Math.floor((0.02 + 0.95 * random()) * finalProgress)).sort((a, b) => a - b);
  const offsets = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const stats: CrashStats = { kills: 0, signals: [], insideCommit: 0, commitLanded: 0, commitLost: 0, lives: 0, killedAt: [] };
  const progress = () => [...offsets.values()].reduce((sum, offset) => sum + offset, 0);

  const track = (line: string) => {
    const [word, consumer, offsetText] = line.split(' ');
    if (word !== 'restored' && word !== 'commit-') return;
    const offset = Number(offsetText);
    offsets.set(consumer as string, offset);
    const pending = inFlight.get(consumer as string);
    if (word === 'restored' && pending !== undefined) {
      inFlight.delete(consumer as string);
      if (offset >= pending) stats.commitLanded++;
      else stats.commitLost++;
    }
  };

  for (const target of targets) {
    const maxEvents = 7 + Math.floor(random() * 44);
    const killAtCommit = random() < 0.5;
    let linesToSkip = Math.floor(random() * 4);
    let triggered = false;
    stats.lives++;
    const outcome = await runLife(children, db, maxEvents, resultFile, (line, kill) => {
      track(line);
      if (line === 'final') return;
      triggered ||= progress() >= target;
      if (!triggered) return;
      if (killAtCommit ? line.startsWith('commit+') : linesToSkip-- <= 0) {
        if (stats.killedAt.length < stats.lives) stats.killedAt.push(Math.round((100 * progress()) / finalProgress));
        kill();
      }
    });
    if (outcome.signal === null) {
      if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code} (seed ${seed}): ${outcome.stderr}`);
      // The target lay past the end of this lifetime's work: it finished before the kill.
      return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult, stats };
    }
    stats.kills++;
    stats.signals.push(outcome.signal);
    if (outcome.openCommit) {
      stats.insideCommit++;
      inFlight.set(outcome.openCommit.consumer, outcome.openCommit.offset);
    }
  }
  stats.lives++;
  const outcome = await runLife(children, db, 7 + Math.floor(random() * 44), resultFile, track);
  if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code ?? outcome.signal} (seed ${seed}): ${outcome.stderr}`);
  return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult, stats };
}

function expectSameRun(label: string, reference: CanonicalRun, run: CanonicalRun): void {
  expect(run.problems, `${label}: the log or the consumers are inconsistent (seed ${seed})`).toEqual([]);
  expect(differences('event', reference.events, run.events), `${label}: the log differs from the uncrashed run (seed ${seed})`).toEqual([]);
  expect(differences('stream', reference.streams, run.streams), `${label}: one key's events are in another order (seed ${seed})`).toEqual([]);
  expect(differences('actor', reference.actors, run.actors), `${label}: an actor's final snapshot differs from the uncrashed run (seed ${seed})`).toEqual([]);
  expect(run.emitted, `${label}: emitted events (seed ${seed})`).toBe(reference.emitted);
}

/** The worker as one script for node (see the `beforeAll` below). */
let workerScript: string;

describe('crash safety', () => {
  const dir = new TempDir();
  // The worker and the sources it imports, in one file that node runs as it is: a lifetime then
  // starts in about a third of the time that loading the sources one by one through tsx takes,
  // and a run has up to 27 lifetimes. The file is written under the repository's .scratch/, so
  // that its packages (node_modules) resolve as the sources' do.
  const bundleDir = (() => {
    const scratch = path.join(REPO, '.scratch');
    mkdirSync(scratch, { recursive: true });
    return mkdtempSync(path.join(scratch, 'crash-worker-'));
  })();
  afterAll(() => {
    dir.remove();
    rmSync(bundleDir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    workerScript = path.join(bundleDir, 'worker.mjs');
    await build({
      entryPoints: [WORKER],
      outfile: workerScript,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
  });
  // After the directories' hook: a lifetime left running by a failure ends before its files go.
  const children = useChildren();

  it('after 20+ SIGKILLs at random points, some inside checkpoint commits, the log, every snapshot and every offset equal an uncrashed run', async () => {
    const random = seededRandom(seed);
    console.log(`crash test seed ${seed} (set RECQ_CRASH_SEED=${seed} to replay the kill plan)`);

    const reference = await runToCompletion(children, dir.file('reference.db'), 20, dir.file('reference.json'));
    const expected = canonicalize(reference);
    expect(expected.problems, 'the uncrashed run is itself inconsistent').toEqual([]);
    const audit = expected.actors.get('audit/_') as { context: { total: number; outOfOrder: number; perKey: Record<string, { cycles: number }> } };
    const cycles = Object.values(audit.context.perKey).reduce((sum, entry) => sum + entry.cycles, 0);
    // Every producer event emits one acc.added, every gate firing one gate.cycled, and the audit sees each.
    expect(expected.emitted).toBe(TOTAL_EVENTS + cycles);
    expect(audit.context.total).toBe(expected.emitted);
    expect(audit.context.outOfOrder).toBe(0);

    const finalProgress = reference.consumers.reduce((sum, consumer) => sum + consumer.offset, 0);
    const started = Date.now();
    const { result, stats } = await crashRun(children, dir.file('crash.db'), dir.file('crash.json'), finalProgress, random);
    console.log(
      `crash run: ${stats.lives} lifetimes, ${stats.kills} SIGKILLs, ${stats.insideCommit} inside a checkpoint commit ` +
        `(${stats.commitLanded} had reached SQLite, ${stats.commitLost} had not), ${Date.now() - started} ms; ` +
        `killed at ${stats.killedAt.join(', ')} % of the work`,
    );

    expect(stats.kills, `kills (seed ${seed})`).toBeGreaterThanOrEqual(REQUIRED_KILLS);
    expect(stats.signals.every((signal) => signal === 'SIGKILL')).toBe(true);
    expect(stats.insideCommit, `kills inside a checkpoint commit (seed ${seed})`).toBeGreaterThan(0);
    expectSameRun('after the crashes', expected, canonicalize(result));

    // One more lifetime on the settled file: state restored cold from the CSS, and re-publishing adds nothing.
    const reopened = await runToCompletion(children, dir.file('crash.db'), 20, dir.file('reopened.json'));
    expect(reopened.head).toBe(result.head);
    expectSameRun('after a clean restart', expected, canonicalize(reopened));
  }, 180_000);
});
