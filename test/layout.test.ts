import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The README's Layout, bottom up: a room may import from rooms before it in this list, from
 * inside itself and its subfolders, and from `actors/` (the runtime's statecharts). The shared
 * words (`src/*.ts` but the entry) come first; the entries (`src/index.ts`, `src/public/`) last.
 */
const ROOMS = [
  'src/errors',
  'src/(words)',
  'src/logging',
  'src/tracing',
  'src/http',
  'src/inspect',
  'src/nats',
  'src/transport',
  'src/sss',
  'src/css',
  'src/component',
  'src/metrics',
  'src/actor',
  'src/host',
  'src/runner',
  'src/operator',
  'src/system',
  'src/dashboard',
  'src/cli',
  'src/testing',
  'src/(entries)',
] as const;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

function roomOf(file: string): string {
  if (file.startsWith('actors/')) return 'actors';
  if (file === 'src/index.ts' || file.startsWith('src/public/')) return 'src/(entries)';
  if (file === 'src/errors.ts') return 'src/errors';
  const [, folder, rest] = file.split('/');
  if (rest === undefined) return 'src/(words)';
  return `src/${folder}`;
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    found.push(normalize(join(dirname(file), (m[1] ?? m[2]) as string)));
  }
  return found;
}

describe('the floor plan', () => {
  const files = [...sources('src'), ...sources('actors')].map((f) => relative(root, join(root, f)));
  const edges = files.flatMap((file) => imports(file).map((target) => ({ file, target, from: roomOf(file), to: roomOf(target) })));

  it('imports only from rooms below, as the README lists them', () => {
    const rank = (room: string) => (room === 'actors' ? -1 : ROOMS.indexOf(room as (typeof ROOMS)[number]));
    expect(files.map(roomOf).filter((room) => rank(room) === -1 && room !== 'actors')).toEqual([]);
    const upward = edges.filter((e) => e.from !== e.to && e.from !== 'actors' && e.to !== 'actors' && rank(e.to) > rank(e.from));
    expect(upward.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  });

  it('keeps the statecharts free of the runtime: actors/ imports only the shared words of src/', () => {
    const leaving = edges.filter((e) => e.from === 'actors' && e.to !== 'actors' && e.to !== 'src/(words)');
    expect(leaving.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  });

  it('has no two folders that import each other', () => {
    const folderOf = (file: string) => dirname(file);
    const pairs = new Set(edges.map((e) => `${folderOf(e.file)} ${folderOf(e.target)}`));
    const tangled = [...pairs]
      .map((pair) => pair.split(' ') as [string, string])
      .filter(([a, b]) => a < b && pairs.has(`${b} ${a}`) && !b.startsWith(`${a}/`) && !a.startsWith(`${b}/`));
    expect(tangled).toEqual([]);
  });
});
