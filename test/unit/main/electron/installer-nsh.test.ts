import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipUnless } from '../../../support/requirements.js';
import { CLI_FLAG } from '../../../../main/electron/app-mode.js';

const root = resolve(import.meta.dirname, '../../../..');
const include = join(root, 'assets/installer.nsh');

/**
 * A minimal installer around assets/installer.nsh, with what electron-builder's templates provide stubbed
 * ($installMode, ${isUpdated}, APP_EXECUTABLE_FILENAME), compiled by the real makensis with warnings as errors.
 */
function compile(kind: 'installer' | 'uninstaller'): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-nsis-'));
  const body =
    kind === 'installer'
      ? ['!insertmacro customPageAfterChangeDir', 'Page instfiles', 'Section', '  StrCpy $installMode "all"', '  !insertmacro customInstall', 'SectionEnd']
      : ['Page instfiles', 'Section', '  StrCpy $installMode "all"', '  !insertmacro customUnInstall', 'SectionEnd'];
  const script = [
    'Unicode true',
    'Name "flowhost-nsh-test"',
    `OutFile "${join(dir, `${kind}.exe`)}"`,
    'RequestExecutionLevel user',
    '!define APP_EXECUTABLE_FILENAME "flowhost.exe"',
    ...(kind === 'uninstaller' ? ['!define BUILD_UNINSTALLER'] : []),
    'Var installMode',
    '!include LogicLib.nsh',
    '!macro _isUpdated _a _b _t _f',
    '  StrCmp "$installMode" "updated" `${_t}` `${_f}`',
    '!macroend',
    '!define isUpdated `"" isUpdated ""`',
    `!include "${include}"`,
    ...body,
  ].join('\n');
  writeFileSync(join(dir, `${kind}.nsi`), script);
  const r = spawnSync('makensis', ['-V2', '-WX', join(dir, `${kind}.nsi`)], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`makensis is needed for this test (Debian: apt-get install nsis): ${r.error.message}`);
  return { status: r.status, output: r.stdout + r.stderr };
}

const noMakensis = skipUnless(spawnSync('makensis', ['-VERSION']).error === undefined, 'makensis (Debian: apt-get install nsis), to compile the installer include');

describe('assets/installer.nsh (the Windows installer’s service option)', () => {
  it.skipIf(noMakensis)('compiles into an installer and an uninstaller with the real makensis, warnings as errors', () => {
    for (const kind of ['installer', 'uninstaller'] as const) {
      const { status, output } = compile(kind);
      expect(status, output).toBe(0);
    }
  });

  it('installs and removes the service through the app’s own CLI flag, the WinSW it ships, and only per machine', () => {
    const text = readFileSync(include, 'utf8');
    expect(text).toContain(`"$INSTDIR\\\${APP_EXECUTABLE_FILENAME}" ${CLI_FLAG} service install --winsw "$INSTDIR\\\${FLOWHOST_WINSW}"`);
    expect(text).toContain(`${CLI_FLAG} service uninstall --winsw`);
    expect(text).toMatch(/\$installMode != "all"\s+Abort/);
  });

  it('is the include electron-builder.yml names, and the WinSW it calls is shipped as an extra resource', async () => {
    const { getConfig } = await import('app-builder-lib/out/util/config/load.js');
    const read = await getConfig<{ nsis?: { include?: string }; win?: { extraResources?: unknown } }>(
      { packageKey: 'build', configFilename: 'electron-builder', projectDir: root, packageMetadata: null },
      join(root, 'electron-builder.yml'),
    );
    expect(read?.result.nsis?.include).toBe('assets/installer.nsh');
    expect(read?.result.win?.extraResources).toEqual([{ from: 'assets/winsw', to: 'winsw', filter: ['WinSW-x64.exe'] }]);
    expect(readFileSync(include, 'utf8')).toContain('!define FLOWHOST_WINSW "resources\\winsw\\WinSW-x64.exe"');
  });
});
