/**
 * Small-call routing of the lib/nn kernels (lib/backend/native/small-nn.ts): tiny calls run on the js
 * kernels and skip the binding, big ones reach it, routed and unrouted results agree, and bad input
 * throws exactly the binding's error either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LossOp, LossReduction, type Backend } from '../../lib/backend/backend.js';
import { backendByName, backends, nativeBinding, setSmallOpRouting, smallOpRouting } from '../../lib/backend/registry.js';
import { randArray } from '../helpers/random.js';
import { expectClose } from '../helpers/tolerance.js';

const hasNative = backends().includes('native');
const d = hasNative ? describe : describe.skip;
const f = (n: number, v = 0.5) => new Float32Array(n).fill(v);

/** tiny: must run on js with routing on; big: must reach the binding; neither: either way (budget-dependent) */
interface Case { name: string; kernel: string; size: 'tiny' | 'mid' | 'big'; run: (be: Backend) => Float32Array[] | number }

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [1, 4, 7, 200]) {
    const size = n <= 4 ? 'tiny' : n >= 200 ? 'big' : 'mid';
    for (const [name, op] of Object.entries(LossOp)) {
      const p = op === LossOp.bce ? randArray(n, n, 0.05, 0.95) : randArray(n, n, -2, 2);
      const t = randArray(n, n + 1, 0, 1);
      for (const red of [LossReduction.none, LossReduction.mean]) {
        out.push({
          name: `pointwiseLoss ${name} n=${n} reduction ${red}`, kernel: 'pointwiseLoss', size,
          run: (be) => { const o = f(red ? 1 : n); be.pointwiseLoss(op, p, t, o, n, 0.7, red); return [o]; },
        });
      }
      out.push({
        name: `pointwiseLossBackward ${name} n=${n}`, kernel: 'pointwiseLossBackward', size,
        run: (be) => { const dp = f(n), dt = f(n); be.pointwiseLossBackward(op, p, t, t, 1, dp, dt, n, 0.7, 0.5); return [dp, dt]; },
      });
    }
    const lab = Int32Array.from({ length: n }, (_, i) => i % 3);
    const lp = randArray(3 * n, 3, -3, 0);
    out.push({ name: `nllLoss rows=${n}`, kernel: 'nllLoss', size, run: (be) => { const l = f(n); be.nllLoss(lp, lab, l, n, 3); return [l]; } });
    out.push({
      name: `nllLossBackward rows=${n}`, kernel: 'nllLossBackward', size,
      run: (be) => { const dx = f(3 * n); be.nllLossBackward(randArray(n, 4, -2, 2), 1, lab, dx, n, 3, 0.25); return [dx]; },
    });
    out.push({
      name: `dropout n=${n}`, kernel: 'dropout', size,
      run: (be) => { const o = f(n); be.dropout(randArray(n, 5, -2, 2), o, n, 0.4, 9, 8, 7); return [o]; },
    });
    out.push({ name: `indexCheck n=${n}`, kernel: 'indexCheck', size, run: (be) => be.indexCheck(lab, n, 3) });
  }
  return out;
}

function spyBinding(): { calls: Map<string, number>; restore: () => void } {
  const b = nativeBinding() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const calls = new Map<string, number>();
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const k of Object.keys(b)) {
    if (typeof b[k] !== 'function') continue;
    const fn = b[k];
    saved.set(k, fn);
    b[k] = (...a: unknown[]) => { calls.set(k, (calls.get(k) ?? 0) + 1); return fn(...a); };
  }
  return { calls, restore: () => { for (const [k, fn] of saved) b[k] = fn; } };
}

function withRouting<T>(on: boolean, fn: () => T): T {
  const prev = setSmallOpRouting(on);
  try {
    return fn();
  } finally {
    setSmallOpRouting(prev);
  }
}

