import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspace, recqCommand, systemModule, type Workspace } from '../cli/recq-process.ts';
import { useChildren } from '../support/child-process.ts';
import { scrape } from './scrape.ts';

/** A port nothing listens on now (the OS picked it for a moment). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let workspace: Workspace;
beforeEach(() => {
  workspace = createWorkspace();
});
afterEach(() => workspace.remove());
// After the workspace's hooks: children end before their directory is removed.
const children = useChildren();

describe('recq run --metrics-port', () => {
  it('serves the system’s metrics on 127.0.0.1 at that port while it runs, and stops serving when it stops', async () => {
    const main = `
    await system.publish('counts.a', { type: 'add', amount: 1 });
    await system.publish('counts.b', { type: 'add', amount: 2 });
    await system.settled();
    console.log('ready ' + system.metrics?.url);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));`;
    const module = workspace.write('metrics.ts', systemModule({ main }));
    const port = await freePort();
    const running = children.start(recqCommand(['run', module, '--db', 'app.db', '--metrics-port', String(port)], workspace.dir));
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      await running.waitFor(/ready .*\n/, 'main published and settled');
      expect(running.lines).toContain(`ready ${url}`);
      const metrics = await scrape(url);
      expect(metrics.value('recq_consumer_events_applied_total', { consumer: 'counter' })).toBe(2);
      expect(metrics.value('recq_log_head')).toBe(2);
      expect(metrics.value('recq_consumer_lag_events', { consumer: 'counter' })).toBe(0);
    } finally {
      running.kill('SIGINT');
    }
    const exited = await running.exited;
    expect(exited.code).toBe(130);
    expect(exited.stderr).toContain(`recq: metrics on ${url}\n`);
    await expect(fetch(url)).rejects.toThrow();
  });
});
