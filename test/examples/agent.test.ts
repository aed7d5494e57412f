import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProof, type Check, proveAgent } from '../../examples/agent/prove.ts';

/** Six conversations cover every story: chat, status lookup, refund granted, refund denied, and a refund that times out. */
const CONVERSATIONS = 6;

describe('stateful agent example: SIGKILL mid-call, restart, approvals, a durable timeout, then a replay', () => {
  let dir: string;
  let proof: AgentProof;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recq-agent-test-'));
    // A conversation that cannot get where it is awaited is reported after 3 s, not after the demo's 10 s.
    proof = await proveAgent({ conversations: CONVERSATIONS, dir, awaitMs: 3_000 });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const passes = (prefix: string) => {
    const check = proof.checks.find((c) => c.name.startsWith(prefix)) as Check;
    expect(check, `no check named "${prefix}…"`).toBeDefined();
    expect(check.ok, `${check.name}: ${check.detail}`).toBe(true);
  };

  it('kills the first process while a call is in flight, after other outcomes were recorded in the log', () => {
    passes('the SIGKILL hit calls in flight');
    expect(proof.kill.inFlight).toContain(proof.kill.key);
    expect(proof.kill.recorded).toBeGreaterThan(0);
  });

  it('brings every conversation to the end of its story after the restart', () => {
    passes('every conversation got to the end of its story');
  });

  it('ends every conversation idle with its one expected reply and approval outcome', () => {
    passes('every conversation ends idle');
  });

  it('logs agent.replied once per conversation and agent.timeout once, from the timer, where nobody approved', () => {
    passes('the log has agent.replied exactly once');
  });

  it('logs no event id twice', () => {
    passes('no event id appears twice');
  });

  it('calls each idempotency key once, and those in flight at the SIGKILL exactly twice under the same key', () => {
    passes('every idempotency key was called once');
  });

  it('invokes the model and the tool per conversation exactly as often as its story needs', () => {
    passes('each conversation invoked the model and the tool');
  });

  it('calls neither the model nor the tool during the replay', () => {
    passes('the replay called the model and the tool zero times');
    expect(proof.calls.duringReplay).toBe(0);
  });

  it('replays every conversation to exactly the state it had', () => {
    passes('the replay ends in exactly the same state');
  });

  it('adds nothing to the log during the replay', () => {
    passes('the replay added nothing to the log');
  });

  it('parks nothing as a dead letter', () => {
    passes('nothing was parked as a dead letter');
  });
});
