import { afterEach, describe, expect, it, vi } from 'vitest';
import { LINUX, MACOS, POSIX, requirementOutcome, skipUnless } from '../../support/requirements.js';

describe('skipUnless', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('runs a test whose requirement is met', () => {
    vi.stubEnv('CI', 'true');
    expect(skipUnless(true, 'a tool')).toBe(false);
  });

  it.runIf(process.platform === 'linux')('fails under CI=true on Linux when the requirement is missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => skipUnless(false, 'makensis')).toThrow('required under CI=true on linux: makensis');
  });

  it('skips elsewhere, saying why', () => {
    vi.stubEnv('CI', '');
    const write = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(skipUnless(false, 'makensis')).toBe(true);
    expect(write).toHaveBeenCalledWith('skipped (not available here): makensis\n');
    write.mockRestore();
  });
});

describe('requirementOutcome: platforms', () => {
  const ci = (platform: NodeJS.Platform) => ({ platform, ci: true });

  it('a tool is required under CI=true on Linux only unless it names other platforms', () => {
    expect(requirementOutcome(false, 'python3', ci('linux'))).toEqual({ run: false, fail: 'required under CI=true on linux: python3' });
    expect(requirementOutcome(false, 'python3', ci('win32'))).toEqual({ run: false, skip: 'skipped (not available here): python3' });
    expect(requirementOutcome(false, 'python3', ci('darwin'))).toEqual({ run: false, skip: 'skipped (not available here): python3' });
    expect(requirementOutcome(false, { what: 'plutil', requiredOn: MACOS }, ci('darwin'))).toEqual({ run: false, fail: 'required under CI=true on darwin: plutil' });
    expect(requirementOutcome(true, 'python3', ci('win32'))).toEqual({ run: true });
  });

  it('a Linux-only test skips on Windows and macOS even under CI=true, whether or not the check says available', () => {
    for (const platform of ['win32', 'darwin'] as const) {
      for (const available of [true, false]) {
        expect(requirementOutcome(available, { what: '/proc and setpriv', platforms: LINUX }, ci(platform))).toEqual({ run: false, skip: `skipped on ${platform} (runs on linux): /proc and setpriv` });
      }
    }
    expect(requirementOutcome(true, { what: '/proc', platforms: LINUX }, ci('linux'))).toEqual({ run: true });
    expect(requirementOutcome(false, { what: '/proc', platforms: LINUX }, ci('linux'))).toEqual({ run: false, fail: 'required under CI=true on linux: /proc' });
  });

  it('requiredOn never reaches beyond platforms; without CI a missing requirement only skips', () => {
    const macOnly = { what: 'plutil', platforms: MACOS };
    expect(requirementOutcome(false, macOnly, ci('darwin'))).toEqual({ run: false, skip: 'skipped (not available here): plutil' });
    expect(requirementOutcome(false, { ...macOnly, requiredOn: MACOS }, ci('darwin'))).toEqual({ run: false, fail: 'required under CI=true on darwin: plutil' });
    expect(requirementOutcome(false, { what: 'root', platforms: POSIX, requiredOn: ['linux', 'win32'] }, ci('win32'))).toEqual({ run: false, skip: 'skipped on win32 (runs on linux, darwin): root' });
    expect(requirementOutcome(false, { what: 'root', platforms: POSIX }, { platform: 'linux', ci: false })).toEqual({ run: false, skip: 'skipped (not available here): root' });
  });
});
