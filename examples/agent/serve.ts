/**
 * One lifetime of the agent system, driven over stdin and stdout by the proof (`prove.ts`):
 *
 *   node --import tsx examples/agent/serve.ts <db> <clockStartMs> <answerAfterMs>
 *
 * It opens the conversations component on `db` with a SimulatedClock starting at
 * `clockStartMs` (time moves only on the driver's `advance`), prints `{"type":"ready"}`, then
 * runs one JSON command per stdin line (`protocol.ts`) and answers each with one JSON line. The
 * stand-in model and tool print a `call` line once each call is on disk, before they answer.
 * It exits when stdin closes: it never outlives its driver.
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type ActorView, createSystem, type Envelope, SimulatedClock, type System, silentLogger, UnknownKeyError } from '../../src/index.ts';
import { callLogPath } from './call-log.ts';
import { conversations } from './component.ts';
import type { ConversationContext } from './conversation.machine.ts';
import { StandInLookup } from './lookup-tool.ts';
import { chooseModel } from './model-choice.ts';
import type { Awaited, Command, Milestone, Output, Report } from './protocol.ts';
import type { StandInOptions } from './stand-in-call.ts';

/** The same owner in every lifetime: a restarted process takes back the leases of the one killed before it. */
const OWNER = 'agent-serve';
const PAGE = 1000;

/** A synchronous write, so that a line the driver has read was written before any kill. */
function print(output: Output): void {
  const bytes = Buffer.from(`${JSON.stringify(output)}\n`);
  for (let written = 0; written < bytes.length; ) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // The pipe is non-blocking and the driver may be slow to drain it.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

async function viewOf(system: System, conversation: string): Promise<ActorView | null> {
  try {
    return await system.query('conversations', conversation);
  } catch (error) {
    if (error instanceof UnknownKeyError) return null;
    throw error;
  }
}

function reached(view: ActorView, until: Milestone): boolean {
  if (until === 'approval') return view.value === 'awaitingApproval';
  return view.value === 'idle' && (view.context as ConversationContext).replies.length > 0;
}

async function awaitAll(system: System, command: Extract<Command, { cmd: 'await' }>): Promise<Awaited> {
  const missing: Awaited['missing'] = [];
  await Promise.all(
    command.milestones.map(async ({ conversation, until }) => {
      try {
        await system.waitFor('conversations', conversation, (view) => reached(view, until), { timeoutMs: command.timeoutMs });
      } catch {
        missing.push({ conversation, until, view: await viewOf(system, conversation) });
      }
    }),
  );
  return { missing };
}

async function report(system: System, clock: SimulatedClock, keys: readonly string[]): Promise<Report> {
  const found: Report['conversations'] = {};
  for (const key of keys) {
    const view = await viewOf(system, key);
    if (view) found[key] = view;
  }
  const log: Envelope[] = [];
  for (let page = await system.events({ limit: PAGE }); page.length > 0; page = await system.events({ after: (log.at(-1) as Envelope).seq, limit: PAGE })) {
    log.push(...page);
  }
  const deadLetters = system.deadLetters().map((letter) => `${letter.consumer} seq ${letter.seq}: ${letter.error}`);
  return { now: clock.now(), conversations: found, log, deadLetters };
}

async function run(system: System, clock: SimulatedClock, command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'publish':
      return system.publishMany(command.inputs);
    case 'await':
      return awaitAll(system, command);
    case 'advance':
      clock.advance(command.ms);
      await system.settled();
      return { now: clock.now() };
    case 'report':
      await system.settled();
      return report(system, clock, command.conversations);
    case 'replay':
      await system.replay('conversations');
      await system.settled();
      return {};
    case 'stop':
      await system.stop();
      return {};
  }
}

async function main(): Promise<void> {
  const [db, startArg, answerArg] = process.argv.slice(2);
  const start = Number(startArg);
  const answerAfterMs = Number(answerArg);
  if (!db || !Number.isFinite(start) || !Number.isFinite(answerAfterMs) || answerAfterMs < 0) {
    throw new Error('usage: serve.ts <db> <clockStartMs> <answerAfterMs>');
  }
  const standIn: StandInOptions = { callLog: callLogPath(db), answerAfterMs, announce: (call) => print({ type: 'call', ...call }) };
  const clock = new SimulatedClock(start);
  const system = await createSystem({
    db,
    components: [conversations({ model: chooseModel(process.env, standIn), tool: new StandInLookup(standIn) })],
    clock,
    owner: OWNER,
    logger: silentLogger,
    // Leases renew every third of their time-to-live on this clock, which jumps by the approval timeout.
    leaseTtlMs: 24 * 60 * 60 * 1000,
  });
  print({ type: 'ready', pid: process.pid });

  // Commands run one at a time, in order.
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as Command;
    queue = queue.then(async () => {
      try {
        print({ type: 'done', id: command.id, result: await run(system, clock, command) });
        if (command.cmd === 'stop') process.exit(0);
      } catch (error) {
        print({ type: 'failed', id: command.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
  // The driver is gone: so is this lifetime.
  lines.on('close', () => process.exit(2));
}

main().catch((error: unknown) => {
  process.stderr.write(`agent serve failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
