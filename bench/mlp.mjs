// nodegrad side of the peer comparison (bench/index.mjs runs it once per backend / thread count):
// per-op overhead, XOR 2-3-1 µs/step, MNIST MLP training samples/s over one epoch + test accuracy,
// inference samples/s at batch 128, the Adam update alone, and the MNIST CNN at batch 64 — under the
// shared protocol of bench/peers/common.mjs (same data, same batch order as every peer).
//   node bench/mlp.mjs [--quick] [--backend native|js] [--threads N] [--sections ops,xor,mlp,adam,cnn] [--json]
import * as ng from '../dist/esm/index.mjs';
import {
  BATCH, CNN_BATCH, LR, XOR_LR, calibrate, cnnSchedule, emit, gatherBatch, loadMnist, loadPerm, mlpSchedule,
  now, parseArgs, stats, usPerCall,
} from './peers/common.mjs';

const o = parseArgs();
const backend = o.backend ?? 'native';
ng.setBackend(backend);
if (o.threads && backend === 'native') ng.setNumThreads(+o.threads);
const slow = backend === 'js';
const sections = new Set((o.sections ?? 'ops,xor,mlp,adam,cnn').split(','));
const out = { framework: 'nodegrad', backend, threads: backend === 'native' ? ng.getNumThreads() : 1, isa: ng.nativeInfo()?.isa ?? null };
const log = (...a) => { if (!o.json) console.log(...a); };

function mlp() {
  return new ng.nn.Sequential(new ng.nn.Linear(784, 256), new ng.nn.ReLU(), new ng.nn.Linear(256, 128), new ng.nn.ReLU(), new ng.nn.Linear(128, 10));
}
const nParams = (m) => m.parameters().reduce((s, p) => s + p.size, 0);

function accuracy(model, test, shape) {
  let correct = 0;
  ng.noGrad(() => {
    for (let s = 0; s < test.n; s += 1000) {
      const n = Math.min(1000, test.n - s);
      const x = new ng.Tensor(test.x.slice(s * 784, (s + n) * 784), [n, ...shape]);
      const am = model.forward(x).argmax(1).data;
      for (let i = 0; i < n; i++) if (am[i] === test.y[s + i]) correct++;
    }
  });
  return correct / test.n;
}

/** Train `steps` batches of `bs` in the shared order; samples/s per chunk, overall, and accuracy. */
function trainRun(makeModel, shape, bs, sched, train, test, perm, userLoop = false) {
  // userLoop: zeroGrad() with its default (drop the gradients, as PyTorch 2's set_to_none) before each
  // step, the way a user writes the loop; otherwise zeroGrad(false) keeps the buffers (PyTorch 1.13's default)
  const zero = (opt) => (userLoop ? opt.zeroGrad() : opt.zeroGrad(false));
  ng.manualSeed(0);
  // Warm-up on a throwaway model (JIT, buffer pools), then a fresh model for the timed run.
  {
    const m = makeModel();
    const opt = new ng.optim.Adam(m.parameters(), { lr: LR });
    for (let b = 0; b < 3; b++) {
      const { x, y } = gatherBatch(train, perm, b, bs);
      const l = ng.F.crossEntropy(m.forward(new ng.Tensor(x, [bs, ...shape])), y);
      l.backward(); opt.step(); zero(opt);
    }
  }
  ng.manualSeed(0);
  const model = makeModel();
  model.train?.();
  const opt = new ng.optim.Adam(model.parameters(), { lr: LR });
  const chunks = [];
  let lastLoss = NaN;
  const tAll = now();
  let t0 = now();
  for (let b = 0; b < sched.steps; b++) {
    const { x, y } = gatherBatch(train, perm, b, bs);
    const l = ng.F.crossEntropy(model.forward(new ng.Tensor(x, [bs, ...shape])), y);
    l.backward(); opt.step(); zero(opt);
    if ((b + 1) % sched.chunk === 0) {
      lastLoss = l.item();
      const t = now();
      chunks.push((sched.chunk * bs) / ((t - t0) / 1e3));
      t0 = now();
    }
  }
  const overall = (sched.steps * bs) / ((now() - tAll) / 1e3);
  model.eval?.();
  const acc = accuracy(model, test, shape);
  return { model, opt, res: { samplesPerSec: stats(chunks), overall, steps: sched.steps, chunk: sched.chunk, batch: bs, testAccuracy: acc, lastLoss, params: nParams(model) } };
}

