// tfjs-core 4.22.0's own spec suite against the 'nodegrad' tfjs backend, with the cpu backend as the
// baseline in the same run (scripts/tfjs-core-suite.cjs): every spec that passes on cpu must pass on
// nodegrad, except the named entries of test/tfjs/suite/exclusions.json.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');

describe('tfjs-core suite on nodegrad', () => {
  it('passes every spec that passes on cpu', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'tfjs-core-suite.cjs')], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    const summary = out.split('\n').find((l) => l.startsWith('tfjs-core full suite:')) ?? out.slice(-3000);
    console.log(summary);
    expect(out).toMatch(/tfjs-core full suite: \d+ specs pass on cpu/);
    expect(out.match(/^REGRESSION: .*$/gm) ?? []).toEqual([]);
    expect(r.status).toBe(0);
    const m = /(\d+) specs pass on cpu/.exec(out);
    expect(Number(m![1])).toBeGreaterThan(3000); // the suite really ran
  }, 600_000);
});
