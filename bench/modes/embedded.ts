import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleLogger, createSystem, type Durability } from '../../src/index.ts';
import type { Mode } from './mode.ts';
import { counterComponent, timePass } from './recq-pass.ts';

/** recq in-process, on a fresh SQLite file in a temp dir. */
export function embeddedMode(durability: Durability = 'full'): Mode {
  return {
    name: 'embedded',
    async run(workload) {
      const dir = await mkdtemp(join(tmpdir(), 'recq-bench-'));
      try {
        const system = await createSystem({ db: join(dir, 'bench.db'), components: [counterComponent(workload)], durability, logger: consoleLogger('error') });
        try {
          return await timePass(system, workload, 'embedded', durability);
        } finally {
          await system.stop();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
