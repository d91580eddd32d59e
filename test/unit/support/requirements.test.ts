import { afterEach, describe, expect, it, vi } from 'vitest';
import { skipUnless } from '../../support/requirements.js';

describe('skipUnless', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('runs a test whose requirement is met', () => {
    vi.stubEnv('CI', 'true');
    expect(skipUnless(true, 'a tool')).toBe(false);
  });

  it('fails under CI=true when the requirement is missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => skipUnless(false, 'makensis')).toThrow('required under CI=true: makensis');
  });

  it('skips elsewhere, saying why', () => {
    vi.stubEnv('CI', '');
    const write = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(skipUnless(false, 'makensis')).toBe(true);
    expect(write).toHaveBeenCalledWith('skipped (not available here): makensis\n');
    write.mockRestore();
  });
});
