#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step after `npm ci`): tsx registers its ESM loader first.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli.ts');
