import { expect } from 'vitest';

/** One scrape of a `/metrics` endpoint: its samples, by series name and labels. */
export interface Scrape {
  text: string;
  contentType: string | null;
  /** The sample of `name` whose labels include `labels`; undefined if there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Names of every series in the scrape (histograms as their `_bucket`, `_sum` and `_count`). */
  names(): Set<string>;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The URL a system serves its metrics at (the test fails if it serves none). */
export function metricsUrl(system: { metrics: { url: string | undefined } | undefined }): string {
  const url = system.metrics?.url;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  return url as string;
}

/** GETs `url` over HTTP and parses Prometheus' text format (the subset prom-client writes). */
export async function scrape(url: string | undefined): Promise<Scrape> {
  expect(url).toBeDefined();
  const response = await fetch(url as string);
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map(parseSample);
  return {
    text,
    contentType: response.headers.get('content-type'),
    value: (name, labels = {}) =>
      samples.find((sample) => sample.name === name && Object.entries(labels).every(([label, v]) => sample.labels[label] === v))?.value,
    names: () => new Set(samples.map((sample) => sample.name)),
  };
}

function parseSample(line: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
  const labels: Record<string, string> = {};
  for (const [, label, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label as string] = value as string;
  return { name: match[1] as string, labels, value: Number(match[3]) };
}
