// Seeded tfjs-layers models trained with model.fit on cpu and on nodegrad: per-epoch losses agree to
// 1e-3 relative, and tf.memory().numTensors does not grow from epoch to epoch (no leaked data ids).
// Plus tf.grad / tf.variableGrads parity on random expressions.
import { describe, expect, it } from 'vitest';
import { onBackend, seeded, tf } from './helpers.js';

type Build = () => { model: any; x: any; y: any; loss: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

const models: Record<string, Build> = {
  'Dense MLP': () => {
    const model = tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: init(3) }),
    ] });
    const x = tf.tensor(seeded(64 * 20, 11), [64, 20]);
    const y = tf.oneHot(tf.tensor(Array.from(seeded(64, 12, 0, 5), Math.floor), [64], 'int32'), 5);
    return { model, x, y, loss: 'categoricalCrossentropy' };
  },
  'Conv2D + MaxPooling CNN': () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(4) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(5) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(6) }),
    ] });
    const x = tf.tensor(seeded(32 * 144, 13, 0, 1), [32, 12, 12, 1]);
    const y = tf.oneHot(tf.tensor(Array.from(seeded(32, 14, 0, 3), Math.floor), [32], 'int32'), 3);
    return { model, x, y, loss: 'categoricalCrossentropy' };
  },
  LSTM: () => {
    const model = tf.sequential({ layers: [
      tf.layers.lstm({ inputShape: [6, 4], units: 8, kernelInitializer: init(7), recurrentInitializer: init(8) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(9) }),
    ] });
    const x = tf.tensor(seeded(24 * 24, 15), [24, 6, 4]);
    const y = tf.tensor(seeded(24, 16), [24, 1]);
    return { model, x, y, loss: 'meanSquaredError' };
  },
  GRU: () => {
    const model = tf.sequential({ layers: [
      tf.layers.gru({ inputShape: [6, 4], units: 8, kernelInitializer: init(10), recurrentInitializer: init(11) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(12) }),
    ] });
    const x = tf.tensor(seeded(24 * 24, 17), [24, 6, 4]);
    const y = tf.tensor(seeded(24, 18), [24, 1]);
    return { model, x, y, loss: 'meanSquaredError' };
  },
  'Embedding + BatchNormalization': () => {
    const model = tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 30, outputDim: 8, inputLength: 5, embeddingsInitializer: tf.initializers.randomUniform({ seed: 19 }) }),
      tf.layers.flatten(),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(20) }),
    ] });
    const x = tf.tensor(Array.from(seeded(48 * 5, 21, 0, 30), Math.floor), [48, 5]);
    const y = tf.oneHot(tf.tensor(Array.from(seeded(48, 22, 0, 4), Math.floor), [48], 'int32'), 4);
    return { model, x, y, loss: 'categoricalCrossentropy' };
  },
};

async function train(backend: 'cpu' | 'nodegrad', build: Build) {
  tf.setBackend(backend);
  const { model, x, y, loss } = build();
  model.compile({ optimizer: tf.train.adam(0.01), loss, metrics: ['accuracy'] });
  const counts: number[] = [];
  const h = await model.fit(x, y, {
    epochs: 3, batchSize: 16, shuffle: false, verbose: 0,
    callbacks: { onEpochEnd: async () => { counts.push(tf.memory().numTensors); } },
  });
  model.dispose();
  x.dispose();
  y.dispose();
  return { loss: h.history.loss as number[], counts };
}

describe('tfjs-layers models train the same on nodegrad as on cpu', () => {
  for (const [name, build] of Object.entries(models)) {
    it(name, async () => {
      const cpu = await train('cpu', build);
      const ng = await train('nodegrad', build);
      expect(ng.loss.length).toBe(3);
      for (let e = 0; e < 3; e++) {
        const rel = Math.abs(ng.loss[e] - cpu.loss[e]) / Math.abs(cpu.loss[e]);
        expect(rel, `${name} epoch ${e}: nodegrad ${ng.loss[e]} vs cpu ${cpu.loss[e]}`).toBeLessThan(1e-3);
      }
      expect(ng.loss[2]).toBeLessThan(ng.loss[0]); // it learns
      // no tensors leak from epoch to epoch
      expect(ng.counts[2], `numTensors per epoch ${ng.counts}`).toBe(ng.counts[1]);
      expect(ng.counts[1]).toBe(ng.counts[0]);
    });
  }
});

