import { DEFAULT_NAMESPACE } from '../nats/subjects.ts';

/** One command-line flag: how the command line reads it, and how `--help` shows it. */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The flag as help shows it, e.g. `--db FILE`. */
  usage: string;
  /** What it does; lines after the first are indented under the first. */
  help: string;
  /** The environment variable that gives the flag's value when the command line does not; help shows it. */
  env?: string;
}

/** A command's flags, by long name. */
export type Flags = Record<string, Flag>;

/**
 * On the values of a parsed command line: the flags whose value came from their environment
 * variable, not the command line, so a command can let a flag given on the command line win
 * over another flag's variable (`--db` over `RECQ_NATS`).
 */
export const FROM_ENV: unique symbol = Symbol('recq.fromEnv');

/** Values that may say which of them came from the environment. */
export interface EnvSourced {
  readonly [FROM_ENV]?: ReadonlySet<string>;
}

/** Whether `flag` has a value given on the command line (not one read from its environment variable). */
export function givenOnCommandLine<V extends EnvSourced>(values: V, flag: keyof V & string): boolean {
  return values[flag] !== undefined && !values[FROM_ENV]?.has(flag);
}

/** The file used when neither `--db` nor the system module names one. */
export const DEFAULT_DB = './recq.db';

/** How long a control command waits for a running system, unless `--wait` says otherwise. */
export const DEFAULT_WAIT_MS = 30_000;

/** The `-h, --help` flag every command has. */
export const HELP_FLAG = { type: 'boolean', short: 'h', usage: '-h, --help', help: 'show this help' } as const satisfies Flag;

/**
 * The flags several commands share. A command that means something more by one keeps the
 * parsing and says so in its help: `{ ...FLAGS.db, help: 'the SQLite file of the log' }`.
 */
export const FLAGS = {
  db: { type: 'string', usage: '--db FILE', help: `database file (default ${DEFAULT_DB})`, env: 'RECQ_DB' },
  json: { type: 'boolean', usage: '--json', help: 'print one JSON object instead of tables' },
  wait: {
    type: 'string',
    usage: '--wait MS',
    help: `how long to wait for a running system to apply the command (default ${DEFAULT_WAIT_MS};\n0 queues it without waiting)`,
  },
  nats: {
    type: 'string',
    usage: '--nats URL',
    help: 'the NATS server (nats://127.0.0.1:4222), or several, comma-separated,\nfrom one cluster: the process connects to one and fails over to the others',
    env: 'RECQ_NATS',
  },
  namespace: {
    type: 'string',
    usage: '--namespace NS',
    help: `first token of every subject (default ${DEFAULT_NAMESPACE}): systems that share a NATS\nserver differ here, and each process of one system must give the same`,
    env: 'RECQ_NAMESPACE',
  },
  owner: { type: 'string', usage: '--owner NAME', help: "this process's name in leases (default host:pid:random)" },
} as const satisfies Flags;

/**
 * How a command proves who it is to NATS. Each falls back to its `RECQ_NATS_*` variable
 * (`--nats-password` to `RECQ_NATS_PASSWORD`, ...), which keeps secrets out of `ps`.
 */
export const NATS_AUTH_FLAGS = {
  'nats-user': { type: 'string', usage: '--nats-user NAME', help: 'NATS user (with --nats-password; env RECQ_NATS_USER)' },
  'nats-password': { type: 'string', usage: '--nats-password SECRET', help: 'password of --nats-user (env RECQ_NATS_PASSWORD)' },
  'nats-token': { type: 'string', usage: '--nats-token SECRET', help: 'NATS token (env RECQ_NATS_TOKEN)' },
  'nats-nkey': { type: 'string', usage: '--nats-nkey SEED|FILE', help: 'NKey user seed, or a file holding one (env RECQ_NATS_NKEY)' },
  'nats-creds': { type: 'string', usage: '--nats-creds FILE', help: '.creds file: user JWT and NKey seed (env RECQ_NATS_CREDS)' },
  'nats-inbox-prefix': {
    type: 'string',
    usage: '--nats-inbox-prefix P',
    help: "prefix of this process's reply subjects (default _INBOX;\nenv RECQ_NATS_INBOX_PREFIX): give each NATS user its own",
  },
  'nats-tls-ca': { type: 'string', usage: '--nats-tls-ca FILE', help: 'CA of the NATS server certificate (env RECQ_NATS_TLS_CA)' },
  'nats-tls-cert': { type: 'string', usage: '--nats-tls-cert FILE', help: 'client certificate for TLS (env RECQ_NATS_TLS_CERT)' },
  'nats-tls-key': { type: 'string', usage: '--nats-tls-key FILE', help: 'key of --nats-tls-cert (env RECQ_NATS_TLS_KEY)' },
} as const satisfies Flags;

/**
 * The flags of a command that reads a database file, or with `--nats` asks a running system
 * instead (read with `parseNatsInsteadOfDb`): `--db`, `--nats`, `--namespace` and the NATS
 * credentials. `nats` says whom `--nats` reaches; `namespace`, whose namespace it is.
 *
 * @example
 * flags: { ...dbOrNatsFlags('ask the worker running the component, over this NATS server'), json: FLAGS.json },
 */
export function dbOrNatsFlags(nats: string, namespace = 'its namespace (default recq); only with --nats') {
  return {
    db: FLAGS.db,
    nats: { ...FLAGS.nats, help: nats },
    namespace: { ...FLAGS.namespace, help: namespace },
    ...NATS_AUTH_FLAGS,
  } as const satisfies Flags;
}

/** The flags of every command that controls a consumer through its database. */
export const CONTROL_FLAGS = { db: FLAGS.db, wait: FLAGS.wait } as const satisfies Flags;

/**
 * The options section of a command's help: one row per flag, then `notes`, then `-h, --help`,
 * descriptions lined up two spaces after the longest flag.
 *
 * @example
 * flagsHelp({ db: FLAGS.db });
 * // "  --db FILE   database file (default ./recq.db)\n  -h, --help  show this help"
 */
export function flagsHelp(flags: Flags, notes: readonly [usage: string, help: string][] = []): string {
  const rows: [string, string][] = [
    ...Object.values(flags).map((flag): [string, string] => [flag.usage, flag.env === undefined ? flag.help : `${flag.help} (env ${flag.env})`]),
    ...notes,
    [HELP_FLAG.usage, HELP_FLAG.help],
  ];
  const width = Math.max(...rows.map(([usage]) => usage.length)) + 2;
  return rows.flatMap(([usage, help]) => help.split('\n').map((line, i) => `  ${(i === 0 ? usage : '').padEnd(width)}${line}`)).join('\n');
}
