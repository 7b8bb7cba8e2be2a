import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (the package under test). */
export const repoRoot = path.resolve(__dirname, '..', '..');
/** The built CommonJS entry: tests of the package as users load it run against dist/. */
export const distEntry = path.join(repoRoot, 'dist', 'cjs', 'index.js');

export function requireBuilt(): void {
  if (!fs.existsSync(distEntry)) throw new Error(`${distEntry} is missing: run npm run build first (npm test does)`);
}

/** Runs a Node script in a fresh process (so a native crash shows up as a failed exit, not a dead runner). */
export function runNode(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return spawnSync(process.execPath, args, {
    cwd: opts.cwd ?? repoRoot,
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
}
