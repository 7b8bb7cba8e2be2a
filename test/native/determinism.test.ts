/**
 * Determinism (issue 9): the same seed gives bit-identical results over 100 training steps, on each
 * backend; and on native, 1 and 2 threads agree bit for bit (the kernels split work so that every
 * output element is computed by the same sequence of operations whatever the thread count).
 *
 * Two loops: (a) built from ops only — matmul + relu + logSoftmax NLL via a one-hot product + manual
 * SGD through `t.data`; (b) ng.nn.Linear + F.crossEntropy + optim.Adam (when those modules exist).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/index.js';
import { backends, getNumThreads, nativeBinding, setBackend, getBackend, type BackendName } from '../../lib/backend/registry.js';

const STEPS = 100;
const B = 48, D = 24, H = 40, C = 5;

interface Run {
  losses: Float32Array;
  params: Float32Array[];
}

function data(): { x: ng.Tensor; labels: number[]; onehot: ng.Tensor } {
  const x = ng.randn([B, D]);
  const labels = Array.from({ length: B }, (_, i) => (i * 7 + 3) % C);
  const oh = new Float32Array(B * C);
  labels.forEach((l, i) => { oh[i * C + l] = 1; });
  return { x, labels, onehot: ng.tensor(oh, [B, C]) };
}

/** (a) ops only, manual SGD on t.data. */
function opsLoop(seed: number): Run {
  ng.manualSeed(seed);
  const { x, onehot } = data();
  const w1 = ng.randn([D, H]).mul(0.2).detach().requiresGrad_();
  const w2 = ng.randn([H, C]).mul(0.2).detach().requiresGrad_();
  const losses = new Float32Array(STEPS);
  for (let s = 0; s < STEPS; s++) {
    const logits = ng.matmul(ng.relu(ng.matmul(x, w1)), w2);
    const loss = ng.logSoftmax(logits, 1).mul(onehot).sum().mul(-1 / B);
    w1.grad = null;
    w2.grad = null;
    loss.backward();
    losses[s] = loss.item();
    for (const w of [w1, w2]) {
      const g = w.grad!.data;
      for (let i = 0; i < w.data.length; i++) w.data[i] -= 0.1 * g[i];
    }
  }
  return { losses, params: [w1.data.slice(), w2.data.slice()] };
}

/** (b) nn + optim, when they exist. */
async function nnLoop(seed: number): Promise<Run | null> {
  let nn: any, optim: any;
  try {
    nn = (ng as any).nn ?? (await import('../../lib/nn/index.js'));
    optim = (ng as any).optim ?? (await import('../../lib/optim/index.js'));
  } catch {
    return null;
  }
  ng.manualSeed(seed);
  const { x, labels } = data();
  const model = new nn.Sequential(new nn.Linear(D, H), new nn.ReLU(), new nn.Linear(H, C));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const losses = new Float32Array(STEPS);
  for (let s = 0; s < STEPS; s++) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    losses[s] = loss.item();
  }
  return { losses, params: model.parameters().map((p: ng.Tensor) => p.data.slice()) };
}

function sameBits(a: Run, b: Run, what: string): void {
  const bytes = (r: Run) => [r.losses, ...r.params].map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  const ba = bytes(a), bb = bytes(b);
  expect(ba.length, what).toBe(bb.length);
  ba.forEach((buf, i) => {
    if (!buf.equals(bb[i])) {
      const fa = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4), fb = new Float32Array(bb[i].buffer, bb[i].byteOffset, bb[i].length / 4);
      const k = fa.findIndex((v, j) => !Object.is(v, fb[j]));
      expect.fail(`${what}: ${i === 0 ? 'loss history' : `parameter ${i - 1}`} differs first at element ${k}: ${fa[k]} vs ${fb[k]}`);
    }
  });
}

const prevBackend = getBackend();
const prevThreads = getNumThreads();
afterAll(() => {
  setBackend(prevBackend);
  ng.setNumThreads(prevThreads);
});

for (const name of backends() as BackendName[]) {
  describe(`determinism [${name}]`, () => {
    it('ops loop: same seed → bit-identical losses and weights over 100 steps', () => {
      setBackend(name);
      const a = opsLoop(1234), b = opsLoop(1234);
      expect(Number.isFinite(a.losses[STEPS - 1])).toBe(true);
      expect(a.losses[STEPS - 1]).toBeLessThan(a.losses[0]); // it trained
      sameBits(a, b, `${name} ops loop`);
      const c = opsLoop(99);
      expect(Buffer.from(c.params[0].buffer).equals(Buffer.from(a.params[0].buffer))).toBe(false);
    });

    it('nn + optim loop: same seed → bit-identical', async () => {
      setBackend(name);
      const a = await nnLoop(7);
      if (!a) return; // nn/optim not present in this tree
      const b = (await nnLoop(7))!;
      expect(a.losses[STEPS - 1]).toBeLessThan(a.losses[0]);
      sameBits(a, b, `${name} nn loop`);
    });
  });
}

describe.skipIf(!nativeBinding())('native: thread-count invariance', () => {
  it('1 and 2 threads agree bit for bit (ops loop and nn loop)', async () => {
    setBackend('native');
    ng.setNumThreads(1);
    const a1 = opsLoop(5), n1 = await nnLoop(5);
    ng.setNumThreads(2);
    const a2 = opsLoop(5), n2 = await nnLoop(5);
    ng.setNumThreads(prevThreads);
    sameBits(a1, a2, 'ops loop, 1 vs 2 threads');
    if (n1 && n2) sameBits(n1, n2, 'nn loop, 1 vs 2 threads');
  });

  it('1 and 2 threads agree bit for bit on kernels big enough to split (gemm 257³, reductions, softmax)', () => {
    setBackend('native');
    const run = (threads: number) => {
      ng.setNumThreads(threads);
      ng.manualSeed(11);
      const a = ng.randn([257, 257]), b = ng.randn([257, 257]);
      const c = ng.matmul(a, b);
      const outs = [c, ng.sum(c, 0), ng.sum(c, 1), ng.softmax(c, 1), ng.max(c, 0), ng.tanh(c), ng.mul(c, b)];
      return outs.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    };
    const one = run(1), two = run(2);
    ng.setNumThreads(prevThreads);
    one.forEach((buf, i) => expect(buf.equals(two[i]), `output ${i}: 1 vs 2 threads`).toBe(true));
  });
});
