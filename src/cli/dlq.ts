import { defineGroup } from './command.ts';
import { dlqListCommand } from './dlq-list.ts';
import { dlqRetryCommand } from './dlq-retry.ts';
import { dlqShowCommand } from './dlq-show.ts';
import { dlqSkipCommand } from './dlq-skip.ts';

export const dlqCommand = defineGroup({
  name: 'dlq',
  summary: 'dead letters: list, show, retry, skip',
  about: `Usage: recq dlq <list|show|retry|skip> ...

Dead letters: events (or fired timers) a component could not apply after its retries, kept
with their errors in the dead_letters table.
`,
  commands: [dlqListCommand, dlqShowCommand, dlqRetryCommand, dlqSkipCommand],
});
