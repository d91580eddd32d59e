import { accessSync, constants, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { x as untar } from 'tar';

/**
 * Which Chromium the browser tests drive, first found wins:
 * 1. `$FLOWHOST_CHROMIUM`, when set (taken as given: a wrong path fails the launch, it never falls back);
 * 2. on Linux x64, the Chromium inside the `@sparticuz/chromium` npm package: the lockfile pins it, `npm ci` brings
 *    it without a download or an install script, and it carries its own NSS and expat, so it runs on a machine with
 *    nothing from apt — the same build on every developer's machine and in CI, so CI proves the fresh-machine path;
 * 3. Debian's `chromium` (`/usr/bin/chromium`: Linux on other CPUs);
 * 4. Google Chrome where its installer puts it (macOS, Windows, and Linux without the above).
 */
export interface ChromiumBinary {
  /** Where it comes from, for messages. */
  readonly source: string;
  /** The executable and the environment to start it with (unpacks the npm Chromium on first use). */
  prepare(): Promise<{ executablePath: string; env?: Record<string, string> }>;
}

export interface Platform {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** Whether a file is there and executable by this process. */
  readonly runnable: (path: string) => boolean;
  /** The `@sparticuz/chromium` package folder, undefined when it is not installed. */
  readonly npmChromiumDir: string | undefined;
}

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export function findChromium(here: Platform = thisMachine()): ChromiumBinary | undefined {
  const given = here.env['FLOWHOST_CHROMIUM'];
  if (given) return atPath('$FLOWHOST_CHROMIUM', given);
  if (here.platform === 'linux' && here.arch === 'x64' && here.npmChromiumDir !== undefined) return npmChromium(here.npmChromiumDir);
  if (here.platform === 'linux' && here.runnable(DEBIAN_CHROMIUM)) return atPath("Debian's chromium", DEBIAN_CHROMIUM);
  const chrome = chromePaths(here).find(here.runnable);
  return chrome === undefined ? undefined : atPath('Google Chrome', chrome);
}

/** What to install where no Chromium is found (the skip message names it). */
export const CHROMIUM_REQUIREMENT =
  'a Chromium for the browser tests (Linux x64: `npm ci` installs one; elsewhere Google Chrome, Debian `chromium`, or FLOWHOST_CHROMIUM=<path>)';

function atPath(source: string, executablePath: string): ChromiumBinary {
  return { source: `${source} (${executablePath})`, prepare: () => Promise.resolve({ executablePath }) };
}

function chromePaths(here: Platform): string[] {
  switch (here.platform) {
    case 'darwin':
      return ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
    case 'win32':
      return [here.env['PROGRAMFILES'], here.env['PROGRAMFILES(X86)'], here.env['LOCALAPPDATA']]
        .filter((dir): dir is string => dir !== undefined)
        .map((dir) => join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'));
    default:
      return ['/opt/google/chrome/chrome'];
  }
}

function npmChromium(packageDir: string): ChromiumBinary {
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    source: `@sparticuz/chromium ${version} (npm)`,
    async prepare() {
      const dir = await unpackOnce(packageDir, version);
      return { executablePath: join(dir, 'chromium'), env: { ...stringEnv(process.env), LD_LIBRARY_PATH: join(dir, 'lib') } };
    },
  };
}

/**
 * The package keeps Chromium brotli-compressed and its own `executablePath()` unpacks into a fixed path in the temp
 * dir, reusing whatever is there (another version, a half-written file). Ours unpacks per version into
 * node_modules/.cache and appears there by one rename, so parallel test files and an interrupted run are safe.
 * Only the browser and the shared libraries it links (NSS, NSPR, expat: the package's Amazon Linux set) are needed:
 * the tests run with --disable-gpu and need no bundled fonts.
 */
async function unpackOnce(packageDir: string, version: string): Promise<string> {
  const bin = join(packageDir, 'bin');
  const dir = resolve(packageDir, '..', '..', '.cache', 'flowhost-chromium', version);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // Streamed, off the event loop: the status-window tests run a real agent and orchestrator in this process meanwhile.
  await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(partial, 'chromium'), { mode: 0o755 }));
  // The tar package reads its input to the end; a `tar -x` child stops at the end-of-archive marker and closes its
  // stdin while the zero padding behind it is still being written, so the pipe failed (ERR_STREAM_PREMATURE_CLOSE) now and then.
  await pipeline(createReadStream(join(bin, 'al2023.tar.br')), createBrotliDecompress(), untar({ cwd: partial, strict: true }));
  try {
    renameSync(partial, dir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(dir)) throw err; // else a parallel run got there first with the same files
  }
  return dir;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

/** The installed `@sparticuz/chromium` package's folder (its main file is build/cjs/index.cjs; its exports map hides package.json). */
export function npmChromiumDir(): string | undefined {
  try {
    return resolve(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..');
  } catch {
    return undefined;
  }
}

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function thisMachine(): Platform {
  return { env: process.env, platform: process.platform, arch: process.arch, runnable, npmChromiumDir: npmChromiumDir() };
}
