/**
 * A fused softmax cross-entropy loss for tfjs-layers: `model.compile({loss: nodegradTfjs.softmaxCrossEntropy})`
 * with a model whose last layer outputs logits (no softmax). One native call computes the per-row
 * losses −log softmax(logits)[label]; one more on the backward pass gives their gradient
 * softmax − onehot (through tf.customGrad), instead of the ~8 kernels of softmax +
 * categoricalCrossentropy forward and their gradients. Labels are one-hot rows (yTrue, as for
 * categoricalCrossentropy) or an int32/float vector of class indices. Unlike tfjs's
 * categoricalCrossentropy it does not clip probabilities to [ε, 1 − ε]: the log-softmax is exact.
 */
import { tf } from './core.js';
import { nativeKernels } from './kernels/util.js';

function labelsOf(yTrue: tf.Tensor, rows: number, classes: number): Int32Array {
  const v = yTrue.dataSync();
  const labels = new Int32Array(rows);
  if (yTrue.size === rows) {
    for (let r = 0; r < rows; r++) {
      const c = v[r] as number;
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new RangeError(`softmaxCrossEntropy: label ${c} at row ${r} is not a class index in [0, ${classes})`);
      }
      labels[r] = c;
    }
    return labels;
  }
  if (yTrue.size !== rows * classes) {
    throw new RangeError(`softmaxCrossEntropy: yTrue has shape [${yTrue.shape}], expected [${rows}, ${classes}] (one-hot) or [${rows}] (indices)`);
  }
  for (let r = 0; r < rows; r++) {
    let hot = -1;
    for (let c = 0; c < classes; c++) {
      const y = v[r * classes + c] as number;
      if (y === 1 && hot < 0) hot = c;
      else if (y !== 0) {
        throw new RangeError(`softmaxCrossEntropy: row ${r} of yTrue is not one-hot (soft labels: use tf.losses.softmaxCrossEntropy)`);
      }
    }
    if (hot < 0) throw new RangeError(`softmaxCrossEntropy: row ${r} of yTrue has no 1`);
    labels[r] = hot;
  }
  return labels;
}

function run(yTrue: tf.Tensor, logits: tf.Tensor, withGrad: boolean): { losses: Float32Array; dlogits: Float32Array | null } {
  const classes = logits.shape[logits.shape.length - 1];
  const rows = logits.size / classes;
  const labels = labelsOf(yTrue, rows, classes);
  const lv = logits.dataSync();
  const x = lv instanceof Float32Array ? lv : Float32Array.from(lv as ArrayLike<number>);
  const losses = new Float32Array(rows);
  const dlogits = withGrad ? new Float32Array(rows * classes) : null;
  const nb = nativeKernels();
  if (!nb) throw new Error('softmaxCrossEntropy: the nodegrad native addon did not load');
  nb.softmaxCrossEntropy(x, labels, losses, dlogits, rows, classes, 1);
  return { losses, dlogits };
}

// tfjs saves only a kernel's inputs and outputs for the backward pass (anything else counts as a
// leaked data id), so the gradient pass recomputes softmax − onehot from the saved inputs: one more
// native pass over rows × classes, still one call instead of the composite's kernels.
const fused = tf.customGrad(((yTrue: tf.Tensor, logits: tf.Tensor, save: tf.GradSaveFunc) => {
  save([yTrue, logits]);
  const { losses } = run(yTrue, logits, false);
  return {
    value: tf.tensor(losses, logits.shape.slice(0, -1), 'float32'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [y, l] = saved;
      const d = tf.tensor(run(y, l, true).dlogits!, l.shape, 'float32');
      return [tf.zerosLike(y), tf.mul(d, tf.expandDims(dy, -1))];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (yTrue: tf.Tensor, logits: tf.Tensor) => tf.Tensor;

/** Per-row softmax cross-entropy of `logits` against `yTrue` (one-hot rows or class indices). */
export function softmaxCrossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  if (logits.dtype !== 'float32') throw new TypeError(`softmaxCrossEntropy: logits must be float32, got ${logits.dtype}`);
  if (logits.rank < 1) throw new RangeError('softmaxCrossEntropy: logits must have at least one dimension');
  return fused(yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32'), logits);
}
