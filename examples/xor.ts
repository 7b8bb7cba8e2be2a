/**
 * XOR with the classic 2-3-1 sigmoid network, trained by plain SGD on the mean squared error — the
 * network of the backprop tutorial the project grew from, done right: the prediction goes through
 * the output sigmoid, and biases keep their shapes ([3] and [1]) because nn.Linear owns them.
 *
 *   npx tsx examples/xor.ts
 *
 * Then fine-tuning, as in the tutorial: (1) training continues from the trained weights on new targets
 * (XNOR, the complement of XOR); (2) transfer: the trained hidden layer is frozen (requiresGrad(false))
 * and only a freshly zeroed output layer is trained on XNOR.
 */
import * as ng from '../lib/index.js';

export const X = ng.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
export const XOR = ng.tensor([[0], [1], [1], [0]]);
export const XNOR = ng.tensor([[1], [0], [0], [1]]);

export function makeNet(): ng.nn.Sequential {
  return new ng.nn.Sequential(new ng.nn.Linear(2, 3), new ng.nn.Sigmoid(), new ng.nn.Linear(3, 1), new ng.nn.Sigmoid());
}

export interface TrainResult {
  /** loss after every `every` epochs: [epoch, loss] */
  curve: [number, number][];
  finalLoss: number;
  /** µs per training step (forward + loss + backward + step + zeroGrad) */
  usPerStep: number;
}

/** The explicit loop: forward, loss, backward, step, zeroGrad. */
export function train(
  model: ng.nn.Module, x: ng.Tensor, y: ng.Tensor,
  o: { epochs: number; lr: number; every?: number; log?: boolean; params?: ng.Tensor[] },
): TrainResult {
  const opt = new ng.optim.SGD(o.params ?? model.parameters(), { lr: o.lr });
  const every = o.every ?? Math.max(1, Math.floor(o.epochs / 10));
  const curve: [number, number][] = [];
  let loss = NaN;
  const t0 = performance.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const pred = model.forward(x);
    const l = ng.F.mseLoss(pred, y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    loss = l.item();
    if (epoch % every === 0 || epoch === 1) {
      curve.push([epoch, loss]);
      if (o.log) console.log(`  epoch ${String(epoch).padStart(6)}  loss ${loss.toFixed(6)}`);
    }
  }
  const usPerStep = ((performance.now() - t0) * 1000) / o.epochs;
  return { curve, finalLoss: loss, usPerStep };
}

/** Seeded XOR training as the example runs it (tests call this). */
export function trainXor(o: { seed?: number; epochs?: number; lr?: number; log?: boolean } = {}): { model: ng.nn.Sequential; result: TrainResult; predictions: number[] } {
  ng.manualSeed(o.seed ?? 4);
  const model = makeNet();
  const result = train(model, X, XOR, { epochs: o.epochs ?? 20000, lr: o.lr ?? 0.1, every: 1000, log: o.log });
  const predictions = Array.from(ng.predict(model, X).data);
  return { model, result, predictions };
}

function show(model: ng.nn.Module, targets: ng.Tensor): void {
  const p = ng.predict(model, X).data; // the output sigmoid is part of the model
  for (let i = 0; i < 4; i++) {
    const [a, b] = [X.data[2 * i], X.data[2 * i + 1]];
    console.log(`  ${a} ${b} → ${p[i].toFixed(4)}  (target ${targets.data[i]}, class ${p[i] >= 0.5 ? 1 : 0})`);
  }
}

function main(): void {
  console.log(`XOR, 2-3-1 sigmoid network, MSE + SGD(lr 0.1), backend ${ng.getBackend()}`);
  const { model, result } = trainXor({ log: true });
  console.log(`final loss ${result.finalLoss.toFixed(6)}, ${result.usPerStep.toFixed(1)} µs/step`);
  show(model, XOR);

  const snapshot = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));

  console.log('\nfine-tuning 1: continue from the trained weights on new targets (XNOR), whole network, lr 0.1');
  const ft1 = train(model, X, XNOR, { epochs: 10000, lr: 0.1, every: 2000, log: true });
  console.log(`final loss ${ft1.finalLoss.toFixed(6)}`);
  show(model, XNOR);

  console.log('\nfine-tuning 2: the trained hidden layer frozen as a feature extractor, a fresh output layer trained on XNOR (lr 1)');
  model.loadStateDict(snapshot);
  const hidden = model.at(0) as ng.nn.Linear;
  const head = model.at(2) as ng.nn.Linear;
  hidden.requiresGrad(false);
  ng.nn.init.zeros_(head.weight);
  ng.nn.init.zeros_(head.bias!);
  const before = hidden.weight.data.slice();
  const ft2 = train(model, X, XNOR, { epochs: 5000, lr: 1, every: 1000, log: true, params: head.parameters() });
  const unchanged = hidden.weight.data.every((v, i) => v === before[i]);
  console.log(`final loss ${ft2.finalLoss.toFixed(6)}; frozen hidden weights unchanged: ${unchanged}`);
  show(model, XNOR);
}

if (process.argv[1] && /xor\.[cm]?[jt]s$/.test(process.argv[1])) main();
