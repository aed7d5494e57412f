import { UnknownDeadLetterError } from '../errors.ts';
import { type DeadLetterState, StoreReader } from '../operator/store-reader.ts';
import { defineCommand } from './command.ts';
import { parseLetterId } from './control-command.ts';
import { DEFAULT_DB, FLAGS } from './flags.ts';
import { deadLetterJson, isoTime } from './format.ts';

export const dlqShowCommand = defineCommand({
  name: 'dlq show',
  summary: 'one dead letter in full: event, error and stack (read-only)',
  about: `Usage: recq dlq show <id> [--db FILE] [--json]

Shows one dead letter in full: where it came from (component, consumer, seq, topic, key, event
id), its attempts and times, the error, the event as JSON and the stack of the last failure.
Opens the database read-only.
`,
  flags: { db: FLAGS.db, json: { ...FLAGS.json, help: 'print the letter as one JSON object' } },
  positionals: true,
  async run({ values, positionals }) {
    const id = parseLetterId('dlq show', positionals);
    const reader = StoreReader.open(values.db ?? DEFAULT_DB);
    let letter: DeadLetterState | undefined;
    try {
      letter = reader.deadLetter(id);
    } finally {
      reader.close();
    }
    if (!letter) throw new UnknownDeadLetterError(id);
    process.stdout.write(values.json ? `${JSON.stringify(deadLetterJson(letter))}\n` : formatLetter(letter));
    return 0;
  },
});

function formatLetter(letter: DeadLetterState): string {
  const fields: [string, string][] = [
    ['dead letter', String(letter.id)],
    ['status', letter.status],
    ['component', letter.component === letter.consumer ? letter.component : `${letter.component} (consumer ${letter.consumer})`],
    ['seq', String(letter.seq)],
    ['topic', letter.topic],
    ['key', letter.key ?? '-'],
    ['event id', letter.eventId],
    ['attempts', String(letter.attempts)],
    ['first failed', isoTime(letter.firstFailedAt)],
    ['last failed', isoTime(letter.lastFailedAt)],
    ['error', letter.error],
  ];
  const width = Math.max(...fields.map(([name]) => name.length)) + 2;
  const event = deadLetterJson(letter).event;
  const sections = [
    fields.map(([name, value]) => `${name.padEnd(width)}${value}`).join('\n'),
    `event\n${typeof event === 'string' ? event : JSON.stringify(event, null, 2)}`,
    `stack\n${letter.stack ?? '(none recorded)'}`,
  ];
  if (letter.status === 'parked' || letter.status === 'blocking') {
    sections.push(`Retry it with "recq dlq retry ${letter.id}", or skip it with "recq dlq skip ${letter.id}".`);
  }
  return `${sections.join('\n\n')}\n`;
}