d('small-call routing of the nn kernels', () => {
  const native = hasNative ? backendByName('native') : null!;
  const initial = hasNative ? smallOpRouting() : false;
  afterEach(() => { setSmallOpRouting(initial); });

  it('tiny calls skip the binding, the rest reach it; routed and unrouted results agree', () => {
    const spy = spyBinding();
    try {
      for (const c of cases()) {
        spy.calls.clear();
        const off = withRouting(false, () => c.run(native));
        expect(spy.calls.get(c.kernel) ?? 0, `${c.name} with routing off`).toBe(1);
        spy.calls.clear();
        const on = withRouting(true, () => c.run(native));
        if (c.size !== 'mid') expect(spy.calls.get(c.kernel) ?? 0, `${c.name} with routing on`).toBe(c.size === 'tiny' ? 0 : 1);
        if (typeof off === 'number') expect(on).toBe(off);
        else (on as Float32Array[]).forEach((a, i) => expectClose(a, off[i], { rtol: 2e-6, atol: 1e-6 }, c.name));
      }
    } finally {
      spy.restore();
    }
  });

  it('bad input throws the binding\'s error, routed or not', () => {
    const i32 = (...v: number[]) => Int32Array.from(v);
    const bad: [string, () => unknown][] = [
      ['pointwiseLoss pred too short', () => native.pointwiseLoss(LossOp.mse, f(3), f(4), f(4), 4, 1, LossReduction.none)],
      ['pointwiseLoss out too short', () => native.pointwiseLoss(LossOp.mse, f(4), f(4), f(3), 4, 1, LossReduction.none)],
      ['pointwiseLoss op 5', () => native.pointwiseLoss(5 as never, f(4), f(4), f(4), 4, 1, LossReduction.none)],
      ['pointwiseLoss reduction 3', () => native.pointwiseLoss(LossOp.mse, f(4), f(4), f(4), 4, 1, 3 as never)],
      ['pointwiseLoss delta NaN', () => native.pointwiseLoss(LossOp.huber, f(4), f(4), f(4), 4, NaN, LossReduction.none)],
      ['pointwiseLoss target Int32Array', () => native.pointwiseLoss(LossOp.mse, f(4), new Int32Array(4) as never, f(4), 4, 1, LossReduction.sum)],
      ['pointwiseLossBackward doutStride 2', () => native.pointwiseLossBackward(LossOp.mse, f(4), f(4), f(4), 2, f(4), null, 4, 1, 1)],
      ['pointwiseLossBackward dout too short', () => native.pointwiseLossBackward(LossOp.mse, f(4), f(4), f(3), 1, f(4), null, 4, 1, 1)],
      ['pointwiseLossBackward scale Infinity', () => native.pointwiseLossBackward(LossOp.l1, f(4), f(4), f(4), 0, f(4), null, 4, 1, Infinity)],
      ['pointwiseLossBackward dtarget too short', () => native.pointwiseLossBackward(LossOp.l1, f(4), f(4), f(4), 0, null, f(2), 4, 1, 1)],
      ['nllLoss label = classes', () => native.nllLoss(f(6), i32(0, 3), f(2), 2, 3)],
      ['nllLoss label -1', () => native.nllLoss(f(6), i32(-1, 0), f(2), 2, 3)],
      ['nllLoss labels Float32Array', () => native.nllLoss(f(6), f(2) as never, f(2), 2, 3)],
      ['nllLossBackward dx too short', () => native.nllLossBackward(f(2), 1, i32(0, 1), f(5), 2, 3, 1)],
      ['nllLossBackward stride -1', () => native.nllLossBackward(f(2), -1, i32(0, 1), f(6), 2, 3, 1)],
      ['dropout p 1.5', () => native.dropout(f(4), f(4), 4, 1.5, 1, 2, 0)],
      ['dropout p NaN', () => native.dropout(f(4), f(4), 4, NaN, 1, 2, 0)],
      ['dropout seed0 -1', () => native.dropout(f(4), f(4), 4, 0.5, -1, 2, 0)],
      ['dropout seed1 2^32', () => native.dropout(f(4), f(4), 4, 0.5, 1, 2 ** 32, 0)],
      ['dropout offset 0.5', () => native.dropout(f(4), f(4), 4, 0.5, 1, 2, 0.5)],
      ['dropout out too short', () => native.dropout(f(4), f(3), 4, 0.5, 1, 2, 0)],
      ['indexCheck idx too short', () => native.indexCheck(i32(1, 2), 3, 5)],
      ['indexCheck limit -1', () => native.indexCheck(i32(1, 2), 2, -1)],
      ['indexCheck idx Float32Array', () => native.indexCheck(f(2) as never, 2, 5)],
    ];
    const outcome = (fn: () => unknown): string => {
      try {
        fn();
        return 'returned';
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    };
    for (const [name, fn] of bad) {
      const off = withRouting(false, () => outcome(fn));
      const on = withRouting(true, () => outcome(fn));
      expect(off, `${name}: the binding rejects it`).toMatch(/^(TypeError|RangeError): /);
      expect(on, name).toBe(off);
    }
  });
});
