#!/usr/bin/env node
// The CLI runs from the compiled library in dist/, which `npm run build` writes (npm runs it on
// `npm ci` and `npm install` through `prepare`); TypeScript system modules load through tsx on demand.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const main = new URL('dist/src/cli/main.js', root);

/**
 * In a clone of the repository (the only place tsconfig.build.json exists), sources edited since
 * the last build would leave the CLI running old code: run the sources through tsx instead.
 */
function sourcesNewerThanBuild() {
  if (!existsSync(new URL('tsconfig.build.json', root))) return false;
  if (!existsSync(main)) return true;
  const built = statSync(main).mtimeMs;
  for (const folder of ['src', 'actors']) {
    const dir = new URL(`${folder}/`, root);
    for (const file of readdirSync(dir, { recursive: true })) {
      if (String(file).endsWith('.ts') && statSync(new URL(String(file), dir)).mtimeMs > built) return true;
    }
  }
  return false;
}

if (sourcesNewerThanBuild()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/cli/main.ts', root).href);
} else if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write('recq: the compiled CLI (dist/src/cli/main.js) is missing: reinstall recq, or run "npm run build" in its folder.\n');
  process.exit(1);
}
