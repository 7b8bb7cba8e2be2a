import * as ng from './.bench-entry.tmp.js';
ng.setNumThreads(1);
ng.manualSeed(0);
const { nn } = ng;
const layers = [
  new nn.Conv2d(1, 16, 5, { padding: 2 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(16, 32, 5, { padding: 2 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10)];
const x = ng.randn([64, 1, 28, 28]);
const fw = new Array(layers.length).fill(0);
const bw = new Array(layers.length).fill(0);
const params = layers.flatMap((l) => l.parameters());
const opt = new ng.optim.Adam(params, { lr: 1e-3 });
const labels = Int32Array.from({ length: 64 }, (_, i) => i % 10);
let tOpt = 0, tAll = 0;
for (let it = 0; it < 40; it++) {
  const t00 = performance.now();
  let h: any = x; const outs: any[] = [];
  for (let i = 0; i < layers.length; i++) { const t0 = performance.now(); h = layers[i].forward(h); if (it >= 10) fw[i] += performance.now() - t0; outs.push(h); }
  const loss = nn.functional.crossEntropy(h, labels);
  opt.zeroGrad();
  // time backward per layer by wrapping _backward
  for (let i = 0; i < layers.length; i++) {
    const o = outs[i]; const f = o._backward; if (!f) continue;
    o._backward = (g: any) => { const t0 = performance.now(); f(g); if (it >= 10) bw[i] += performance.now() - t0; };
  }
  loss.backward();
  const t1 = performance.now(); opt.step(); if (it >= 10) { tOpt += performance.now() - t1; tAll += performance.now() - t00; }
}
layers.forEach((l, i) => console.log(l.constructor.name.padEnd(12), 'fwd', (fw[i] / 30).toFixed(2), 'bwd', (bw[i] / 30).toFixed(2)));
console.log('adam', (tOpt / 30).toFixed(2), 'total', (tAll / 30).toFixed(2), 'ms/step');
