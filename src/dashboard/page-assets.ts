import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DashboardNotBuiltError } from '../errors.ts';

/** The page's files, as `npm run build` bundles them, by the path the browser asks for. */
export type PageAssets = Map<string, { type: string; body: Buffer }>;

const FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * The built page: `dist/dashboard-page/` of the recq package, reached from `src/dashboard/`
 * (running from source) or from `dist/src/dashboard/` (the published build).
 */
export function pageDirectory(): string {
  const candidates = ['../../dist/dashboard-page/', '../../dashboard-page/'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`)) ?? (candidates[0] as string);
}

/** Reads the built page once; `DashboardNotBuiltError` if it is not there. */
export function loadPageAssets(directory = pageDirectory()): PageAssets {
  const assets: PageAssets = new Map();
  for (const [path, file] of Object.entries(FILES)) {
    const full = `${directory}${file}`;
    if (!existsSync(full)) throw new DashboardNotBuiltError(full);
    assets.set(path, { type: TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', body: readFileSync(full) });
  }
  return assets;
}
