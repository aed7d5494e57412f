import type { NatsConnection, Status } from 'nats';
import type { System } from '../../src/index.ts';

export const KEYS = ['k1', 'k2', 'k3', 'k4'] as const;

/** The inputs of one run: `count` adds spread over the keys, amounts 1, 2, 3, ... */
export function adds(count: number, prefix = 'e'): { topic: string; event: { type: 'add'; amount: number }; key: string; id: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: `inv.${KEYS[i % KEYS.length]}`,
    event: { type: 'add' as const, amount: i + 1 },
    key: KEYS[i % KEYS.length] as string,
    id: `${prefix}-${i}`,
  }));
}

/** Each key's sum and event count, as a run without any attack ends with. */
export function expectedSums(inputs: readonly { key: string; event: { amount: number } }[]): Record<string, { sum: number; count: number }> {
  const sums: Record<string, { sum: number; count: number }> = {};
  for (const input of inputs) {
    sums[input.key] ??= { sum: 0, count: 0 };
    const entry = sums[input.key] as { sum: number; count: number };
    entry.sum += input.event.amount;
    entry.count++;
  }
  return sums;
}

/** Each key's sum and event count as the recorder holds them, and the tally's total. */
export async function finalState(system: System): Promise<{ sums: Record<string, { sum: number; count: number }>; tally: number }> {
  const sums: Record<string, { sum: number; count: number }> = {};
  for (const key of KEYS) {
    const view = await system.query('recorder', key);
    const context = view.context as { sum: number; seqs: number[] } | undefined;
    if (context) sums[key] = { sum: context.sum, count: context.seqs.length };
  }
  const tally = (await system.query('tally')).context as { total: number } | undefined;
  return { sums, tally: tally?.total ?? 0 };
}

/** Resolves with the first status of `nc` that `matches`; rejects after `timeoutMs`. */
export function nextStatus(nc: NatsConnection, matches: (status: Status) => boolean, timeoutMs = 5_000): Promise<Status> {
  const statuses = nc.status();
  return new Promise<Status>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching NATS status within ${timeoutMs} ms`)), timeoutMs);
    void (async () => {
      for await (const status of statuses) {
        if (!matches(status)) continue;
        clearTimeout(timer);
        resolve(status);
        return;
      }
    })();
  });
}

/** Resolves with the permission violation the server reports for `operation` on `subject`. */
export const permissionViolation = (nc: NatsConnection, operation: 'publish' | 'subscription', subject: string): Promise<Status> =>
  nextStatus(
    nc,
    (status) => status.data === 'PERMISSIONS_VIOLATION' && status.permissionContext?.operation === operation && status.permissionContext.subject === subject,
  );
