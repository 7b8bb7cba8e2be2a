/**
 * The `'nodegrad'` tfjs backend: the cpu backend's storage (one record of JS-owned typed arrays per
 * dataId), so every cpu kernel runs on it unchanged, with the hot kernels replaced by native ones
 * (./kernels). Only the "install tfjs-node" banner the cpu backend prints on first use is dropped.
 */
import { cpu, tf } from './core.js';

export const BACKEND_NAME = 'nodegrad';

export class NodegradBackend extends cpu.MathBackendCPU {
  constructor() {
    super();
    // MathBackendCPU prints a "use tfjs-node" banner on its first write under Node.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** The stored values of a float32 tensor when they are a Float32Array (else null: use the cpu kernel). */
  f32(t: tf.TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const v = this.data.get(t.dataId)?.values;
    return v instanceof Float32Array ? v : null;
  }

  /** A new float32 tensor over `values` (which the kernel allocated and filled). */
  out(shape: number[], values: Float32Array): tf.TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }
}
