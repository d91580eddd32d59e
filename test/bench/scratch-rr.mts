import { rawReplay } from '/work/main/test/bench/lib/raw-replay.ts';
const frames = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ type: 'event', event: { seq: i + 1, sessionId: 'x', kind: 'log', lines: [{ message: 'x'.repeat(59) }] } }));
console.log(await rawReplay(frames));
