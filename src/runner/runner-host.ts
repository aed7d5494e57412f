import type { Component } from '../component/component.ts';
import type { CommandQueue } from '../css/commands.ts';
import { ComponentHost } from '../host/component-host.ts';
import type { Lease } from '../lease.ts';
import type { RunnerOptions } from './runner-options.ts';

/**
 * A fresh host for one of a runner's consumers, on its deployment's commit port, taking the
 * commands queued for it in the file, and presenting the lease its previous host held.
 */
export function buildHost(
  r: RunnerOptions,
  component: Component,
  commands: CommandQueue | undefined,
  progress: () => void,
  previousLease: Lease | undefined,
): ComponentHost {
  const o = r.options;
  return new ComponentHost({
    component,
    consumer: component.name,
    owner: o.owner,
    store: r.store,
    log: r.log,
    transport: r.transport,
    commits: r.commits,
    clock: o.clock,
    logger: o.logger,
    checkpoint: { ...o.checkpoint, ...component.checkpoint },
    retry: { ...o.retry, ...component.retry },
    random: o.random,
    passivateAfterMs: component.passivateAfterMs ?? o.passivateAfterMs,
    leaseTtlMs: o.leaseTtlMs,
    readPageSize: o.readPageSize,
    maxPayloadBytes: o.maxPayloadBytes,
    onProgress: progress,
    previousLease,
    probe: o.probe.consumer(component.name),
    ...(commands ? { commands } : {}),
    ...(o.inspect ? { inspect: o.inspect } : {}),
  });
}
