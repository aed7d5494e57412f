import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countByKey, type RecordedCall, readCalls } from '../../examples/agent/call-log.ts';
import { conversations } from '../../examples/agent/component.ts';
import { type AgentServices, APPROVAL_TIMEOUT_MS, type ConversationContext } from '../../examples/agent/conversation.machine.ts';
import { StandInLookup } from '../../examples/agent/lookup-tool.ts';
import type { LookupTool, Model } from '../../examples/agent/model.ts';
import { approvals, messages, type Plan, planConversations } from '../../examples/agent/scenarios.ts';
import { StandInModel } from '../../examples/agent/stand-in-model.ts';
import { type ActorView, type Envelope, SimulatedClock, type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';

const T0 = Date.UTC(2026, 0, 5, 9);
const COMPONENT = 'conversations';
/** c-001 … c-008: two chats, two status lookups, two refunds granted, one denied, and the last one a refund nobody answers. */
const PLANS = planConversations(8);
const LEASE_TTL_MS = 60_000;
const WAIT = { timeoutMs: 10_000 };

/** What a call asks, as the test picks the calls it holds back: the same on every worker, whatever its key. */
interface Asked {
  service: RecordedCall['service'];
  conversation: string;
  /** The transcript's length, for a model call: which of the conversation's model calls it is. */
  turns: number;
}

/**
 * At the loss: c-005's first model call, c-006's lookup and c-007's second model call (after its
 * lookup) are in flight; c-001 and c-002 have replied; c-003, c-004 and c-008 wait for an
 * approval, each with its 15 min timeout pending.
 */
const HELD = (asked: Asked): boolean =>
  (asked.service === 'model' && asked.conversation === 'c-005' && asked.turns === 1) ||
  (asked.service === 'tool' && asked.conversation === 'c-006') ||
  (asked.service === 'model' && asked.conversation === 'c-007' && asked.turns === 3);
const HELD_CONVERSATIONS = ['c-005', 'c-006', 'c-007'];

/**
 * The example's stand-in model and tool, each call recorded in a call log as it arrives (the
 * stand-ins do that); the calls `HELD` picks answer only once the test says so, as a slow
 * service would.
 */
class HeldServices implements AgentServices {
  readonly model: Model;
  readonly tool: LookupTool;
  readonly callLog: string;
  readonly #waiting = new Map<string, { conversation: string; answer: () => void }>();
  readonly #arrivals: (() => void)[] = [];
  #answering = false;

  constructor(callLog: string) {
    this.callLog = callLog;
    const standIn = { callLog, answerAfterMs: 0 };
    const model = new StandInModel(standIn);
    const tool = new StandInLookup(standIn);
    this.model = {
      complete: async (request, options) => {
        const reply = await model.complete(request, options);
        await this.#hold({ service: 'model', conversation: request.conversation, turns: request.transcript.length }, options.idempotencyKey);
        return reply;
      },
    };
    this.tool = {
      lookup: async (request, options) => {
        const result = await tool.lookup(request, options);
        await this.#hold({ service: 'tool', conversation: request.conversation, turns: 0 }, options.idempotencyKey);
        return result;
      },
    };
  }

  /** The keys of the calls held now, unanswered. */
  held(): string[] {
    return [...this.#waiting.keys()];
  }

  /** Resolves once a call of each of `conversations` is held. */
  async holding(conversations: readonly string[]): Promise<void> {
    const all = () => conversations.every((c) => [...this.#waiting.values()].some((w) => w.conversation === c));
    while (!all()) await new Promise<void>((resolve) => this.#arrivals.push(resolve));
  }

  /** Answers the held calls, and every call from now on at once. */
  answer(): void {
    this.#answering = true;
    for (const { answer } of this.#waiting.values()) answer();
    this.#waiting.clear();
  }

  calls(): RecordedCall[] {
    return readCalls(this.callLog);
  }

  #hold(asked: Asked, key: string): Promise<void> {
    if (this.#answering || !HELD(asked)) return Promise.resolve();
    return new Promise<void>((answer) => {
      this.#waiting.set(key, { conversation: asked.conversation, answer });
      for (const arrived of this.#arrivals.splice(0)) arrived();
    });
  }
}

const replied = (view: ActorView) => view.value === 'idle' && (view.context as ConversationContext).replies.length > 0;
const awaitingApproval = (view: ActorView) => view.value === 'awaitingApproval';

/** Moves the clock in steps of a quarter lease, each answered by every process (a lease renewal among them), as time goes by for live workers. */
async function advance(clock: SimulatedClock, ms: number, systems: readonly System[]): Promise<void> {
  for (let left = ms; left > 0; left -= LEASE_TTL_MS / 4) {
    clock.advance(Math.min(left, LEASE_TTL_MS / 4));
    for (const system of systems) await system.status();
  }
}

/** Every conversation as it is now: state, context, status, and the id (not the seq) of the last event it applied. */
async function conversationsOf(system: System): Promise<Record<string, unknown>> {
  const ids = new Map((await system.events()).map((e) => [e.seq, e.id]));
  const found: Record<string, unknown> = {};
  for (const { conversation } of PLANS) {
    const { value, context, status, seq } = await system.query(COMPONENT, conversation);
    found[conversation] = { value, context, status, last: ids.get(seq) };
  }
  return found;
}

/** The log as what each conversation met, in order: ids, topics and events (not seqs or times, which are the run's own). */
function perConversation(log: readonly Envelope[]): Record<string, unknown[]> {
  const byKey: Record<string, unknown[]> = {};
  for (const { id, topic, key = '', event, causation } of log) {
    const met = byKey[key] ?? [];
    met.push({ id, topic, event, causation });
    byKey[key] = met;
  }
  return byKey;
}

/** Where a run stands: a system and the services its actors call. */
interface Running {
  system: System;
  services: HeldServices;
  /** Every process of the run, to answer each step of the clock. */
  processes: System[];
}

/**
 * The story every run tells: each conversation's message; the held calls in flight while the
 * others reply or wait for an approval (the loss comes here, if any); the held calls answered;
 * the humans' approvals and denials; the clock past the approval timeout. `lose`, if given,
 * loses the run's process and returns the one that took over; the story goes on there once its
 * held calls are in flight again. Resolves with the conversations at the loss (or where it would be).
 */
async function story(clock: SimulatedClock, start: Running, lose?: () => Promise<Running>): Promise<Record<string, unknown>> {
  let { system, services } = start;
  await system.publishMany(messages(PLANS));
  await services.holding(HELD_CONVERSATIONS);
  await Promise.all(
    PLANS.filter((plan) => !HELD_CONVERSATIONS.includes(plan.conversation)).map((plan) =>
      system.waitFor(COMPONENT, plan.conversation, plan.approval === null ? replied : awaitingApproval, WAIT),
    ),
  );
  await system.settled();
  let running = start;
  if (lose) {
    running = await lose();
    ({ system, services } = running);
    await services.holding(HELD_CONVERSATIONS);
    await system.settled();
  }
  const atLoss = await conversationsOf(system);

  services.answer();
  await Promise.all(PLANS.map((plan) => system.waitFor(COMPONENT, plan.conversation, plan.approval === null ? replied : awaitingApproval, WAIT)));
  await system.settled();
  const answered = PLANS.filter((plan) => plan.approval === 'granted' || plan.approval === 'denied');
  await system.publishMany(approvals(PLANS));
  await Promise.all(answered.map((plan) => system.waitFor(COMPONENT, plan.conversation, replied, WAIT)));
  await system.settled();
  await advance(clock, APPROVAL_TIMEOUT_MS, running.processes);
  await Promise.all(PLANS.map((plan) => system.waitFor(COMPONENT, plan.conversation, replied, WAIT)));
  await system.settled();
  return atLoss;
}

/** Distinct model and tool calls per conversation, by key. */
function invocations(calls: readonly RecordedCall[], plan: Plan): { model: number; tool: number } {
  const distinct = (service: RecordedCall['service']) =>
    new Set(calls.filter((c) => c.conversation === plan.conversation && c.service === service).map((c) => c.key)).size;
  return { model: distinct('model'), tool: distinct('tool') };
}

describe('agent example: a worker and its file lost mid-call, the standby takes over', () => {
  let nats: NatsServer;
  beforeEach(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await nats.stop();
  });
  const scratch = useScratch();

  it('ends every conversation and the log as a run that never failed does, and calls again only what was in flight', async () => {
    // The reference: the same story on one embedded system that never fails.
    const referenceClock = new SimulatedClock(T0);
    const referenceServices = new HeldServices(scratch.file('reference.calls'));
    const referenceSystem = await scratch.start({
      db: scratch.file('reference.db'),
      components: [conversations(referenceServices)],
      clock: referenceClock,
      leaseTtlMs: LEASE_TTL_MS,
      logger: silentLogger,
    });
    const referenceAtLoss = await story(referenceClock, { system: referenceSystem, services: referenceServices, processes: [referenceSystem] });
    const referenceLog = await referenceSystem.events();

    const clock = new SimulatedClock(T0);
    const options = { nats: { servers: nats.url, namespace: 'agent' }, leaseTtlMs: LEASE_TTL_MS, clock, logger: silentLogger };
    const supervisor = scratch.keep(await startSupervisor({ ...options, db: scratch.file('sss.db') }));
    const lostServices = new HeldServices(scratch.file('worker-1.calls'));
    const lostFile = scratch.file('worker-1.db');
    const lost = await startWorker({ ...options, db: lostFile, components: [conversations(lostServices)], owner: 'worker-1' });
    const services = new HeldServices(scratch.file('worker-2.calls'));
    const worker = scratch.keep(await startWorker({ ...options, db: scratch.file('worker-2.db'), components: [conversations(services)], owner: 'worker-2' }));
    expect((await worker.status()).consumers[0]).toMatchObject({ hostState: 'standby' });

    let inFlight: string[] = [];
    let logAtLoss: Envelope[] = [];
    const failedAtLoss = await story(clock, { system: lost, services: lostServices, processes: [supervisor, lost, worker] }, async () => {
      await lost.halt();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${lostFile}${suffix}`, { force: true });
      // In flight: called by the lost worker, with no outcome in the log.
      logAtLoss = await worker.events();
      const recorded = new Set(logAtLoss.filter((e) => e.topic === `$input.${COMPONENT}`).map((e) => (e.event as { child?: string }).child));
      inFlight = [...new Set(lostServices.calls().map((call) => call.key))].filter((key) => !recorded.has(key));
      while ((await worker.status()).consumers[0]?.hostState !== 'live') await advance(clock, LEASE_TTL_MS / 4, [supervisor, worker]);
      return { system: worker, services, processes: [supervisor, worker] };
    });
    const log = await worker.events();

    // The loss hit calls in flight (a model call first and after a lookup, a lookup) and pending approval timeouts.
    expect(new Set(inFlight)).toEqual(new Set(lostServices.held()));
    expect(
      new Set(
        lostServices
          .calls()
          .filter((call) => inFlight.includes(call.key))
          .map((call) => `${call.service} ${call.conversation}`),
      ),
    ).toEqual(new Set(['model c-005', 'tool c-006', 'model c-007']));
    const pendingTimers = logAtLoss.filter((e) => e.topic === 'agent.approval-requested').map((e) => e.key);
    expect(pendingTimers.sort()).toEqual(['c-003', 'c-004', 'c-008']);

    // The standby rebuilt every conversation from the log to where the reference stood, then both went on alike.
    expect(failedAtLoss).toEqual(referenceAtLoss);
    expect(await conversationsOf(worker)).toEqual(await conversationsOf(referenceSystem));
    for (const plan of PLANS) {
      const { context } = await worker.query(COMPONENT, plan.conversation);
      expect((context as ConversationContext).replies, plan.conversation).toEqual([plan.reply]);
      expect((context as ConversationContext).approvals, plan.conversation).toEqual(plan.approval === null ? [] : [plan.approval]);
    }
    // The same events under the same ids, each conversation's in the same order; none twice.
    expect(perConversation(log)).toEqual(perConversation(referenceLog));
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    const timeouts = log.filter((e) => e.topic === 'agent.timeout');
    expect(timeouts.map((e) => e.key)).toEqual(['c-008']);
    expect(timeouts[0]?.id).toMatch(/^conversations\/c-008\/timer\//);

    // Each key was called once, but those in flight at the loss: once by each worker, under the same key.
    const lostCalls = lostServices.calls();
    const takenOverCalls = services.calls();
    const counts = countByKey([...lostCalls, ...takenOverCalls]);
    for (const [key, n] of counts) expect(n, key).toBe(inFlight.includes(key) ? 2 : 1);
    const lostKeys = new Set(lostCalls.map((call) => call.key));
    expect(new Set(takenOverCalls.filter((call) => lostKeys.has(call.key)).map((call) => call.key))).toEqual(new Set(inFlight));
    // The same keys as the run that never failed, which called each once; as many as each story needs.
    const referenceCalls = referenceServices.calls();
    expect([...countByKey(referenceCalls).values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(referenceCalls.map((call) => call.key)));
    for (const plan of PLANS) expect(invocations([...lostCalls, ...takenOverCalls], plan), plan.conversation).toEqual(plan.calls);
    expect(worker.deadLetters()).toEqual([]);
  });
});
