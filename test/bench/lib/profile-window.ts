import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Runs `measure`; when `file` is set, profiles this process (V8 CPU profile, readable by profile-top.ts) for exactly
 * that window — e.g. the in-process orchestrator while it applies a replay, without the bench's setup around it.
 */
export async function profileWindow<T>(file: string | undefined, measure: () => Promise<T>): Promise<T> {
  if (!file) return measure();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await measure();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
