import { join } from 'node:path';
import type { ActorView, Envelope } from '../../src/index.ts';
import { callLogPath, countByKey, type RecordedCall, readCalls } from './call-log.ts';
import { APPROVAL_TIMEOUT_MS, type ConversationContext } from './conversation.machine.ts';
import { MODEL_URL_VARIABLE } from './model-choice.ts';
import type { Awaited, Milestone, Report } from './protocol.ts';
import { recordedKeys } from './recorded-outcomes.ts';
import { approvals, messages, type Plan, planConversations } from './scenarios.ts';
import { ServeProcess } from './serve-process.ts';

/** One proof obligation, and what was found. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProofOptions {
  /** How many conversations to run. */
  conversations: number;
  /** A directory for the database and the call log. */
  dir: string;
  /** The stand-ins' answer time, in real milliseconds: the window in which the SIGKILL finds calls in flight. Default 25. */
  answerAfterMs?: number;
  /** The announced call (1-based, model or tool) on which the first process is killed. Default: a quarter into the second round. */
  killAtCall?: number;
  /** Real milliseconds a conversation may take to get where it is awaited before it is reported stuck. Default 10 000. */
  awaitMs?: number;
  /** Told what the proof is doing, a line at a time. */
  progress?: (line: string) => void;
}

export interface AgentProof {
  ok: boolean;
  checks: Check[];
  db: string;
  /** What the SIGKILL hit. */
  kill: { atCall: number; key: string; recorded: number; inFlight: string[] };
  /** Calls the stand-ins received: in all, and during the replay. */
  calls: { total: number; duringReplay: number };
  events: number;
}

/** The clock's start: a fixed day, so a run is reproducible. */
const T0 = Date.UTC(2026, 0, 5, 9);
const COMPONENT = 'conversations';
/** Mismatches listed in a failed check's detail; the rest are counted. */
const SHOWN = 3;

/**
 * Runs the agent in a child process, SIGKILLs it while model calls are in flight, restarts it on
 * the same file, drives every conversation to its end (approvals granted and denied, one left to
 * time out on the simulated clock), replays the component from the log, and checks from the
 * actors' states, the log (with its input records) and the stand-ins' call log that nothing was lost or
 * done twice.
 *
 * @example
 * const proof = await proveAgent({ conversations: 20, dir: mkdtempSync(join(tmpdir(), 'agent-')) });
 * for (const check of proof.checks) console.log(check.ok ? 'PASS' : 'FAIL', check.name);
 */
