import { onTestFinished } from 'vitest';

/** Anything a test starts and must stop: agents (`dispose`), orchestrators and servers (`close`). */
export type Stoppable = { dispose(): unknown } | { close(): unknown };

/**
 * Stops `thing` when the current test ends, passed or failed. vitest runs these newest first, so what was
 * started last (an agent) stops before what it depends on (its orchestrator). Call it inside a test.
 */
export function disposeAfterTest<T extends Stoppable>(thing: T): T {
  onTestFinished(async () => {
    await ('dispose' in thing ? thing.dispose() : thing.close());
  });
  return thing;
}
