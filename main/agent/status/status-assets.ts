import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from './package-root.js';

/** The files the status page consists of, by URL path; nothing else is ever served. */
const ASSETS = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/styles.css': { file: 'styles.css', type: 'text/css; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
  '/favicon.ico': { file: 'icon.svg', type: 'image/svg+xml' },
} as const satisfies Record<string, { file: string; type: string }>;

export interface StatusAsset {
  readonly body: Buffer;
  readonly type: string;
}

export interface StatusAssetsOptions {
  /** The repository (or app) root holding renderer/ and scripts/; default: the flowhost package this module ships in. */
  readonly root?: string;
}

/** The built status page (renderer/dist), built first when missing or older than its sources. */
export class StatusAssets {
  private readonly root: string;
  private readonly cache = new Map<string, StatusAsset>();

  constructor(options: StatusAssetsOptions = {}) {
    this.root = options.root ?? findPackageRoot(import.meta.url);
  }

  private get dist(): string {
    return join(this.root, 'renderer', 'dist');
  }

  /** Builds the renderer when its build is missing or stale and the build script is there (a source checkout). */
  async ensureBuilt(): Promise<void> {
    const script = join(this.root, 'scripts', 'build-renderer.mjs');
    if (existsSync(script) && this.stale()) await runBuild(script, this.root);
    if (!existsSync(join(this.dist, 'index.html'))) throw new Error(`the status page is not built (${this.dist} is missing)`);
    this.cache.clear();
  }

  get(path: string): StatusAsset | undefined {
    if (!Object.hasOwn(ASSETS, path)) return undefined;
    const entry = ASSETS[path as keyof typeof ASSETS];
    let asset = this.cache.get(entry.file);
    if (!asset) {
      asset = { body: readFileSync(join(this.dist, entry.file)), type: entry.type };
      this.cache.set(entry.file, asset);
    }
    return asset;
  }

  private stale(): boolean {
    const metaFile = join(this.dist, 'build-meta.json');
    if (!existsSync(metaFile) || !existsSync(join(this.dist, 'app.js'))) return true;
    const builtAt = statSync(metaFile).mtimeMs;
    let inputs: unknown;
    try {
      inputs = (JSON.parse(readFileSync(metaFile, 'utf8')) as { inputs?: unknown }).inputs;
    } catch {
      return true;
    }
    if (!Array.isArray(inputs)) return true;
    return inputs.some((input) => {
      const file = join(this.root, String(input));
      return !existsSync(file) || statSync(file).mtimeMs > builtAt;
    });
  }
}

/** One build at a time per process, shared by concurrent callers. */
let building: Promise<void> | undefined;

function runBuild(script: string, cwd: string): Promise<void> {
  building ??= new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [script], { cwd, timeout: 120_000 }, (err, _stdout, stderr) => {
      building = undefined;
      if (err) reject(new Error(`building the status page failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
  return building;
}