function inferRun(model, test, shape, bs) {
  let b = 0;
  const batches = [];
  for (let i = 0; i < 16; i++) batches.push(new ng.Tensor(test.x.slice(i * bs * 784, (i + 1) * bs * 784), [bs, ...shape]));
  const fwd = () => ng.noGrad(() => model.forward(batches[b++ & 15]));
  const iters = calibrate(fwd, slow ? 100 : 200);
  const us = usPerCall(fwd, { iters, runs: 7 });
  const sps = (u) => bs / (u / 1e6);
  return { samplesPerSec: { median: sps(us.median), min: sps(us.max), max: sps(us.min), n: us.n }, batch: bs };
}

if (sections.has('ops')) {
  ng.manualSeed(0);
  const a = ng.randn([8, 8], { requiresGrad: true });
  const b = ng.randn([8, 8], { requiresGrad: true });
  const ops = { add: () => a.add(b), matmul: () => a.matmul(b), sigmoid: () => a.sigmoid() };
  out.ops = { shape: [8, 8], autograd: true };
  for (const [k, fn] of Object.entries(ops)) {
    for (let i = 0; i < 500; i++) fn();
    out.ops[k] = usPerCall(fn, { iters: calibrate(fn, 30), runs: 7 });
  }
  log('ops µs', out.ops);
}

if (sections.has('xor')) {
  ng.manualSeed(4);
  const model = new ng.nn.Sequential(new ng.nn.Linear(2, 3), new ng.nn.Sigmoid(), new ng.nn.Linear(3, 1), new ng.nn.Sigmoid());
  const x = ng.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = ng.tensor([[0], [1], [1], [0]]);
  const opt = new ng.optim.SGD(model.parameters(), { lr: XOR_LR });
  const step = () => { const l = ng.F.mseLoss(model.forward(x), y); l.backward(); opt.step(); opt.zeroGrad(); };
  for (let i = 0; i < 2000; i++) step();
  out.xor = { usPerStep: usPerCall(step, { iters: calibrate(step, 50), runs: 7 }) };
  log('xor µs/step', out.xor);
}

let mlpState = null;
if (sections.has('mlp') || sections.has('adam')) {
  const train = loadMnist('train');
  const test = loadMnist('test');
  const perm = loadPerm(train.n);
  if (sections.has('mlp')) {
    const r = trainRun(mlp, [784], BATCH, mlpSchedule(o, slow), train, test, perm);
    out.mlp = { train: r.res, infer: inferRun(r.model, test, [784], BATCH) };
    mlpState = r;
    if (!slow) out.mlp.trainUserLoop = trainRun(mlp, [784], BATCH, mlpSchedule(o, slow), train, test, perm, true).res;
    log('mlp', JSON.stringify(out.mlp));
  }
  if (sections.has('adam')) {
    ng.manualSeed(0);
    const model = mlpState?.model ?? mlp();
    const opt = mlpState?.opt ?? new ng.optim.Adam(model.parameters(), { lr: LR });
    for (const p of model.parameters()) p.grad = ng.randn(p.shape).mul(1e-3);
    const step = () => opt.step();
    out.adam = { params: nParams(model), us: usPerCall(step, { iters: slow ? 3 : calibrate(step, 50), runs: 7 }) };
    log('adam', out.adam);
    // The same step with gradients and first moments in the float32 denormal range (steady state:
    // m → g = 1e-39), as for weights whose gradient is almost always zero; without flushing
    // denormals every such element costs microcode assists.
    const dopt = new ng.optim.Adam(model.parameters(), { lr: LR });
    for (const p of model.parameters()) p.grad = ng.full(p.shape, 1e-39);
    const dstep = () => dopt.step();
    for (let i = 0; i < 100; i++) dstep();
    out.adamDenormal = { us: usPerCall(dstep, { iters: slow ? 3 : calibrate(dstep, 50), runs: 7 }) };
    log('adam, denormal state', out.adamDenormal);
  }
}

if (sections.has('cnn')) {
  const nn = ng.nn;
  if (!nn.Conv2d || !nn.BatchNorm2d || !nn.MaxPool2d) out.cnn = { error: 'CNN layers not in this build' };
  else {
    const cnn = () => new nn.Sequential(
      new nn.Conv2d(1, 16, 5, { padding: 2 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 5, { padding: 2 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10));
    const train = loadMnist('train');
    const test = loadMnist('test');
    const perm = loadPerm(train.n);
    try {
      const sched = cnnSchedule(o, slow);
      const r = trainRun(cnn, [1, 28, 28], CNN_BATCH, sched, train, slow ? { ...test, n: 1000 } : test, perm);
      out.cnn = { train: r.res };
    } catch (e) {
      out.cnn = { error: String(e.message ?? e).slice(0, 200) };
    }
    log('cnn', JSON.stringify(out.cnn));
  }
}

emit(out);
