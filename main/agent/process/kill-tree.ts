import { posixProcessTree } from './kill-tree.posix.js';
import { win32ProcessTree } from './kill-tree.win32.js';
import type { ProcessTree } from './process-tree.js';

export type { ProcessTree } from './process-tree.js';

export function processTreeForPlatform(platform: NodeJS.Platform = process.platform): ProcessTree {
  return platform === 'win32' ? win32ProcessTree : posixProcessTree;
}