describe('gradients match the cpu backend', () => {
  const unary = [
    (x: any) => tf.relu(x), (x: any) => tf.sigmoid(x), (x: any) => tf.tanh(x), (x: any) => tf.exp(tf.mul(x, 0.3)),
    (x: any) => tf.square(x), (x: any) => tf.softmax(x), (x: any) => tf.elu(x), (x: any) => tf.abs(x),
    (x: any) => tf.log(tf.add(tf.square(x), 1)), (x: any) => tf.sum(x, -1, true), (x: any) => tf.mean(x, 0, true),
  ]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const binary = [
    (a: any, b: any) => tf.add(a, b), (a: any, b: any) => tf.mul(a, b), (a: any, b: any) => tf.sub(a, b),
    (a: any, b: any) => tf.div(a, tf.add(tf.abs(b), 1)), (a: any, b: any) => tf.maximum(a, b),
    (a: any, b: any) => tf.matMul(a, b, false, true), (a: any, b: any) => tf.squaredDifference(a, b),
  ]; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('tf.grads on 40 random expressions', () => {
    let s = 100;
    for (let t = 0; t < 40; t++) {
      const pick = seeded(8, s++, 0, 1);
      const expr = (a: any, b: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        let u = unary[Math.floor(pick[0] * unary.length)](a);
        u = binary[Math.floor(pick[1] * binary.length)](u, b);
        u = unary[Math.floor(pick[2] * unary.length)](u);
        return tf.sum(tf.mul(u, u));
      };
      const A = seeded(7 * 9, s++), B = seeded(7 * 9, s++);
      const res = (['cpu', 'nodegrad'] as const).map((be) =>
        onBackend(be, () => tf.tidy(() => tf.grads(expr)([tf.tensor(A, [7, 9]), tf.tensor(B, [7, 9])]).map((g: any) => Array.from(g.dataSync() as Float32Array)))), // eslint-disable-line @typescript-eslint/no-explicit-any
      );
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < res[0][i].length; j++) {
          const c = res[0][i][j] as number, n = res[1][i][j] as number;
          expect(Math.abs(n - c) / (1 + Math.abs(c)), `expression ${t} input ${i}[${j}]`).toBeLessThan(1e-3);
        }
      }
    }
  });
  it('tf.variableGrads of a conv net loss', () => {
    const res = (['cpu', 'nodegrad'] as const).map((be) =>
      onBackend(be, () => {
        const w = tf.variable(tf.tensor(seeded(3 * 3 * 2 * 4, 31), [3, 3, 2, 4]));
        const d = tf.variable(tf.tensor(seeded(64 * 3, 32), [64, 3]));
        const x = tf.tensor(seeded(2 * 8 * 8 * 2, 33), [2, 8, 8, 2]);
        const { value, grads } = tf.variableGrads(() => {
          const h = tf.maxPool(tf.relu(tf.conv2d(x, w, 1, 'same')), 2, 2, 'valid');
          return tf.sum(tf.softmax(tf.matMul(tf.reshape(h, [2, 64]), d)).mul(tf.tensor([[1, 0, 0], [0, 1, 0]])));
        });
        const out = { v: value.dataSync()[0], g: Object.values(grads).map((g: any) => Array.from(g.dataSync() as Float32Array)) }; // eslint-disable-line @typescript-eslint/no-explicit-any
        tf.dispose([w, d, x, value, ...Object.values(grads)]);
        return out;
      }),
    );
    expect(Math.abs(res[1].v - res[0].v)).toBeLessThan(1e-4);
    for (let i = 0; i < res[0].g.length; i++) {
      for (let j = 0; j < res[0].g[i].length; j++) {
        expect(Math.abs((res[1].g[i][j] as number) - (res[0].g[i][j] as number))).toBeLessThan(1e-4);
      }
    }
  });
});
