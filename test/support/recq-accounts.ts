import { subjectsFor } from '../../src/nats/subjects.ts';

/** One NATS user of a recq system, and what its role lets it do. */
export interface RecqUser {
  user: string;
  password: string;
  role: 'supervisor' | 'worker' | 'producer';
  /** The consumers whose routes a worker may subscribe to (default: every route of the namespace). */
  consumers?: readonly string[];
  /** The owner name a worker's leases carry: it may answer only its own control subject (default: any). */
  owner?: string;
}

/** The reply-subject prefix of `user`: each user reads only its own replies. */
export const inboxOf = (user: string): string => `_INBOX_${user}`;

/**
 * A nats-server 2.9 config: one account for the recq system under `namespace`, with each
 * user limited to its role. Supervisors publish deliveries, announcements and control
 * requests and answer `<ns>.sss.*`; workers and producers only request `<ns>.sss.*` and
 * subscribe to their routes, announcements, status and control requests and their own
 * inbox; users of other accounts see nothing of the namespace.
 *
 * @example
 * const server = await startNatsServer({ config: recqAccountConfig('shop', [{ user: 'sup', password: 'pw', role: 'supervisor' }]) });
 */
export function recqAccountConfig(namespace: string, users: readonly RecqUser[], others: readonly { user: string; password: string }[] = []): string {
  const subjects = subjectsFor(namespace);
  const list = (items: readonly string[]): string => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const entries = users.map((u) => {
    const inbox = `${inboxOf(u.user)}.>`;
    if (u.role === 'supervisor') {
      return `      { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: {
          publish: { allow: ${list([`${namespace}.>`])} }
          subscribe: { allow: ${list([subjects.sssAll, `${namespace}.evt.>`, `${namespace}.status.>`, inbox])} }
          allow_responses: true
        } }`;
    }
    const routes = u.role === 'producer' ? [] : (u.consumers ?? ['>']).map((consumer) => `${namespace}.route.${consumer}`);
    const control = u.owner === undefined ? `${namespace}.control.*` : subjects.workerControl(u.owner);
    return `      { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: {
          publish: { allow: ${list([subjects.sssAll])} }
          subscribe: { allow: ${list([...routes, `${namespace}.evt.>`, subjects.workerStatus, control, inbox])} }
          allow_responses: true
        } }`;
  });
  const elsewhere = others.map((o) => `      { user: ${JSON.stringify(o.user)}, password: ${JSON.stringify(o.password)} }`);
  const other = others.length === 0 ? '' : `  OTHER {\n    users: [\n${elsewhere.join('\n')}\n    ]\n  }\n`;
  return `accounts {\n  RECQ {\n    users: [\n${entries.join('\n')}\n    ]\n  }\n${other}}\n`;
}
