import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the dashboard's page into `dist/dashboard-page/` (index.html, app.js, app.css), so
 * it is served with no network: `npm run build` runs it.
 *
 * @example
 * await buildPage(); // then serveDashboard(...) finds the page
 */
export async function buildPage(outdir = fileURLToPath(new URL('../../../dist/dashboard-page/', import.meta.url))): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { app: fileURLToPath(new URL('./main.tsx', import.meta.url)) },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  writeFileSync(`${outdir}app.css`, await import('node:fs').then((fs) => fs.readFileSync(fileURLToPath(new URL('./app.css', import.meta.url)))));
  writeFileSync(
    `${outdir}index.html`,
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>recq dashboard</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/app.js"></script>
</body>
</html>
`,
  );
  return outdir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildPage();
