import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** The names `src/index.ts` exports, each listed by name (an `export *` would hide them). */
function entryNames(): string[] {
  const text = read('src/index.ts');
  expect(text).not.toMatch(/export\s+(?:type\s+)?\*/);
  const names = [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
    (m[1] as string)
      .split(',')
      .map((name) => name.replace(/^\s*type\s+/, '').trim())
      .filter(Boolean),
  );
  return names.sort();
}

/** The names the README's API reference gives: its table of the entry, and the error classes under Errors. */
function readmeNames(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('\n## API reference\n'), readme.indexOf('\n## ', readme.indexOf('\n## API reference\n') + 1));
  const intro = section.slice(0, section.indexOf('\n### '));
  const rows = intro.split('\n').filter((line) => line.startsWith('|') && !line.startsWith('| for ') && !line.startsWith('| ---'));
  const listed = rows.flatMap((row) => [...(row.split('|')[2] ?? '').matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1] as string));
  const errors = section.slice(section.indexOf('\n### Errors\n'));
  const bullets = errors.slice(errors.indexOf('\n- '), errors.indexOf('\n\n', errors.indexOf('\n- ')));
  const classes = [...bullets.matchAll(/`([A-Za-z]+Error)`/g)].map((m) => m[1] as string);
  return [...new Set([...listed, ...classes])].sort();
}

describe('the public entry', () => {
  it('exports exactly what the README API reference lists', () => {
    expect(readmeNames()).toEqual(entryNames());
  });

  it('has at run time no value the list leaves out', async () => {
    const values = Object.keys(await import('../src/index.ts'));
    expect(values.filter((name) => !entryNames().includes(name))).toEqual([]);
  });
});
