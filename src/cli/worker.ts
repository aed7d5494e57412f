import type { Component } from '../component/component.ts';
import { NoComponentsError } from '../errors.ts';
import { type SystemDefinition, startersOf } from '../system/define-system.ts';
import { defineCommand, parseOnePositional, UsageError } from './command.ts';
import { FLAGS, NATS_AUTH_FLAGS } from './flags.ts';
import { requireNatsTarget } from './nats-target.ts';
import { PROCESS_FLAGS, parseProcessFlags, processOptions } from './process-flags.ts';
import { serveUntilSignal } from './serve.ts';
import { loadDefinition } from './system-module.ts';

export const workerCommand = defineCommand({
  name: 'worker',
  summary: "run a module's components against a supervisor over NATS (distributed deployment)",
  about: `Usage: recq worker <module> --nats URL --db FILE [--components A,B] [--owner NAME] [--namespace NS]

Runs the hosts of the components that <module> (as for "recq run") exports, against the
supervisor ("recq supervisor") that serves the same NATS server and namespace. Their consumer
state lives in FILE, this worker's own SQLite file; what they emit is committed to an outbox
there with each checkpoint, then appended to the log (idempotently: each emitted event has a
deterministic id). The module's main is not run.

A consumer whose lease another worker holds waits as a standby, and takes over when that
lease expires (the owner stopped, or lost its connection for longer than the lease).

Prints one line to stderr once every consumer is live or standing by, then runs until Ctrl-C
(SIGINT) or SIGTERM, commits what it applied, gives its leases up and exits 0. A second
signal exits at once (130 or 143).
`,
  flags: {
    nats: FLAGS.nats,
    namespace: FLAGS.namespace,
    ...NATS_AUTH_FLAGS,
    ...PROCESS_FLAGS,
    db: { ...FLAGS.db, help: "this worker's SQLite file (consumer state and outbox); created if missing" },
    components: { type: 'string', usage: '--components A,B', help: "run only these of the module's components (default: all of them)" },
    owner: { ...FLAGS.owner, help: 'this worker\'s name in leases and in "recq status --nats" (default\nhost:pid:random)' },
  },
  positionals: true,
  async run({ values, positionals }) {
    const module = parseOnePositional('worker', positionals, 'missing <module>: the file whose default export is the system');
    const target = requireNatsTarget('worker', values);
    const db = values.db;
    if (db === undefined) throw new UsageError("missing --db FILE: this worker's own SQLite file", 'worker');
    if (values.owner === '') throw new UsageError('--owner expects a name', 'worker');
    const wanted = parseComponentList(values.components);

    const definition = await loadDefinition(module);
    const components = pickComponents(definition, wanted, module);
    const { main: _main, db: _db, nats: _nats, ...options } = definition;
    const owner = values.owner ?? definition.owner;
    return serveUntilSignal(
      'worker',
      target,
      () =>
        startersOf(definition).startWorker({
          ...options,
          ...processOptions(parseProcessFlags('worker', values)),
          components,
          db,
          nats: { servers: target.servers, namespace: target.namespace, ...target.credentials },
          ...(owner === undefined ? {} : { owner }),
        }),
      (system) =>
        `worker${owner === undefined ? '' : ` ${owner}`} running ${system.components.join(', ')} from ${module} on ${db} via ${target.url} (namespace ${target.namespace})`,
    );
  },
});

function parseComponentList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError(`--components expects component names separated by commas, got ${JSON.stringify(value)}`, 'worker');
  return [...new Set(names)];
}

/** The definition's components that `wanted` names (all of them without `--components`), in the definition's order. */
function pickComponents(definition: SystemDefinition, wanted: readonly string[] | undefined, module: string): Component[] {
  const all = definition.components;
  const known = all.map((component) => component.name);
  if (all.length === 0) throw new NoComponentsError(module);
  if (wanted === undefined) return [...all];
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const names = unknown.map((name) => JSON.stringify(name)).join(', ');
    throw new UsageError(
      `--components names ${unknown.length === 1 ? 'a component' : 'components'} ${module} does not define: ${names}. Its components: ${known.join(', ')}`,
      'worker',
    );
  }
  return all.filter((component) => wanted.includes(component.name));
}