export async function proveAgent(options: ProofOptions): Promise<AgentProof> {
  const say = options.progress ?? (() => {});
  const db = join(options.dir, 'agent.db');
  const callLog = callLogPath(db);
  const plans = planConversations(options.conversations);
  const keys = plans.map((plan) => plan.conversation);
  const answerAfterMs = options.answerAfterMs ?? 25;
  const killAtCall = options.killAtCall ?? plans.length + Math.ceil(plans.length / 4);
  // The proof counts the stand-ins' calls: a real model configured in the environment is left out.
  const env = { ...process.env };
  delete env[MODEL_URL_VARIABLE];
  const serveOptions = { db, clockStartMs: T0, answerAfterMs, env };
  const awaitAll = (serve: ServeProcess, milestones: [string, Milestone][]) => awaitMilestones(serve, milestones, options.awaitMs ?? 10_000);

  say(`${plans.length} conversations on ${db}; the model and the tool answer after ${answerAfterMs} ms`);
  const first = await ServeProcess.start(serveOptions);
  const killedOn = await killOnCall(first, killAtCall, () => {
    // The SIGKILL may come before the publish is answered; the messages are committed by then (calls follow from them).
    first.send({ cmd: 'publish', inputs: messages(plans) }).catch(() => {});
  });
  const callsAtKill = readCalls(callLog);
  const recordedAtKill = recordedKeys(db, COMPONENT);
  const inFlight = [...new Set(callsAtKill.map((call) => call.key))].filter((key) => !recordedAtKill.has(key));
  say(
    `SIGKILLed process ${first.pid} on call ${killAtCall} (${killedOn.service} ${killedOn.key}): ${recordedAtKill.size} outcomes recorded, ${inFlight.length} calls in flight`,
  );

  const second = await ServeProcess.start(serveOptions);
  try {
    say(`restarted as process ${second.pid} on the same file`);
    const answered = plans.filter((plan) => plan.approval === 'granted' || plan.approval === 'denied');
    const timingOut = plans.filter((plan) => plan.approval === 'timeout');
    const stuck: string[] = [];
    stuck.push(
      ...(await awaitAll(
        second,
        plans.map((plan) => [plan.conversation, plan.approval === null ? 'replied' : 'approval']),
      )),
    );
    await second.send({ cmd: 'publish', inputs: approvals(plans) });
    say(`published ${answered.length} approvals (granted or denied); ${timingOut.length} left to time out`);
    stuck.push(
      ...(await awaitAll(
        second,
        answered.map((plan) => [plan.conversation, 'replied']),
      )),
    );
    await second.send({ cmd: 'advance', ms: APPROVAL_TIMEOUT_MS });
    say(`advanced the simulated clock by the approval timeout (${APPROVAL_TIMEOUT_MS / 60_000} min)`);
    stuck.push(
      ...(await awaitAll(
        second,
        timingOut.map((plan) => [plan.conversation, 'replied']),
      )),
    );
    const finished = await second.send<Report>({ cmd: 'report', conversations: keys });
    const callsBeforeReplay = readCalls(callLog);

    say(`replaying ${COMPONENT} from the log`);
    await second.send({ cmd: 'replay' });
    const stuckInReplay = await awaitAll(
      second,
      plans.map((plan) => [plan.conversation, 'replied']),
    );
    const replayed = await second.send<Report>({ cmd: 'report', conversations: keys });
    const callsAfterReplay = readCalls(callLog);
    await second.stop();

    const checks = [
      killCheck(killAtCall, killedOn, recordedAtKill.size, inFlight),
      check('every conversation got to the end of its story', stuck, `${plans.length - stuck.length}/${plans.length} conversations`),
      endStateCheck(plans, finished),
      outcomeEventsCheck(plans, finished.log),
      duplicateIdsCheck(finished.log),
      callsPerKeyCheck(callsBeforeReplay, inFlight),
      callsPerConversationCheck(plans, callsBeforeReplay),
      check(
        'the replay called the model and the tool zero times',
        callsAfterReplay.slice(callsBeforeReplay.length).map((call) => `${call.service} ${call.key}`),
        `${callsBeforeReplay.length} calls before the replay, ${callsAfterReplay.length} after`,
      ),
      replayStateCheck(plans, finished, replayed, stuckInReplay),
      replayLogCheck(finished.log, replayed.log),
      check('nothing was parked as a dead letter', replayed.deadLetters, 'none'),
    ];
    return {
      ok: checks.every((c) => c.ok),
      checks,
      db,
      kill: { atCall: killAtCall, key: killedOn.key, recorded: recordedAtKill.size, inFlight },
      calls: { total: callsAfterReplay.length, duringReplay: callsAfterReplay.length - callsBeforeReplay.length },
      events: replayed.log.length,
    };
  } finally {
    await second.kill();
  }
}

/** Starts the work, SIGKILLs the process as the stand-ins announce call number `atCall`, and resolves with that call. */
async function killOnCall(serve: ServeProcess, atCall: number, work: () => void): Promise<RecordedCall> {
  let announced = 0;
  const killed = new Promise<RecordedCall>((resolve) => {
    serve.onCall((call) => {
      if (++announced !== atCall) return;
      // At once, in the same turn as the line: the call has been announced and not answered.
      void serve.kill();
      resolve(call);
    });
  });
  work();
  const ended = serve.exited.then(() => {
    throw new Error(`serve.ts ended after ${announced} calls, before call ${atCall} to kill it on`);
  });
  const call = await Promise.race([killed, ended]);
  await serve.exited;
  return call;
}

