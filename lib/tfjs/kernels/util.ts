/**
 * Shared pieces of the native tfjs kernels: the nodegrad native backend they compute with, the cpu
 * kernel each one falls back to (other dtypes, shapes or attributes than the native path covers),
 * and broadcasting strides.
 */
import type { Backend } from '../../backend/backend.js';
import { backendByName, backends } from '../../backend/registry.js';
import { tf } from '../core.js';
import type { NodegradBackend } from '../backend.js';

/** nodegrad's native backend, or null when the addon did not load. */
export function nativeKernels(): Backend | null {
  return backends().includes('native') ? backendByName('native') : null;
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: NodegradBackend; attrs?: tf.NamedAttrMap };
export type TfjsKernel = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The cpu backend's kernel function for `name` (registered by @tensorflow/tfjs-backend-cpu). */
export function cpuKernel(name: string): TfjsKernel {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`nodegrad/tfjs: the cpu backend has no '${name}' kernel (is @tensorflow/tfjs-backend-cpu 4.22 loaded?)`);
  return k.kernelFunc as unknown as TfjsKernel;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides that read `shape` (right-aligned) as if broadcast to `out` (0 along broadcast dims). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = new Array<number>(out.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1, j = out.length - 1; i >= 0; i--, j--) {
    s[j] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return s;
}
