/**
 * GatherV2 of float32 rows (batchDims 0): tfjs-layers gathers every training batch out of the whole
 * data set with it, which made it the costliest kernel of an MLP epoch on the cpu kernel. Axis 0 runs
 * on nodegrad's native row gather; other axes on its strided index-select. Out-of-range indices
 * (and other dtypes) go to the cpu kernel, which throws tfjs's own error.
 */
import { tf } from '../core.js';
import { cpuKernel, nativeKernels, sizeOf, type KernelArgs } from './util.js';

let cpu: ReturnType<typeof cpuKernel> | null = null;
function gatherV2(args: KernelArgs): tf.TensorInfo {
  const { x, indices } = args.inputs as unknown as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  const backend = args.backend;
  const fallback = () => (cpu ??= cpuKernel(tf.GatherV2))(args) as tf.TensorInfo;
  const xv = backend.f32(x);
  const iv = indices.dtype === 'int32' ? backend.data.get(indices.dataId)?.values : null;
  if (xv === null || !(iv instanceof Int32Array) || (batchDims ?? 0) !== 0 || x.shape.length === 0) return fallback();
  let ax: number;
  try {
    ax = tf.util.parseAxisParam(axis, x.shape)[0];
  } catch {
    return fallback();
  }
  const n = x.shape[ax];
  const outer = sizeOf(x.shape.slice(0, ax)), inner = sizeOf(x.shape.slice(ax + 1));
  const nb = nativeKernels()!;
  if (iv.length > 0 && (n === 0 || nb.indexCheck(iv, iv.length, n) !== -1)) return fallback();
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const out = backend.alloc(outer * iv.length * inner);
  if (out.length > 0) {
    if (outer === 1) nb.gatherRows(xv, iv, out, iv.length, inner);
    else nb.indexSelect(xv, iv, out, outer, n, inner);
  }
  return backend.out(shape, out);
}

export const gatherKernels = [{ kernelName: tf.GatherV2, kernelFunc: gatherV2 }];
