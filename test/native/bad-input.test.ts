/**
 * Issue 9, "bad input never crashes": the table-generated sweep of bad-input-cases.ts, run in child
 * processes (a segfault/abort fails the test and names the case it died in instead of killing vitest).
 *
 * Contract checked per case:
 *  - no crash: the child exits 0 after every case (signal / abort / non-zero exit = failure);
 *  - expect 'throw': the call throws a TypeError, RangeError or Error whose message names the function
 *    (case-insensitively for the public API) and, for binding type errors, the argument;
 *  - expect 'ok': the call returns (valid baselines, SharedArrayBuffer-backed and byteOffset-4 views,
 *    NaN/Inf data);
 *  - expect 'either': returns, or throws per the rule above.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeBinding } from '../../lib/backend/registry.js';
import { repoRoot, runNode } from '../helpers/dist.js';

interface Result {
  i: number;
  name: string;
  fn: string;
  arg?: string;
  expect: 'throw' | 'ok' | 'either';
  threw: boolean;
  errName: string;
  msg: string;
}

const script = path.join(repoRoot, 'test', 'native', 'bad-input-cases.ts');

function sweep(suite: 'binding' | 'public', env: Record<string, string | undefined> = {}): { results: Result[]; count: number } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ng-bad-input-')), `${suite}.txt`);
  const r = runNode(['--import', 'tsx', script, suite, file], { env, timeoutMs: 120_000 });
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const started = lines.filter((l) => l.startsWith('START ')).pop();
  const crashed = r.status !== 0 || r.signal !== null || !lines.includes('DONE');
  expect(crashed, `bad-input ${suite} child died (status ${r.status}, signal ${r.signal}) during: ${started}\n${r.stderr.slice(-2000)}`).toBe(false);
  const count = Number(lines.find((l) => l.startsWith('COUNT '))?.split(' ')[1]);
  const results = lines.filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Result);
  return { results, count };
}

function violations(results: Result[], public_: boolean): string[] {
  const out: string[] = [];
  for (const r of results) {
    const why: string[] = [];
    if (r.expect === 'throw' && !r.threw) why.push('did not throw');
    if (r.expect === 'ok' && r.threw) why.push('threw');
    if (r.threw) {
      if (!['TypeError', 'RangeError', 'Error'].includes(r.errName)) why.push(`threw ${r.errName}`);
      const msg = public_ ? r.msg.toLowerCase() : r.msg;
      if (!msg.includes(public_ ? r.fn.toLowerCase() : r.fn)) why.push(`message does not name '${r.fn}'`);
      if (r.arg && !r.msg.includes(r.arg)) why.push(`message does not name argument '${r.arg}'`);
    }
    if (why.length) out.push(`${r.name}: ${why.join(', ')}${r.threw ? ` — ${r.errName}: ${r.msg}` : ''}`);
  }
  return out;
}

describe('bad input never crashes', () => {
  it.skipIf(!nativeBinding())('raw binding: every function, table-generated bad calls', () => {
    const { results, count } = sweep('binding');
    expect(results.length).toBe(count);
    expect(results.length).toBeGreaterThanOrEqual(1000);
    console.log(`bad-input binding: ${results.length} cases, 0 crashes`);
    expect(violations(results, false), 'binding cases that broke the error contract').toEqual([]);
  });

  for (const backend of ['native', 'js'] as const) {
    it.skipIf(backend === 'native' && !nativeBinding())(`public API on ${backend}: no crash, errors name the function`, () => {
      const { results, count } = sweep('public', { NODEGRAD_BACKEND: backend });
      expect(results.length).toBe(count);
      expect(results.length).toBeGreaterThanOrEqual(200);
      const bad = violations(results, true);
      console.log(`bad-input public [${backend}]: ${results.length} cases, 0 crashes, ${bad.length} contract violations`);
      expect(bad, 'public API cases that broke the error contract').toEqual([]);
    });
  }
});
