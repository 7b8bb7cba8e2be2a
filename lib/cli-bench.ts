/**
 * `nodegrad bench`: runs the package's bench/index.mjs in a child process. The benchmark scripts ship in
 * the npm package (package.json `files`); results go to bench/results in a git clone and to
 * ./nodegrad-bench (or `--results DIR`) in an installed package, whose folder may not be writable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from './backend/native/load.js';

export interface BenchOptions {
  quick?: boolean;
  only?: string;
  peers: boolean;
  results?: string;
}

/** Where the report goes when --results is not given (undefined: the script's own bench/results). */
export function defaultResultsDir(root: string, cwd = process.cwd()): string | undefined {
  return fs.existsSync(path.join(root, '.git')) ? undefined : path.resolve(cwd, 'nodegrad-bench');
}

/** Runs the suite; returns the exit code. */
export function runBench(o: BenchOptions, root = packageRoot()): number {
  const script = path.join(root, 'bench', 'index.mjs');
  if (!fs.existsSync(script)) {
    console.error(`nodegrad bench: ${script} is missing from this installation. Run the suite from a clone: ` +
      'git clone <the nodegrad repository> && cd nodegrad && npm ci && npm run bench');
    return 1;
  }
  const args = [script];
  if (o.quick) args.push('--quick');
  if (o.only) args.push('--only', o.only);
  if (!o.peers) args.push('--no-peers');
  const results = o.results !== undefined ? path.resolve(o.results) : defaultResultsDir(root);
  const env = { ...process.env };
  if (results !== undefined) env.NODEGRAD_BENCH_RESULTS = results;
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  if (r.error) {
    console.error(`nodegrad bench: could not run ${script}: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}
