/**
 * Finds and loads the native addon the way sharp does: try each built location, collect every
 * error, and report them all when none loads (the registry then falls back to `js`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeBinding } from './binding.js';

export interface LoadResult {
  binding: NativeBinding | null;
  /** where the addon came from, when it loaded */
  path: string | null;
  /** one line per location tried, when none loaded */
  errors: string[];
}

/** The package root: the nearest folder above this file whose package.json is nodegrad's. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nodegrad') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..', '..');
    dir = up;
  }
}

function candidates(): string[] {
  const forced = process.env.NODEGRAD_ADDON_PATH;
  if (forced) return [path.resolve(forced)];
  const root = packageRoot();
  return [
    path.join(root, 'build', 'Release', 'nodegrad.node'),
    path.join(root, 'build', 'Debug', 'nodegrad.node'),
  ];
}

const REQUIRED: (keyof NativeBinding)[] = ['nativeInfo', 'setNumThreads', 'getNumThreads', 'gemm'];

export function loadNative(): LoadResult {
  const errors: string[] = [];
  for (const file of candidates()) {
    if (!fs.existsSync(file)) {
      errors.push(`${file}: not found`);
      continue;
    }
    try {
      const mod = { exports: {} as Record<string, unknown> };
      process.dlopen(mod, file);
      const missing = REQUIRED.filter((k) => typeof mod.exports[k] !== 'function');
      if (missing.length > 0) {
        errors.push(`${file}: loaded, but lacks ${missing.join(', ')} (stale build? run npm run build:native)`);
        continue;
      }
      return { binding: mod.exports as unknown as NativeBinding, path: file, errors };
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { binding: null, path: null, errors };
}
