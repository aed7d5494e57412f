import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createWorkspace, recqCommand, systemModule, type Workspace } from '../cli/recq-process.ts';
import { useChildren } from '../support/child-process.ts';

let workspace: Workspace;
beforeEach(() => {
  workspace = createWorkspace();
});
afterEach(() => workspace.remove());
const children = useChildren();

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const MAIN = `
    await system.publish('counts.a', { type: 'add', amount: 2 });
    await system.settled();
    console.log('ready');
    await new Promise((resolve) => signal.addEventListener('abort', resolve));`;

describe('recq run --inspect', () => {
  it('says where its inspector is, and serves the actors of the running system there', async () => {
    const port = await freePort();
    const module = workspace.write('system.ts', systemModule({ main: MAIN }));
    const running = children.start({ ...recqCommand(['run', module, '--db', 'app.db', '--inspect'], workspace.dir), env: { RECQ_INSPECT_PORT: String(port) } });
    const url = `http://127.0.0.1:${port}/`;
    await running.waitFor(
      new RegExp(`^recq: inspector on ${url.replaceAll('.', '\\.')} \\(the events as JSON on ws://127\\.0\\.0\\.1:${port}/\\)$`, 'm'),
      'the inspector line',
      {
        stream: 'stderr',
      },
    );
    await running.waitFor(/^ready$/m, 'main published and settled');

    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    const counted = new Promise<{ snapshot: { context: unknown } }>((resolve) =>
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; event?: { type: string }; snapshot: { context: unknown } };
        if (message.type === '@xstate.snapshot' && message.event?.type === 'add') resolve(message);
      }),
    );
    expect((await counted).snapshot.context).toEqual({ count: 2 });
    socket.close();
    running.kill('SIGINT');
    expect((await running.exited).code).toBe(130);
  });

  it('refuses a RECQ_INSPECT_PORT that is no port, naming it', async () => {
    const module = workspace.write('system.ts', systemModule({ main: MAIN }));
    const outcome = await startOnce(['run', module, '--db', 'app.db', '--inspect'], { RECQ_INSPECT_PORT: 'eighty' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('Invalid option RECQ_INSPECT_PORT = "eighty": expected a port from 1 to 65535');
  });
});

function startOnce(args: string[], env: Record<string, string>) {
  return children.start({ ...recqCommand(args, workspace.dir), env }).exited;
}
