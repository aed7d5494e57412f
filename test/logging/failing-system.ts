// A system that logs with the default logger (no `logger` option): a `billing` component whose
// actor throws on `charge`, retried once and then blocked. Publishes one charge for key k1,
// waits until the consumer is blocked on it, stops, and exits. Argument: the database file.
import { setup } from 'xstate';
import { createSystem, defineComponent, RecqError } from '../../src/index.ts';

const billing = defineComponent({
  name: 'billing',
  key: true,
  subscribe: 'billing.*',
  retry: { maxAttempts: 2, initialDelayMs: 1, onExhausted: 'block' },
  logic: setup({ types: {} as { events: { type: 'charge' } } }).createMachine({
    on: {
      charge: {
        actions: () => {
          throw new Error('card declined');
        },
      },
    },
  }),
});

try {
  const system = await createSystem({ db: process.argv[2] as string, components: [billing] });
  await system.publish('billing.charged', { type: 'charge' }, { key: 'k1' });
  await new Promise<void>((resolve) => {
    const subscription = system.view.subscribe((snapshot) => {
      if (snapshot.context.consumers.billing?.hostState !== 'blocked') return;
      subscription.unsubscribe();
      resolve();
    });
  });
  await system.stop();
} catch (error) {
  process.stdout.write(`${error instanceof RecqError ? error.code : 'unexpected'}: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
