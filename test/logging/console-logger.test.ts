import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { consoleLogger, InvalidOptionError, pinoLogger } from '../../src/index.ts';
import { counter } from '../inspect/counters.ts';
import { useScratch } from '../support/scratch.ts';

/** A destination that keeps what is written to it, line by line. */
function sink() {
  const lines: string[] = [];
  return { lines, write: (chunk: string) => lines.push(...chunk.split('\n').filter((line) => line !== '')) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colours are what it strips
const plain = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '');

describe('consoleLogger', () => {
  it('pretty: one readable line each, with the fields, and the error by its message only', () => {
    const out = sink();
    const logger = consoleLogger('info', { format: 'pretty', destination: out });
    logger.warn('component billing failed on seq 3', { component: 'billing', key: 'k1', seq: 3, error: new Error('card declined') });
    logger.debug?.('not at info');
    expect(out.lines.map(plain)).toEqual([
      expect.stringMatching(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: component billing failed on seq 3 \{"component":"billing","key":"k1","seq":3,"error":\{"message":"card declined"\}\}$/,
      ),
    ]);
  });

  it('json: debug lines at debug, none at silent', () => {
    const debug = sink();
    consoleLogger('debug', { format: 'json', destination: debug }).debug?.('looking', { consumer: 'c' });
    expect(JSON.parse(debug.lines[0] as string)).toMatchObject({ level: 'debug', name: 'recq', consumer: 'c', msg: 'looking' });
    const silent = sink();
    const logger = consoleLogger('silent', { format: 'json', destination: silent });
    logger.error('never written');
    expect(silent.lines).toEqual([]);
  });

  it('refuses a level it does not know, naming it and the levels', () => {
    expect(() => consoleLogger('loud' as never)).toThrow(InvalidOptionError);
    expect(() => consoleLogger('loud' as never)).toThrow(/"loud": expected one of debug, info, warn, error, silent/);
  });
});

describe('pinoLogger', () => {
  const scratch = useScratch();

  it("logs a system's lines through a pino instance of your own, at its level, errors with their stack", async () => {
    const out = sink();
    const instance = pino({ level: 'info', base: { app: 'shop' } }, out);
    const system = await scratch.start({ db: scratch.file('own.db'), components: [counter], logger: pinoLogger(instance) });
    await system.stop();
    const lines = out.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.level, line.app, line.msg])).toEqual([
      [30, 'shop', 'consumer counter starts at offset 0, with no actors in the CSS'],
      [30, 'shop', expect.stringMatching(/^started \(embedded\): components counter, on /)],
      [30, 'shop', 'consumer counter stopped at offset 0'],
      [30, 'shop', expect.stringMatching(/^stopped \(embedded\) on /)],
    ]);
    pinoLogger(instance).error('failed', { error: new TypeError('bad') });
    expect(JSON.parse(out.lines.at(-1) as string).error).toMatchObject({ type: 'TypeError', message: 'bad', stack: expect.stringContaining('TypeError: bad') });
  });

  it('a logger option without info, warn and error is refused, naming what it takes', async () => {
    const start = scratch.start({ db: scratch.file('bad.db'), components: [counter], logger: { info: () => {} } as never });
    await expect(start).rejects.toThrow(/Invalid option logger = .*expected \{ info, warn, error \} functions/);
  });
});
