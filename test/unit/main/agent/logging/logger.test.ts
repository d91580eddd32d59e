import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgentLogger, SecretRegistry } from '../../../../../main/agent/logging/logger.js';
import { tempDir as newTempDir } from '../../../../support/temp-dir.js';

const tempDir = () => newTempDir('flowhost-log-');

describe('agent logger', () => {
  it('writes JSON lines to the file and every line reaches it once close() resolves', async () => {
    const file = join(tempDir(), 'logs', 'agent.log');
    const log = createAgentLogger({ file, console: false });
    for (let i = 0; i < 500; i += 1) log.logger.info('line', { i });
    await log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(500);
    const last = JSON.parse(lines[499] ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({ level: 'info', message: 'line', i: 499 });
    expect(typeof last['timestamp']).toBe('string');
  });

  it('masks registered secrets (and their encoded forms) in messages and nested metadata, also ones added later', async () => {
    const file = join(tempDir(), 'agent.log');
    const secrets = new SecretRegistry();
    secrets.add('group-pw-xyz');
    const log = createAgentLogger({ file, console: false, secrets });
    log.logger.info('password is group-pw-xyz', { nested: { list: ['a group-pw-xyz b'] } });
    log.secrets.add('p@ss word/1');
    log.logger.warn('input was p@ss word/1', { url: `https://h/?t=${encodeURIComponent('p@ss word/1')}` });
    log.logger.error('boom', { error: new Error('has group-pw-xyz inside').message });
    await log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('group-pw-xyz');
    expect(text).not.toContain('p@ss word/1');
    expect(text).not.toContain(encodeURIComponent('p@ss word/1'));
    expect(text.match(/\*\*\*/g)?.length).toBe(5);
  });

  it('rotates by size', async () => {
    const dir = tempDir();
    const log = createAgentLogger({ file: join(dir, 'agent.log'), console: false, maxSize: 2000, maxFiles: 3 });
    // A burst across several rotations: winston's own File transport loses these (winston#1655).
    for (let i = 0; i < 200; i += 1) log.logger.info('x'.repeat(100), { i });
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(['agent.1.log', 'agent.2.log', 'agent.log']);
    const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    for (const name of ['agent.log', 'agent.1.log', 'agent.2.log']) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(2000);
    const newest = lines('agent.log');
    expect(newest.at(-1)).toBe(199);
    expect([...lines('agent.2.log'), ...lines('agent.1.log'), ...newest]).toEqual(Array.from({ length: newest.length + lines('agent.1.log').length + lines('agent.2.log').length }, (_, k) => 200 - newest.length - lines('agent.1.log').length - lines('agent.2.log').length + k));
  });

  it('ignores too-short secrets so ordinary text stays readable', () => {
    const secrets = new SecretRegistry();
    secrets.add('a');
    expect(secrets.mask('a cat')).toBe('a cat');
  });
});
