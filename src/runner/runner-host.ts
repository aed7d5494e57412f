import type { HostWork } from '../../actors/host.machine.ts';
import type { Component } from '../component/component.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { DeadLetter } from '../css/consumer-store.ts';
import { ComponentHost } from '../host/component-host.ts';
import { Relay } from '../host/relay.ts';
import { ReplayBeforeRestore } from '../host/replay-before-restore.ts';
import type { RunnerOptions } from './runner-options.ts';

/**
 * A fresh host for one of a runner's consumers, with the relay its deployment needs, and the
 * work its host machine drives: the host itself, or (where commands are queued in the file)
 * the host with queued replays applied before it restores.
 */
export function buildHost(
  r: RunnerOptions,
  component: Component,
  commands: CommandQueue | undefined,
  progress: () => void,
): { host: ComponentHost; work: HostWork<DeadLetter> } {
  const o = r.options;
  const consumer = component.name;
  let host: ComponentHost | undefined;
  const relay = r.outbox
    ? new Relay({ consumer, outbox: r.outbox, log: r.log, clock: o.clock, logger: o.logger, onFenced: (error) => host?.fence(error), onDrained: progress })
    : undefined;
  host = new ComponentHost({
    component,
    consumer,
    owner: o.owner,
    store: r.store,
    log: r.log,
    transport: r.transport,
    clock: o.clock,
    logger: o.logger,
    checkpoint: { ...o.checkpoint, ...component.checkpoint },
    retry: { ...o.retry, ...component.retry },
    random: o.random,
    passivateAfterMs: component.passivateAfterMs ?? o.passivateAfterMs,
    leaseTtlMs: o.leaseTtlMs,
    readPageSize: o.readPageSize,
    maxPayloadBytes: o.maxPayloadBytes,
    fence: r.fence,
    checkLeaseLocally: r.outbox !== undefined,
    onProgress: progress,
    probe: o.probe.consumer(consumer),
    ...(relay ? { relay } : {}),
    ...(commands ? { commands } : {}),
    ...(o.inspect ? { inspect: o.inspect } : {}),
  });
  if (!commands) return { host, work: host };
  const work = new ReplayBeforeRestore(host, {
    consumer,
    patterns: component.patterns,
    owner: o.owner,
    store: r.store,
    log: r.log,
    commands,
    logger: o.logger,
    fence: r.fence,
  });
  return { host, work };
}
