/**
 * Finds and loads the native addon the way sharp does: try each built location, collect every
 * error, and report them all when none loads (the registry then falls back to `js`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINDING_FUNCTIONS, type NativeBinding, type NativeInfoRaw } from './binding.js';
import { BINARYOP_NAMES, EPILOGUE_NAMES, REDUCEOP_NAMES, UNARYOP_NAMES } from '../ops.gen.js';

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

/**
 * Why this addon's op tables differ from the TypeScript ones (both generated from spec/ops.json),
 * or null when they agree. An addon built from another spec would run the wrong kernel for a code.
 */
export function opTableMismatch(info: NativeInfoRaw): string | null {
  const ops = info.ops;
  if (!ops) return 'it reports no op tables (built before spec/ops.json)';
  const want: [string, readonly string[]][] = [['unary', UNARYOP_NAMES], ['binary', BINARYOP_NAMES], ['reduce', REDUCEOP_NAMES], ['epilogue', EPILOGUE_NAMES]];
  for (const [k, names] of want) {
    const got = (ops as Record<string, string[] | undefined>)[k] ?? [];
    if (got.length !== names.length || got.some((n, i) => n !== names[i])) {
      return `its ${k} ops are [${got.join(', ')}] but lib/backend/ops.gen.ts has [${names.join(', ')}]`;
    }
  }
  return null;
}

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
      const missing = BINDING_FUNCTIONS.filter((k) => typeof mod.exports[k] !== 'function');
      if (missing.length > 0) {
        errors.push(`${file}: loaded, but lacks ${missing.join(', ')} (stale build? run npm run build:native)`);
        continue;
      }
      const mismatch = opTableMismatch((mod.exports as unknown as NativeBinding).nativeInfo());
      if (mismatch !== null) {
        errors.push(`${file}: loaded, but ${mismatch} (stale build? run npm run build:native)`);
        continue;
      }
      return { binding: mod.exports as unknown as NativeBinding, path: file, errors };
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { binding: null, path: null, errors };
}
