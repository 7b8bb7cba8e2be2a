// nodegrad/tfjs opt-ins and tfjs-node parity features: the fused Adam optimizer, the fused softmax
// cross-entropy loss, the file:// tf.io handlers and the verbose-1 progress logger.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ngtf, seeded, tf } from './helpers.js';

function mlp(lastActivation: string) {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [12], units: 16, activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.dense({ units: 4, activation: lastActivation, kernelInitializer: init(2) }),
  ] });
}
const data = () => ({
  x: tf.tensor(seeded(40 * 12, 5), [40, 12]),
  y: tf.oneHot(tf.tensor(Array.from(seeded(40, 6, 0, 4), Math.floor), [40], 'int32'), 4).toFloat(),
});

describe('fused Adam (nodegradTfjs.adam)', () => {
  it('trains a model exactly as tf.train.adam does', async () => {
    tf.setBackend('nodegrad');
    const losses: number[][] = [];
    for (const opt of [tf.train.adam(0.01), ngtf.adam(0.01)]) {
      const m = mlp('softmax');
      const { x, y } = data();
      m.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
      const h = await m.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0 });
      losses.push(h.history.loss as number[]);
      tf.dispose([x, y]);
      m.dispose();
    }
    for (let e = 0; e < 4; e++) expect(Math.abs(losses[1][e] - losses[0][e]) / losses[0][e]).toBeLessThan(1e-4);
    expect(losses[1][3]).toBeLessThan(losses[1][0]);
  });
  it('never writes into the array a variable was made from; round-trips its state', async () => {
    tf.setBackend('nodegrad');
    const init = Float32Array.from([1, 2, 3]);
    const v = tf.variable(tf.tensor(init));
    const opt = ngtf.adam(0.1);
    for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(v)));
    expect(Array.from(init)).toEqual([1, 2, 3]);
    const ref = tf.variable(tf.tensor([1, 2, 3]));
    const topt = tf.train.adam(0.1, 0.9, 0.999, 1e-7);
    for (let i = 0; i < 3; i++) topt.minimize(() => tf.sum(tf.square(ref)));
    const a = Array.from(v.dataSync() as Float32Array), b = Array.from(ref.dataSync() as Float32Array);
    for (let i = 0; i < 3; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    const w = await opt.getWeights();
    expect(w.map((q: { name: string }) => q.name)).toEqual(['iter', `${v.name}/m`, `${v.name}/v`]);
    const opt2 = ngtf.adam(0.1);
    await opt2.setWeights(w);
    // one more step from the same state: the original and the restored optimizer agree
    opt.minimize(() => tf.sum(tf.square(v)));
    const r1 = Array.from(v.dataSync() as Float32Array);
    v.assign(tf.tensor(a));
    opt2.minimize(() => tf.sum(tf.square(v)));
    expect(Array.from(v.dataSync() as Float32Array)).toEqual(r1);
    tf.dispose([v, ref, ...w.map((x: { tensor: unknown }) => x.tensor)]);
    expect(() => ngtf.adam(-1)).toThrow(RangeError);
    expect(() => ngtf.adam(Number.NaN)).toThrow(TypeError);
  });
});

describe('fused softmax cross-entropy (nodegradTfjs.softmaxCrossEntropy)', () => {
  it('matches tfjs softmax cross-entropy and its gradient', () => {
    tf.setBackend('nodegrad');
    const logits = tf.tensor(seeded(7 * 33, 9, -4, 4), [7, 33]);
    const labels = tf.oneHot(tf.tensor([0, 5, 32, 7, 7, 1, 20], [7], 'int32'), 33).toFloat();
    const ours = ngtf.softmaxCrossEntropy(labels, logits);
    const ref = tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE);
    expect(ours.shape).toEqual([7]);
    const a = ours.dataSync(), b = ref.dataSync();
    for (let i = 0; i < 7; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    const w = tf.tensor(seeded(7, 10, 0.5, 2));
    const g1 = tf.grad((l: unknown) => tf.sum(tf.mul(ngtf.softmaxCrossEntropy(labels, l), w)))(logits).dataSync();
    // analytic reference: (softmax − onehot)·w (tf.grad through tf.losses.softmaxCrossEntropy trips
    // tfjs's own IS_TEST leak check, on cpu too)
    const g2 = tf.mul(tf.sub(tf.softmax(logits), labels), tf.expandDims(w, 1)).dataSync();
    for (let i = 0; i < g1.length; i++) expect(Math.abs(g1[i] - g2[i])).toBeLessThan(1e-5);
    // class-index labels give the same values
    const byIndex = ngtf.softmaxCrossEntropy(tf.tensor([0, 5, 32, 7, 7, 1, 20], [7], 'int32'), logits).dataSync();
    for (let i = 0; i < 7; i++) expect(byIndex[i]).toBeCloseTo(a[i], 6);
    expect(() => ngtf.softmaxCrossEntropy(tf.fill([7, 33], 1 / 33), logits)).toThrow(/not one-hot/);
  });
  it('trains a logits model in model.compile, no tensors leaked', async () => {
    tf.setBackend('nodegrad');
    const m = mlp('linear');
    const { x, y } = data();
    m.compile({ optimizer: ngtf.adam(0.01), loss: ngtf.softmaxCrossEntropy });
    const counts: number[] = [];
    const h = await m.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0, callbacks: { onEpochEnd: async () => { counts.push(tf.memory().numTensors); } } });
    const l = h.history.loss as number[];
    expect(l[3]).toBeLessThan(l[0]);
    expect(counts[3]).toBe(counts[1]);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('file:// tf.io handlers', () => {
  it('model.save / tf.loadLayersModel round-trip, and refuse a truncated weights file', async () => {
    tf.setBackend('nodegrad');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ng-tfjs-io-'));
    try {
      const m = mlp('softmax');
      const x = tf.tensor(seeded(3 * 12, 11), [3, 12]);
      const before = (m.predict(x) as { dataSync(): Float32Array }).dataSync();
      const res = await m.save(`file://${dir}/model`);
      expect(res.modelArtifactsInfo.weightDataBytes).toBe((12 * 16 + 16 + 16 * 4 + 4) * 4);
      expect(fs.existsSync(path.join(dir, 'model', 'model.json'))).toBe(true);
      const back = await tf.loadLayersModel(`file://${dir}/model/model.json`);
      const after = (back.predict(x) as { dataSync(): Float32Array }).dataSync();
      expect(Array.from(after)).toEqual(Array.from(before));
      const wf = path.join(dir, 'model', 'weights.bin');
      fs.writeFileSync(wf, fs.readFileSync(wf).subarray(0, 100));
      await expect(tf.loadLayersModel(`file://${dir}/model/model.json`)).rejects.toThrow(/hold 100 bytes; its manifest describes/);
      await expect(tf.loadLayersModel(`file://${dir}/missing/model.json`)).rejects.toThrow(/does not exist/);
      expect(() => ngtf.fileSystem('')).toThrow(TypeError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('progress logger', () => {
  it('prints epochs, time per step and the logs', async () => {
    tf.setBackend('nodegrad');
    let out = '';
    const Logger = ngtf.makeProgbarLogger({ isTTY: false, write: (s: string) => { out += s; } });
    const m = mlp('softmax');
    const { x, y } = data();
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new Logger()] });
    expect(out).toMatch(/^Epoch 1 \/ 2\n\d+ms \d+us\/step - loss=[\d.]+ acc=[\d.]+\nEpoch 2 \/ 2\n/);
    tf.dispose([x, y]);
    m.dispose();
  });
});
