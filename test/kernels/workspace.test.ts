import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeBinding } from '../../lib/backend/native/binding.js';

// Native workspace reservation (native/include/workspace.h): gemm and conv plan their scratch
// before running, the binding reserves it and throws a RangeError naming the function when it
// cannot, so no kernel ever runs without its memory (before, a failed allocation inside a task went
// unchecked, and a pointwise conv weight gradient silently stayed zero). NODEGRAD_WORKSPACE_LIMIT
// caps the arena: the failure path is provoked in child processes started with a small limit,
// without exhausting memory.
const addonPath = path.resolve(__dirname, '..', '..', 'build', 'Release', 'nodegrad.node');
type Info = ReturnType<NativeBinding['nativeInfo']> & { workspaceBytes?: number; workspaceLimitBytes?: number | null };
function load(): NativeBinding | null {
  if (!fs.existsSync(addonPath)) return null;
  const mod = { exports: {} as NativeBinding };
  process.dlopen(mod, addonPath);
  return 'workspaceBytes' in mod.exports.nativeInfo() ? mod.exports : null;
}
const native = load();

// Runs in a fresh process with the given limit (and the parent's NODEGRAD_ISA): each probe reports
// the error it threw (or 'ok'), whether its output kept its sentinel, and a checked element.
const probe = `
const m = { exports: {} };
process.dlopen(m, ${JSON.stringify(addonPath)});
const b = m.exports;
let s = 1;
const rand = (n) => Float32Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
const out = {};
function run(name, fn, buf) {
  buf.fill(7);
  try { fn(); out[name] = { error: 'ok' }; } catch (e) { out[name] = { error: e.constructor.name + ': ' + e.message }; }
  out[name].untouched = buf.every((v) => v === 7);
}
// 512^3 takes the packed path on every ISA and cache size (its A block is far above L2/8).
const n = 512, A = rand(n * n), B = rand(n * n), C = new Float32Array(n * n);
run('gemm', () => b.gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n, 0, null, 1, 0, 0, 0), C);
let ref = 0;
for (let p = 0; p < n; p++) ref += A[17 * n + p] * B[p * n + 300];
out.gemm.err = Math.abs(C[17 * n + 300] - ref);
// A small product on the no-pack path needs no workspace: it runs under any limit.
const c2 = new Float32Array(4);
run('gemmSmall', () => b.gemm(false, false, 2, 2, 2, 1, Float32Array.of(1, 2, 3, 4), 2, Float32Array.of(1, 0, 0, 1), 2, 0, c2, 2, 0, null, 1, 0, 0, 0), c2);
out.gemmSmall.value = Array.from(c2);
// Pointwise conv weight gradient (8 images: per-chunk partial sums in the shared workspace).
const N = 8, Ch = 16, P = 49, O = 12;
const x = rand(N * Ch * P), w = rand(O * Ch), dout = rand(N * O * P), dw = new Float32Array(O * Ch);
run('conv2dBackward', () => b.conv2dBackward(null, dw, null, dout, x, w, N, Ch, 7, 7, O, 1, 1, 1, 1, 0, 0, 1, 1), dw);
let refw = 0;
for (let i = 0; i < N; i++) for (let p = 0; p < P; p++) refw += dout[(i * O + 5) * P + p] * x[(i * Ch + 3) * P + p];
out.conv2dBackward.err = Math.abs(dw[5 * Ch + 3] - refw);
// 5x5 conv forward: im2col columns.
const o2 = new Float32Array(2 * 4 * 16 * 16);
run('conv2d', () => b.conv2d(o2, rand(2 * 3 * 256), rand(4 * 3 * 25), null, 2, 3, 16, 16, 4, 5, 5, 1, 1, 2, 2, 1, 1), o2);
const info = b.nativeInfo();
out.info = { workspaceBytes: info.workspaceBytes, workspaceLimitBytes: info.workspaceLimitBytes };
console.log(JSON.stringify(out));
`;
function runProbe(limit: string | undefined): Record<string, any> {
  const env = { ...process.env };
  if (limit === undefined) delete env.NODEGRAD_WORKSPACE_LIMIT;
  else env.NODEGRAD_WORKSPACE_LIMIT = limit;
  const r = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe.skipIf(!native)('native workspace reservation', () => {
  it('with a 1 KiB limit, gemm / conv2dBackward / conv2d throw a RangeError naming themselves and leave their outputs alone', () => {
    const r = runProbe('1024');
    expect(r.gemm.error).toMatch(/^RangeError: gemm: cannot reserve [\d.]+ MiB of native workspace \(limit 1\.0 KiB, set by NODEGRAD_WORKSPACE_LIMIT\)$/);
    expect(r.gemm.untouched).toBe(true);
    expect(r.conv2dBackward.error).toMatch(/^RangeError: conv2dBackward: cannot reserve .* of native workspace \(limit 1\.0 KiB/);
    expect(r.conv2dBackward.untouched).toBe(true); // not a silently zeroed gradient
    expect(r.conv2d.error).toMatch(/^RangeError: conv2d: cannot reserve .* of native workspace/);
    expect(r.conv2d.untouched).toBe(true);
    expect(r.gemmSmall).toEqual({ error: 'ok', untouched: false, value: [1, 2, 3, 4] });
    expect(r.info).toEqual({ workspaceBytes: 0, workspaceLimitBytes: 1024 });
  });

  it('without a limit the same calls run and are correct', () => {
    const r = runProbe(undefined);
    for (const k of ['gemm', 'conv2dBackward', 'conv2d']) expect(r[k].error, k).toBe('ok');
    expect(r.gemm.err).toBeLessThan(1e-3);
    expect(r.conv2dBackward.err).toBeLessThan(1e-3);
    expect(r.info.workspaceLimitBytes).toBeNull();
    expect(r.info.workspaceBytes).toBeGreaterThan(0);
  });

  it('an unparsable limit is ignored', () => {
    const r = runProbe('lots');
    expect(r.gemm.error).toBe('ok');
    expect(r.info.workspaceLimitBytes).toBeNull();
  });

  it('nativeInfo reports this thread\'s arena, which a packed gemm grows', () => {
    const b = native!;
    const n = 512;
    const A = new Float32Array(n * n).fill(0.5), C = new Float32Array(n * n);
    b.gemm(false, false, n, n, n, 1, A, n, A, n, 0, C, n, 0, null, 1, 0, 0, 0);
    const info = b.nativeInfo() as Info;
    expect(info.workspaceBytes).toBeGreaterThan(0);
    expect(C[n * n - 1]).toBe(0.25 * n);
  });
});