async function awaitMilestones(serve: ServeProcess, milestones: [string, Milestone][], timeoutMs: number): Promise<string[]> {
  const awaited = await serve.send<Awaited>({ cmd: 'await', milestones: milestones.map(([conversation, until]) => ({ conversation, until })), timeoutMs });
  return awaited.missing.map(
    ({ conversation, until, view }) => `${conversation} never got to ${until} (it is ${view ? JSON.stringify(view.value) : 'missing'})`,
  );
}

function killCheck(atCall: number, on: RecordedCall, recorded: number, inFlight: readonly string[]): Check {
  const problems: string[] = [];
  if (!inFlight.includes(on.key)) problems.push(`the call killed on (${on.key}) has a recorded outcome`);
  if (recorded === 0) problems.push('no outcome was recorded before the kill');
  return check(
    'the SIGKILL hit calls in flight, after others were recorded',
    problems,
    `killed on call ${atCall} (${on.service}): ${recorded} outcomes recorded, ${inFlight.length} calls in flight`,
  );
}

function endStateCheck(plans: readonly Plan[], report: Report): Check {
  const wrong: string[] = [];
  for (const plan of plans) {
    const view = report.conversations[plan.conversation];
    const context = view?.context as ConversationContext | undefined;
    const approvals = plan.approval === null ? [] : [plan.approval];
    if (!view || !context) wrong.push(`${plan.conversation}: no actor`);
    else if (view.value !== 'idle' || view.status !== 'active') wrong.push(`${plan.conversation}: in ${JSON.stringify(view.value)} (${view.status})`);
    else if (JSON.stringify(context.replies) !== JSON.stringify([plan.reply])) wrong.push(`${plan.conversation}: replied ${JSON.stringify(context.replies)}`);
    else if (JSON.stringify(context.approvals) !== JSON.stringify(approvals))
      wrong.push(`${plan.conversation}: approvals ${JSON.stringify(context.approvals)}`);
  }
  const byKind = new Map<string, number>();
  for (const plan of plans) byKind.set(plan.kind, (byKind.get(plan.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ');
  return check('every conversation ends idle with its one expected reply and approval', wrong, kinds);
}

function outcomeEventsCheck(plans: readonly Plan[], log: readonly Envelope[]): Check {
  const wrong: string[] = [];
  const count = (key: string, topic: string) => log.filter((e) => e.key === key && e.topic === topic);
  for (const plan of plans) {
    const replied = count(plan.conversation, 'agent.replied');
    const timeouts = count(plan.conversation, 'agent.timeout');
    const requested = count(plan.conversation, 'agent.approval-requested');
    if (replied.length !== 1) wrong.push(`${plan.conversation}: ${replied.length} agent.replied`);
    else if (replied[0]?.event.text !== plan.reply) wrong.push(`${plan.conversation}: agent.replied says ${JSON.stringify(replied[0]?.event.text)}`);
    if (timeouts.length !== (plan.approval === 'timeout' ? 1 : 0)) wrong.push(`${plan.conversation}: ${timeouts.length} agent.timeout`);
    for (const e of timeouts)
      if (!e.id.startsWith(`${COMPONENT}/${plan.conversation}/timer/`)) wrong.push(`${plan.conversation}: agent.timeout ${e.id} is not a timer's`);
    if (requested.length !== (plan.approval === null ? 0 : 1)) wrong.push(`${plan.conversation}: ${requested.length} agent.approval-requested`);
  }
  const replies = log.filter((e) => e.topic === 'agent.replied').length;
  const timeouts = log.filter((e) => e.topic === 'agent.timeout').length;
  return check(
    'the log has agent.replied exactly once per conversation, agent.timeout exactly once where it timed out',
    wrong,
    `${replies} agent.replied, ${timeouts} agent.timeout`,
  );
}

function duplicateIdsCheck(log: readonly Envelope[]): Check {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of log) {
    if (seen.has(e.id)) twice.push(`${e.id} again at seq ${e.seq}`);
    seen.add(e.id);
  }
  return check('no event id appears twice in the log', twice, `${log.length} events`);
}

function callsPerKeyCheck(calls: readonly RecordedCall[], inFlight: readonly string[]): Check {
  const wrong: string[] = [];
  const counts = countByKey(calls);
  const repeated = new Set(inFlight);
  for (const [key, n] of counts) {
    const due = repeated.has(key) ? 2 : 1;
    if (n !== due) wrong.push(`${key}: called ${n}×, expected ${due}× (${repeated.has(key) ? 'in flight at the kill' : 'not in flight'})`);
  }
  for (const key of inFlight) {
    const lives = new Set(calls.filter((call) => call.key === key).map((call) => call.pid));
    if (lives.size !== 2) wrong.push(`${key}: in flight at the kill, called by ${lives.size} process(es)`);
  }
  return check(
    'every idempotency key was called once, except those in flight at the SIGKILL, called twice with the same key',
    wrong,
    `${counts.size} keys, ${calls.length} calls; ${inFlight.length} keys called again after the restart`,
  );
}

/** A call made again under a new key would pass the per-key count; the per-conversation count catches it. */
function callsPerConversationCheck(plans: readonly Plan[], calls: readonly RecordedCall[]): Check {
  const wrong: string[] = [];
  for (const plan of plans) {
    const distinct = (service: RecordedCall['service']) =>
      new Set(calls.filter((c) => c.conversation === plan.conversation && c.service === service).map((c) => c.key)).size;
    const model = distinct('model');
    const tool = distinct('tool');
    if (model !== plan.calls.model || tool !== plan.calls.tool) {
      wrong.push(`${plan.conversation}: ${model} model and ${tool} tool invocations, expected ${plan.calls.model} and ${plan.calls.tool}`);
    }
  }
  const model = plans.reduce((sum, plan) => sum + plan.calls.model, 0);
  const tool = plans.reduce((sum, plan) => sum + plan.calls.tool, 0);
  return check('each conversation invoked the model and the tool as often as its story needs, no more', wrong, `${model} model and ${tool} tool invocations`);
}

function replayStateCheck(plans: readonly Plan[], before: Report, after: Report, stuck: readonly string[]): Check {
  const wrong = [...stuck];
  for (const plan of plans) {
    const was = before.conversations[plan.conversation];
    const is = after.conversations[plan.conversation];
    if (!sameView(was, is)) wrong.push(`${plan.conversation}: was ${describe(was)}, replayed ${describe(is)}`);
  }
  return check(
    'the replay ends in exactly the same state for every conversation',
    wrong,
    `${plans.length} conversations compared (value, context, status, seq)`,
  );
}

function replayLogCheck(before: readonly Envelope[], after: readonly Envelope[]): Check {
  const wrong: string[] = [];
  for (const e of after.slice(before.length)) wrong.push(`new ${e.topic} ${e.id} at seq ${e.seq}`);
  if (wrong.length === 0 && JSON.stringify(before) !== JSON.stringify(after)) wrong.push('the log changed under the replay');
  return check('the replay added nothing to the log', wrong, `${after.length} events before and after`);
}

function sameView(a: ActorView | undefined, b: ActorView | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function describe(view: ActorView | undefined): string {
  if (!view) return 'missing';
  const context = view.context as ConversationContext;
  return `${JSON.stringify(view.value)} at seq ${view.seq}, ${context.transcript.length} turns`;
}

function check(name: string, problems: readonly string[], detail: string): Check {
  if (problems.length === 0) return { name, ok: true, detail };
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
  return { name, ok: false, detail: `${problems.slice(0, SHOWN).join('; ')}${more}` };
}
