/**
 * Summarizes a V8 `.cpuprofile`: where self time goes by area (recq's src/ and actors/,
 * xstate, better-sqlite3, node, GC) and the hottest functions by self and inclusive time.
 *
 * @example
 * node --cpu-prof --cpu-prof-dir=prof --import tsx bench/run.ts --only W1 --mode embedded
 * node --import tsx bench/profile-summary.ts prof/*.cpuprofile
 *
 * With `--mode nats` the supervisor's child process writes its own profile next to the
 * worker's (the bench process). Node names them `CPU.<date>.<time>.<pid>.<thread>.<n>`;
 * thread 0 is the main thread, the others are tsx's loader.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const AREAS: [string, RegExp][] = [
  ['recq src/', /\/work\/[^/]+\/src\//],
  ['recq actors/', /\/actors\//],
  ['recq bench/', /\/bench\//],
  ['xstate', /node_modules\/xstate\//],
  ['better-sqlite3', /node_modules\/better-sqlite3\//],
  ['node', /^node:/],
];

function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  return AREAS.find(([, re]) => re.test(url))?.[0] ?? 'other';
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(/^.*?\/(src|actors|bench|node_modules)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
}

function summarize(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(profile.samples[i] as number) as ProfileNode;
    total += ms;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + ms);
    areas.set(areaOf(leaf), (areas.get(areaOf(leaf)) ?? 0) + ms);
    // Count each function once per stack, so recursion does not inflate it.
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id) as ProfileNode);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  const pct = (ms: number) => `${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms`;
  const print = (title: string, entries: Map<string, number>, filter: (name: string) => boolean = () => true) => {
    console.log(`\n${title}`);
    for (const [name, ms] of [...entries]
      .filter(([n]) => filter(n))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top))
      console.log(`  ${pct(ms)}  ${name}`);
  };
  console.log(`${file}: ${total.toFixed(0)} ms sampled`);
  print('self time by area', areas);
  print('self time by function', self);
  print('inclusive time, recq functions', inclusive, (n) => / (src|actors)\//.test(n));
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>...');
  process.exitCode = 2;
}
for (const file of files) summarize(file, 25);
